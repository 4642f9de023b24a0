using System.Diagnostics;
using System.Globalization;

namespace ImageSearch.Ann;

/// <summary>
/// Opening a saved index: <see cref="VectorIndex.Load(string)"/> (reads and checks everything) against
/// <see cref="MappedIndex.Open"/> (maps the rows, reads them as searches touch them). Times the open, the first search
/// after it, and single-query and batch q/s after a warm-up, with the page cache warm and, where the process may drop
/// it (root on Linux), cold. Checks that both return the same keys and bit-identical distances.
/// </summary>
internal static class OpenBenchmark
{
    public const string Usage = """
        usage: ImageSearch.Ann open --base B.fvecs --query Q.fvecs [--index exact|hnsw] [--metric cosine|ip|l2] [--element f32|f16|i8]
               [--M 16] [--efc 200] [--ef 64] [--queries N] [--k 10] [--rounds 3] [--threads N] [--file index.isidx [--reuse]] [--cold] [--csv out.csv]
          Builds an index from --base, saves it to --file (default: a temporary file, deleted at the end), then per
          round opens it loaded and mapped; --reuse opens an existing --file (saved by an earlier run with the same
          options) instead of building. --cold drops the page cache before each open (needs root on Linux).
        """;

    public static int Run(Args a)
    {
        var culture = CultureInfo.InvariantCulture;
        DistanceMetric metric = a.Get("metric", "cosine") switch
        {
            "cosine" => DistanceMetric.Cosine,
            "ip" => DistanceMetric.InnerProduct,
            "l2" => DistanceMetric.SquaredL2,
            var other => throw new ArgumentException($"Unknown metric '{other}'."),
        };
        VectorElementType element = a.Get("element", "f32") switch
        {
            "f32" => VectorElementType.Float32,
            "f16" => VectorElementType.Float16,
            "i8" => VectorElementType.Int8,
            var other => throw new ArgumentException($"Unknown element type '{other}' (f32, f16, i8)."),
        };
        int k = int.Parse(a.Get("k", "10"), culture);
        int rounds = int.Parse(a.Get("rounds", "3"), culture);
        int threads = int.Parse(a.Get("threads", Environment.ProcessorCount.ToString(culture)), culture);
        bool cold = a.Has("cold");
        bool temporary = !a.Has("file");
        string path = a.Has("file") ? a.Get("file") : Path.Combine(Path.GetTempPath(), $"imagesearch-open-{Environment.ProcessId}.isidx");

        var (baseData, count, dim) = TexmexReader.ReadFvecs(a.Get("base"));
        var (queries, queryCount, _) = TexmexReader.ReadFvecs(a.Get("query"), int.Parse(a.Get("queries", "1000"), culture));
        string kind = a.Get("index", "exact");
        IVectorIndex built = kind switch
        {
            "exact" => new ExactIndex(dim, metric, element),
            "hnsw" => new HnswIndex(dim, metric, new HnswOptions
            {
                M = int.Parse(a.Get("M", "16"), culture),
                EfConstruction = int.Parse(a.Get("efc", "200"), culture),
                Ef = int.Parse(a.Get("ef", "64"), culture),
                ElementType = element,
            }),
            _ => throw new ArgumentException($"Unknown index '{kind}' (exact, hnsw)."),
        };
        built.MaxDegreeOfParallelism = threads;
        var buildTime = Stopwatch.StartNew();
        bool reuse = a.Has("reuse") && File.Exists(path); // an index saved by an earlier run with the same options
        if (!reuse)
        {
            built.AddRange(Enumerable.Range(0, count).Select(i => (long)i).ToArray(), baseData);
            built.Save(path);
        }

        double buildSeconds = buildTime.Elapsed.TotalSeconds;
        built = null!; // the built index and base rows are not needed for the timed opens
        baseData = null!;
        GC.Collect();
        Console.WriteLine($"# {Environment.ProcessorCount} cores, .NET {Environment.Version}; {kind} {(reuse ? "reused from --file" : $"built in {buildSeconds:F1} s")}; {count}x{dim} {metric} {element}, file {new FileInfo(path).Length / 1e6:F1} MB; {queryCount} queries, k {k}, batch on {threads} threads");

        var rows = new List<string> { "open,cache,round,open_ms,first_search_ms,open_to_first_result_ms,qps_single,qps_batch,verify_ms" };
        Console.WriteLine(rows[0]);
        SearchResult[]? reference = null;
        try
        {
            for (int round = 0; round < rounds; round++)
            {
                foreach (string cache in cold ? new[] { "cold", "warm" } : ["warm"])
                {
                    foreach (string mode in new[] { "loaded", "mapped" })
                    {
                        if (cache == "cold")
                        {
                            DropPageCache();
                        }

                        var sw = Stopwatch.StartNew();
                        IReadOnlyVectorIndex index = mode == "loaded" ? VectorIndex.Load(path) : MappedIndex.Open(path);
                        double openMs = sw.Elapsed.TotalMilliseconds;
                        var buffer = new SearchResult[k];
                        sw.Restart();
                        int n = index.Search(queries.AsSpan(0, dim), buffer);
                        double firstMs = sw.Elapsed.TotalMilliseconds;
                        SearchResult[] first = buffer.AsSpan(0, n).ToArray();
                        reference ??= first;
                        if (!Identical(reference, first))
                        {
                            throw new InvalidOperationException($"{mode}: the first search differs from the first loaded one.");
                        }

                        for (int q = 0; q < queryCount; q++)
                        {
                            index.Search(queries.AsSpan(q * dim, dim), buffer); // warm-up: every row paged in
                        }

                        sw.Restart();
                        for (int q = 0; q < queryCount; q++)
                        {
                            index.Search(queries.AsSpan(q * dim, dim), buffer);
                        }

                        double single = queryCount / sw.Elapsed.TotalSeconds;
                        if (index is IVectorIndex e) e.MaxDegreeOfParallelism = threads;
                        if (index is MappedIndex m) m.MaxDegreeOfParallelism = threads;
                        sw.Restart();
                        index.SearchBatch(queries.AsSpan(0, queryCount * dim), k);
                        double batch = queryCount / sw.Elapsed.TotalSeconds;
                        double verifyMs = double.NaN;
                        if (index is MappedIndex mapped)
                        {
                            sw.Restart();
                            mapped.VerifyChecksums();
                            verifyMs = sw.Elapsed.TotalMilliseconds;
                            mapped.Dispose();
                        }

                        string row = string.Join(',', mode, cache, round.ToString(culture), openMs.ToString("F1", culture), firstMs.ToString("F1", culture),
                            (openMs + firstMs).ToString("F1", culture), single.ToString("F1", culture), batch.ToString("F1", culture),
                            double.IsNaN(verifyMs) ? "" : verifyMs.ToString("F1", culture));
                        Console.WriteLine(row);
                        rows.Add(row);
                        index = null!;
                        GC.Collect();
                    }
                }
            }
        }
        finally
        {
            if (temporary)
            {
                File.Delete(path);
            }
        }

        if (a.Has("csv"))
        {
            File.WriteAllLines(a.Get("csv"), rows);
        }

        return 0;
    }

    private static bool Identical(SearchResult[] a, SearchResult[] b)
        => a.Length == b.Length && a.Zip(b).All(p => p.First.Key == p.Second.Key
            && BitConverter.SingleToInt32Bits(p.First.Distance) == BitConverter.SingleToInt32Bits(p.Second.Distance));

    /// <summary>Writes dirty pages and drops the clean ones (Linux, root); says so and stops when it cannot.</summary>
    private static void DropPageCache()
    {
        using (var sync = Process.Start("sync"))
        {
            sync.WaitForExit();
        }

        try
        {
            File.WriteAllText("/proc/sys/vm/drop_caches", "3");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"--cold: cannot drop the page cache ({e.Message}); run as root on Linux or leave out --cold.", e);
        }
    }
}
