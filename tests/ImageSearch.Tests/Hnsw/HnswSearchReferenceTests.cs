namespace ImageSearch.Tests.Hnsw;

/// <summary>
/// The optimised search loop (visited marking, prefetching, heaps, the Int8 re-rank) against a plain textbook search over
/// the same graph: greedy descent on the upper layers, then best-first on layer 0 with sorted lists instead of heaps.
/// Both must return the same keys and distances, so a change to the loop that drops or reorders work shows here.
/// </summary>
public class HnswSearchReferenceTests
{
    [Theory]
    [InlineData(VectorElementType.Float32, false, DistanceMetric.Cosine, 24)]
    [InlineData(VectorElementType.Float32, false, DistanceMetric.SquaredL2, 24)]
    [InlineData(VectorElementType.Int8, true, DistanceMetric.Cosine, 24)]
    [InlineData(VectorElementType.Int8, true, DistanceMetric.SquaredL2, 24)]
    [InlineData(VectorElementType.Float32, false, DistanceMetric.Cosine, 100)] // a masked last chunk
    [InlineData(VectorElementType.Int8, true, DistanceMetric.Cosine, 100)] // 16-bit traversal weights where the CPU has them
    [InlineData(VectorElementType.Int8, true, DistanceMetric.SquaredL2, 100)]
    public void SearchEqualsTheTextbookSearchOverTheSameGraph(VectorElementType type, bool keepFloat32Rows, DistanceMetric metric, int dim)
    {
        const int count = 4000, queryCount = 60, k = 10;
        var index = new HnswIndex(dim, metric, new HnswOptions { M = 8, EfConstruction = 60, ElementType = type, KeepFloat32Rows = keepFloat32Rows })
        {
            MaxDegreeOfParallelism = 1,
        };
        index.AddRange(HnswTestData.Keys(count), HnswTestData.Random(5, count, dim));
        float[] queries = HnswTestData.Random(6, queryCount, dim);
        HnswGraph g = index.Graph;
        foreach (int ef in new[] { 10, 40, 150 })
        {
            for (int i = 0; i < queryCount; i++)
            {
                ReadOnlySpan<float> query = queries.AsSpan(i * dim, dim);
                var got = new SearchResult[k];
                int n = index.Search(query, got, new SearchOptions { Ef = ef });
                SearchResult[] expected = Reference(g, query.ToArray(), ef, k);
                Assert.Equal(expected.Length, n);
                for (int j = 0; j < n; j++)
                {
                    Assert.True(expected[j].Key == got[j].Key && expected[j].Distance == got[j].Distance,
                        $"{type} {metric} ef {ef} query {i} rank {j}: got {got[j].Key} at {got[j].Distance}, the reference {expected[j].Key} at {expected[j].Distance}");
                }
            }
        }
    }

    /// <summary>Malkov and Yashunin's search (algorithms 2 and 5), written for clarity rather than speed.</summary>
    private static SearchResult[] Reference(HnswGraph g, float[] vector, int ef, int k)
    {
        var q = new float[g.Dimension];
        g.Store.Prepare(vector, q, "query");
        bool rerank = g.Store.ElementType == VectorElementType.Int8 && g.Store.KeepFloat32Rows;
        float[] t = q;
        if (rerank)
        {
            t = new float[HnswGraph.TraversalQueryLength(g.Dimension)];
            g.PrepareTraversalQuery(q, t);
        }

        (int cur, int top) = g.Entry;
        float curDist = g.DistanceTo(t, cur);
        for (int layer = top; layer > 0; layer--)
        {
            for (bool changed = true; changed;)
            {
                changed = false;
                foreach (int n in HnswGraphCheck.List(g, cur, layer).ToArray())
                {
                    float d = g.DistanceTo(t, n);
                    if (d < curDist)
                    {
                        (cur, curDist, changed) = (n, d, true);
                    }
                }
            }
        }

        var visited = new HashSet<int> { cur };
        var candidates = new List<(float Distance, int Slot)> { (curDist, cur) };
        var results = new List<(float Distance, int Slot)> { (curDist, cur) };
        while (candidates.Count > 0)
        {
            (float cd, int c) = candidates.MinBy(x => x.Distance);
            if (cd > results.Max(x => x.Distance))
            {
                break;
            }

            candidates.Remove((cd, c));
            foreach (int n in HnswGraphCheck.List(g, c, 0).ToArray())
            {
                if (!visited.Add(n))
                {
                    continue;
                }

                float d = g.DistanceTo(t, n);
                if (results.Count < ef || d < results.Max(x => x.Distance))
                {
                    candidates.Add((d, n));
                    results.Add((d, n));
                    if (results.Count > ef)
                    {
                        results.Remove(results.MaxBy(x => x.Distance));
                    }
                }
            }
        }

        return results
            .Select(r => new SearchResult(g.Store.GetKey(r.Slot), rerank ? g.DistanceTo(q, r.Slot) : r.Distance))
            .OrderBy(r => r.Distance).ThenBy(r => r.Key)
            .Take(k)
            .ToArray();
    }
}
