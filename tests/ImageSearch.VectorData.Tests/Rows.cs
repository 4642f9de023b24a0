using Microsoft.Extensions.AI;

namespace ImageSearch.VectorData.Tests;

/// <summary>A record independent of its representation: what every flavour (attributes, definition, dynamic) stores.</summary>
public sealed record Row(int Index, string? Title, int Rank, double? Score, bool Active, string[] Tags, DateTimeOffset When, float[] Vector)
{
    public const int Dimensions = 8;

    public static readonly DateTimeOffset Epoch = new(2024, 1, 1, 0, 0, 0, TimeSpan.FromHours(2));

    private static readonly string[] Colors = ["red", "green", "blue", "black"];

    /// <summary>Deterministic rows: nullable scores, tag lists of 0 to 2 colours, vectors with a few exact duplicates.</summary>
    public static Row[] Make(int count, int seed = 7)
    {
        var random = new Random(seed);
        var rows = new Row[count];
        for (int i = 0; i < count; i++)
        {
            var v = new float[Dimensions];
            for (int d = 0; d < Dimensions; d++)
            {
                v[d] = (float)(random.NextDouble() * 2 - 1);
            }

            string[] tags = Enumerable.Range(0, random.Next(3)).Select(_ => Colors[random.Next(Colors.Length)]).Distinct().ToArray();
            rows[i] = new Row(i, i % 13 == 0 ? null : "t" + i, random.Next(100), i % 5 == 0 ? null : random.NextDouble(),
                random.Next(2) == 0, tags, Epoch.AddHours(random.Next(1000)), v);
        }

        return rows;
    }

    public static float[] Query(int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, Dimensions).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }
}

/// <summary>Brute-force scores in each distance function's own direction, in double precision.</summary>
public static class Reference
{
    public static double Score(string function, float[] q, float[] v)
    {
        double dot = 0, qq = 0, vv = 0, l2 = 0;
        for (int i = 0; i < q.Length; i++)
        {
            dot += (double)q[i] * v[i];
            qq += (double)q[i] * q[i];
            vv += (double)v[i] * v[i];
            l2 += ((double)q[i] - v[i]) * ((double)q[i] - v[i]);
        }

        double cos = dot / Math.Sqrt(qq * vv);
        return function switch
        {
            DistanceFunction.CosineSimilarity => cos,
            DistanceFunction.CosineDistance => 1 - cos,
            DistanceFunction.DotProductSimilarity => dot,
            DistanceFunction.NegativeDotProductSimilarity => -dot,
            DistanceFunction.EuclideanDistance => Math.Sqrt(l2),
            DistanceFunction.EuclideanSquaredDistance => l2,
            _ => throw new ArgumentOutOfRangeException(nameof(function)),
        };
    }

    public static bool HigherIsCloser(string function)
        => function is DistanceFunction.CosineSimilarity or DistanceFunction.DotProductSimilarity;

    /// <summary>The exact top of <paramref name="rows"/> passing <paramref name="filter"/>, closest first, ties by index.</summary>
    public static (int Index, double Score)[] Top(IEnumerable<Row> rows, float[] q, string function, int top, int skip = 0, Func<Row, bool>? filter = null)
    {
        var scored = rows.Where(filter ?? (_ => true)).Select(r => (r.Index, Score: Score(function, q, r.Vector)));
        scored = HigherIsCloser(function) ? scored.OrderByDescending(x => x.Score).ThenBy(x => x.Index) : scored.OrderBy(x => x.Score).ThenBy(x => x.Index);
        return scored.Skip(skip).Take(top).ToArray();
    }
}

/// <summary>
/// A deterministic text "embedding": letter counts folded into <see cref="Row.Dimensions"/> buckets (plus one, so never
/// zero). Counts its calls, to show batching.
/// </summary>
public sealed class LetterEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public int Calls;

    public static float[] Embed(string text)
    {
        var v = new float[Row.Dimensions];
        v[0] = 1;
        foreach (char c in text)
        {
            v[c % Row.Dimensions] += 1;
        }

        return v;
    }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref Calls);
        return Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(v => new Embedding<float>(Embed(v)))));
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}
