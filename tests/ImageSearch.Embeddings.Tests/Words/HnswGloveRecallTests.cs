
namespace ImageSearch.Embeddings.Tests.Words;

/// <summary>HNSW against exact search on real GloVe words (the fetched cache, so it runs in CI).</summary>
public class HnswGloveRecallTests(GloveFixture glove) : IClassFixture<GloveFixture>
{
    [GloveFact]
    public void RecallAt10IsAtLeast095AtEf200OnAGloveSample()
    {
        WordVectors v = glove.Vectors;
        const int n = 10_000, queries = 200;
        int dim = v.Dimension;
        // Every (Count / (n + queries))-th word: a spread of frequent and rare words; the last 200 are held-out queries.
        int step = v.Count / (n + queries);
        var rows = new float[(n + queries) * dim];
        for (int i = 0; i < n + queries; i++)
        {
            v.GetVector(i * step).CopyTo(rows.AsSpan(i * dim, dim));
        }

        long[] keys = Enumerable.Range(0, n).Select(i => (long)i).ToArray();
        var hnsw = new HnswIndex(dim, DistanceMetric.Cosine, new HnswOptions { M = 16, EfConstruction = 100 });
        hnsw.AddRange(keys, rows.AsSpan(0, n * dim));
        var exact = new ExactIndex(dim, DistanceMetric.Cosine);
        exact.AddRange(keys, rows.AsSpan(0, n * dim));

        int hits = 0;
        var options = new SearchOptions { Ef = 200 };
        for (int q = 0; q < queries; q++)
        {
            ReadOnlySpan<float> query = rows.AsSpan((n + q) * dim, dim);
            var truth = exact.Search(query, 10).Select(r => r.Key).ToHashSet();
            hits += hnsw.Search(query, 10, options).Count(r => truth.Contains(r.Key));
        }

        double recall = hits / (double)(queries * 10);
        Assert.True(recall >= 0.95, $"GloVe sample recall@10 {recall:F3} at ef 200");
    }
}
