
namespace ImageSearch.Tests.Indexes;

/// <summary>Double-precision brute force: the reference every index is compared against.</summary>
internal static class NaiveReference
{
    public static double Distance(DistanceMetric metric, ReadOnlySpan<float> q, ReadOnlySpan<float> v, ReadOnlySpan<float> w = default)
    {
        double dot = 0, qq = 0, vv = 0, l2 = 0;
        for (int i = 0; i < q.Length; i++)
        {
            double wi = w.IsEmpty ? 1 : w[i];
            double a = q[i] * wi, b = v[i] * wi;
            dot += a * b; qq += a * a; vv += b * b; l2 += (a - b) * (a - b);
        }

        return metric switch
        {
            // Unweighted cosine: the index stores normalised rows, so 1 - dot with the normalised query is the definition.
            DistanceMetric.Cosine when w.IsEmpty => 1 - (dot / Math.Sqrt(qq)),
            DistanceMetric.Cosine => vv == 0 ? 2 : 1 - (dot / Math.Sqrt(qq * vv)),
            DistanceMetric.InnerProduct => 1 - dot,
            _ => l2,
        };
    }

    /// <summary>Top-k by (distance, key); vectors are what the index stores (normalised for cosine).</summary>
    public static (long Key, double Distance)[] Search(DistanceMetric metric, IReadOnlyDictionary<long, float[]> data, ReadOnlySpan<float> query, int k,
        Func<long, bool>? filter = null, ReadOnlySpan<float> weights = default)
    {
        var all = new List<(long Key, double Distance)>(data.Count);
        foreach (var (key, v) in data)
        {
            if (filter is null || filter(key))
            {
                all.Add((key, Distance(metric, query, v, weights)));
            }
        }

        all.Sort((a, b) => a.Distance != b.Distance ? a.Distance.CompareTo(b.Distance) : a.Key.CompareTo(b.Key));
        return all.Take(k).ToArray();
    }

    /// <summary>
    /// Asserts that results equal the reference: same length, distances within tolerance at every rank, and the same keys
    /// except where the reference itself has distances closer than the tolerance (near-ties that float rounding may swap).
    /// </summary>
    public static void AssertEqual((long Key, double Distance)[] expected, SearchResult[] actual, double tolerance = 2e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i].Distance - actual[i].Distance) <= tolerance * Math.Max(1, Math.Abs(expected[i].Distance)),
                $"rank {i}: expected distance {expected[i].Distance}, got {actual[i].Distance}");
            if (expected[i].Key != actual[i].Key)
            {
                // Must be a near-tie: the key we got has a reference distance as close as the expected one.
                bool nearTie = expected.Any(e => e.Key == actual[i].Key && Math.Abs(e.Distance - expected[i].Distance) <= 2 * tolerance)
                    || (i == expected.Length - 1 && Math.Abs(actual[i].Distance - expected[i].Distance) <= 2 * tolerance);
                Assert.True(nearTie, $"rank {i}: expected key {expected[i].Key} ({expected[i].Distance}), got {actual[i].Key} ({actual[i].Distance})");
            }
        }

        for (int i = 1; i < actual.Length; i++)
        {
            Assert.True(actual[i - 1].CompareTo(actual[i]) < 0, $"results not ordered at rank {i}");
        }
    }

    public static float[] RandomVectors(Random rng, int count, int dim)
    {
        var v = new float[count * dim];
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = (float)((rng.NextDouble() * 2) - 1);
        }

        return v;
    }

    /// <summary>The vector as the index stores it: normalised under cosine, rounded through Half for f16.</summary>
    public static float[] Stored(DistanceMetric metric, VectorElementType type, ReadOnlySpan<float> v)
    {
        var r = v.ToArray();
        if (metric == DistanceMetric.Cosine)
        {
            double n = Math.Sqrt(r.Sum(x => (double)x * x));
            for (int i = 0; i < r.Length; i++) r[i] = (float)(r[i] / n);
        }

        if (type == VectorElementType.Float16)
        {
            for (int i = 0; i < r.Length; i++) r[i] = (float)(Half)r[i];
        }

        return r;
    }
}
