
namespace ImageSearch.Tests.Hnsw;

/// <summary>Random data, exact ground truth and recall for the HNSW tests.</summary>
internal static class HnswTestData
{
    public static float[] Random(int seed, int count, int dim)
    {
        var rng = new Random(seed);
        var v = new float[count * dim];
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = (float)((rng.NextDouble() * 2) - 1);
        }

        return v;
    }

    public static long[] Keys(int count, long offset = 0)
    {
        var keys = new long[count];
        for (int i = 0; i < count; i++)
        {
            keys[i] = offset + (i * 7L) - 1000; // negative and positive, not slot order
        }

        return keys;
    }

    /// <summary>Mean recall@k of the HNSW results against an exact index holding the same vectors.</summary>
    public static double Recall(IVectorIndex approx, ExactIndex exact, float[] queries, int k, SearchOptions? options = null)
    {
        int dim = exact.Dimension;
        int nq = queries.Length / dim;
        int hits = 0, total = 0;
        for (int i = 0; i < nq; i++)
        {
            ReadOnlySpan<float> q = queries.AsSpan(i * dim, dim);
            SearchResult[] truth = exact.Search(q, k, options is null ? null : new SearchOptions { Filter = options.Filter });
            SearchResult[] got = approx.Search(q, k, options);
            AssertValid(got);
            var set = new HashSet<long>();
            foreach (SearchResult r in truth)
            {
                set.Add(r.Key);
            }

            foreach (SearchResult r in got)
            {
                if (set.Contains(r.Key))
                {
                    hits++;
                }
            }

            total += truth.Length;
        }

        return total == 0 ? 1 : (double)hits / total;
    }

    /// <summary>Ordered by (distance, key), no duplicate keys.</summary>
    public static void AssertValid(SearchResult[] results)
    {
        var keys = new HashSet<long>();
        for (int i = 0; i < results.Length; i++)
        {
            Assert.True(keys.Add(results[i].Key), $"duplicate key {results[i].Key}");
            Assert.False(float.IsNaN(results[i].Distance));
            if (i > 0)
            {
                Assert.True(results[i - 1].CompareTo(results[i]) < 0, $"results not ordered at rank {i}");
            }
        }
    }

    public static (HnswIndex Hnsw, ExactIndex Exact) Build(int count, int dim, int seed, DistanceMetric metric = DistanceMetric.Cosine,
        int threads = 2, HnswOptions? options = null)
    {
        float[] rows = Random(seed, count, dim);
        long[] keys = Keys(count);
        var hnsw = new HnswIndex(dim, metric, options ?? new HnswOptions { M = 16, EfConstruction = 100, Seed = seed }) { MaxDegreeOfParallelism = threads };
        hnsw.AddRange(keys, rows);
        var exact = new ExactIndex(dim, metric);
        exact.AddRange(keys, rows);
        return (hnsw, exact);
    }

    public const string GlovePath = "/tmp/glove100/base.fvecs";

    /// <summary>Rows of the GloVe-100 base split if present (see docs/hnsw.md), else null.</summary>
    public static float[]? GloveSample(int count, out int dim)
    {
        dim = 0;
        string path = GlovePath;
        if (!File.Exists(path))
        {
            return null;
        }

        using var f = File.OpenRead(path);
        using var r = new BinaryReader(f);
        dim = r.ReadInt32();
        long rows = f.Length / (4L * (dim + 1));
        if (rows < count)
        {
            return null;
        }

        // Every (rows / count)-th row: a spread of frequent and rare words.
        var data = new float[count * dim];
        long step = rows / count;
        var row = new byte[4 * (dim + 1)];
        for (int i = 0; i < count; i++)
        {
            f.Position = i * step * row.Length;
            f.ReadExactly(row);
            Buffer.BlockCopy(row, 4, data, i * dim * 4, dim * 4);
        }

        return data;
    }
}

/// <summary>A fact reported as skipped when the GloVe-100 split (../shared/tools/glove_prep.py) is not at /tmp/glove100.</summary>
public sealed class GloveFactAttribute : FactAttribute
{
    public GloveFactAttribute()
    {
        if (!File.Exists(HnswTestData.GlovePath))
        {
            Skip = $"GloVe-100 split not found ({HnswTestData.GlovePath}; make it with ../shared/tools/glove_prep.py): the GloVe recall test is NOT run.";
        }
    }
}
