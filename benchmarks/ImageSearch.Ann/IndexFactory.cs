
namespace ImageSearch.Ann;

internal static class IndexFactory
{
    public static IVectorIndex Build(string kind, int dim, DistanceMetric metric, VectorElementType element, bool keepFloat32Rows, int m, int efc, int threads,
        long[] keys, float[] rows)
    {
        switch (kind)
        {
            case "exact":
                var exact = new ExactIndex(dim, metric, element, keepFloat32Rows) { MaxDegreeOfParallelism = threads };
                exact.AddRange(keys, rows);
                return exact;
            case "hnsw":
                var hnsw = new HnswIndex(dim, metric, new HnswOptions { M = m, EfConstruction = efc, ElementType = element, KeepFloat32Rows = keepFloat32Rows }) { MaxDegreeOfParallelism = threads };
                hnsw.AddRange(keys, rows);
                Console.WriteLine($"# HNSW memory {hnsw.MemoryBytes / 1e6:F1} MB, {hnsw.MemoryBytes / (double)hnsw.Count:F0} bytes per vector");
                return hnsw;
            default:
                throw new ArgumentException($"Unknown index '{kind}' (exact, hnsw).");
        }
    }
}
