using System.Diagnostics;

namespace ImageSearch.Ann;

/// <summary>Exact top-k of every query against an .fvecs base, by our ExactIndex (f32, SearchBatch on every core).</summary>
internal static class GroundTruth
{
    /// <summary>Computes the true neighbours and writes them to <paramref name="gtPath"/> as .ivecs (row = base row number).</summary>
    /// <remarks>The base is added in chunks straight from the file, so only the index holds it.</remarks>
    public static void Write(string basePath, int limit, float[] queries, DistanceMetric metric, int k, string gtPath)
    {
        var sw = Stopwatch.StartNew();
        var (count, dim) = TexmexReader.Shape(basePath);
        count = Math.Min(count, limit);
        var index = new ExactIndex(dim, metric);
        long next = 0;
        foreach (var (chunk, rows, _) in TexmexReader.ReadFvecsChunks(basePath, 16_384, limit))
        {
            var keys = new long[rows];
            for (int i = 0; i < rows; i++) keys[i] = next++;
            index.AddRange(keys, chunk.AsSpan(0, rows * dim));
        }

        int top = Math.Min(k, count);
        SearchResult[][] results = index.SearchBatch(queries, top);
        using var writer = new TexmexWriter(gtPath, top);
        var row = new int[top];
        foreach (SearchResult[] r in results)
        {
            if (r.Length != top) throw new InvalidOperationException($"The exact search returned {r.Length} rows, not {top}.");
            for (int j = 0; j < top; j++) row[j] = checked((int)r[j].Key);
            writer.Write<int>(row);
        }

        Console.WriteLine($"# ground truth: top {top} of {count} rows for {results.Length} queries ({metric}) in {sw.Elapsed.TotalSeconds:F1} s on {Environment.ProcessorCount} cores");
    }
}
