using System.Diagnostics;
using System.Globalization;

namespace ImageSearch.Ann;

/// <summary>
/// The <c>scale</c> subcommand (issue 13 goal 5): on one dataset directory, builds our HNSW and records build seconds,
/// bytes per vector and a single-thread ef sweep, then runs a peer the same way, and appends rows to a CSV
/// (<see cref="ScaleRow"/>): one per measured ef and one summary per library at recall@10 = 0.95.
/// </summary>
internal static class ScaleCommand
{
    public const string Usage = """
        usage: ImageSearch.Ann scale --data DIR --csv results.csv [--M 16] [--efc 200] [--threads all]
               [--ef 10,20,40,80,120,200,300,400,600,800] [--queries all] [--target 0.95]
               [--family NAME] [--metric cosine|ip|l2]   (default: DIR/dataset.txt, else the directory name and cosine)
               [--peer-cmd "CMD"] [--peer-label LABEL] [--no-peer] [--no-ours]
          The peer runs as: bash -c "CMD 'DIR'" (or with {dir} in CMD replaced by 'DIR') and prints 'peer NAME build_s B',
          'peer NAME bytes_per_vector X', 'peer NAME ef E recall@10 R qps Q'; it also gets SCALE_M, SCALE_EFC, SCALE_THREADS,
          SCALE_EFS, SCALE_METRIC, SCALE_QUERIES and SCALE_TARGET in its environment (CMD may use them: single-quote it).
          SCALE_EFS is the efs our sweep ended with (after any extension), so a peer that does not extend its own sweep
          still brackets the target. Default CMD: /usr/bin/python3 benchmarks/peers/hnswlib_scale.py with those settings
          as flags. e.g. the C++ bench: --peer-cmd '.cache/peers/hnswlib_bench_v4 {dir} --M $SCALE_M --efc $SCALE_EFC
          --threads $SCALE_THREADS --efs $SCALE_EFS --metric $SCALE_METRIC --queries $SCALE_QUERIES'.
          --peer-label names the peer's rows LABEL (LABEL-NAME if it reports several libraries), e.g. hnswlib-cpp beside
          the Python hnswlib in one CSV. Sweeps that do not reach the target extend (ef doubles, up to 6400; halves, down to 10).
        """;

    private const int K = 10;
    private const int MaxEf = 6400;

    public static int Run(Args a)
    {
        var culture = CultureInfo.InvariantCulture;
        string dir = a.Get("data");
        string csv = a.Get("csv");
        Dictionary<string, string> info = DatasetInfo.Read(dir);
        string family = a.Get("family", info.GetValueOrDefault("family", Path.GetFileName(Path.GetFullPath(dir).TrimEnd('/'))));
        string metricName = a.Get("metric", info.GetValueOrDefault("metric", "cosine"));
        DistanceMetric metric = DatasetInfo.ParseMetric(metricName);
        int m = int.Parse(a.Get("M", "16"), culture);
        int efc = int.Parse(a.Get("efc", "200"), culture);
        int threads = int.Parse(a.Get("threads", Environment.ProcessorCount.ToString(culture)), culture);
        string efList = a.Get("ef", "10,20,40,80,120,200,300,400,600,800");
        int[] efs = efList.Split(',').Select(s => int.Parse(s, culture)).ToArray();
        int queryLimit = int.Parse(a.Get("queries", int.MaxValue.ToString(culture)), culture);
        double target = double.Parse(a.Get("target", "0.95"), culture);
        string cpu = CpuName();
        string date = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", culture);

        var (queries, queryCount, qdim) = TexmexReader.ReadFvecs(Path.Combine(dir, "query.fvecs"), queryLimit);
        var (gt, gtCount, gtDim) = TexmexReader.ReadIvecs(Path.Combine(dir, "gt.ivecs"));
        var (n, dim) = TexmexReader.Shape(Path.Combine(dir, "base.fvecs"));
        if (qdim != dim || gtCount < queryCount || gtDim < K)
        {
            throw new InvalidDataException($"{dir}: base, query and ground truth files do not match.");
        }

        Console.WriteLine($"# scale: {family} {n}x{dim} {metricName}, {queryCount} queries, M {m}, efc {efc}, build threads {threads}; {cpu}; {date}");
        if (!a.Has("no-ours"))
        {
            var rows = RunOurs(dir, family, metric, metricName, m, efc, threads, efs, queries, queryCount, gt, gtDim, target, cpu, date);
            ScaleRow.Append(csv, rows);
            efList = string.Join(',', rows.Where(r => r.Kind == "sweep").Select(r => r.Ef.ToString(culture)));
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true); // hand our index's memory back before the peer builds its own
        }

        if (!a.Has("no-peer"))
        {
            var environment = new Dictionary<string, string>
            {
                ["SCALE_M"] = m.ToString(culture),
                ["SCALE_EFC"] = efc.ToString(culture),
                ["SCALE_THREADS"] = threads.ToString(culture),
                ["SCALE_EFS"] = efList,
                ["SCALE_METRIC"] = metricName,
                ["SCALE_QUERIES"] = queryCount.ToString(culture),
                ["SCALE_TARGET"] = target.ToString(culture),
            };
            string command = a.Has("peer-cmd") ? a.Get("peer-cmd") : DefaultPeerCommand(m, efc, threads, efList, metricName, queryCount, target);
            var peers = PeerRunner.Run(command, Path.GetFullPath(dir), environment);
            foreach (var (name, peer) in peers)
            {
                string library = !a.Has("peer-label") ? name : peers.Count == 1 ? a.Get("peer-label") : $"{a.Get("peer-label")}-{name}";
                var rows = peer.Points.Select(p => new ScaleRow(family, n, dim, metricName, library, threads, peer.BuildSeconds, peer.BytesPerVector,
                    p.Ef, p.Recall, p.Qps, 1, cpu, date, "sweep", peer.BytesPerVector)).ToList();
                rows.Add(SummaryRow(rows, peer.Points, target));
                ScaleRow.Append(csv, rows);
                Console.WriteLine($"# {library}: {rows[^1].ToCsv()}");
            }
        }

        return 0;
    }

    private static List<ScaleRow> RunOurs(string dir, string family, DistanceMetric metric, string metricName, int m, int efc, int threads, int[] efs,
        float[] queries, int queryCount, int[] gt, int gtDim, double target, string cpu, string date)
    {
        var (baseData, n, dim) = TexmexReader.ReadFvecs(Path.Combine(dir, "base.fvecs"));
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) keys[i] = i;

        // Managed memory the index adds: heap after a full collection, base rows and keys already loaded before, still alive after.
        long before = GC.GetTotalMemory(forceFullCollection: true);
        var sw = Stopwatch.StartNew();
        var index = new HnswIndex(dim, metric, new HnswOptions { M = m, EfConstruction = efc }) { MaxDegreeOfParallelism = threads };
        index.AddRange(keys, baseData);
        double buildSeconds = sw.Elapsed.TotalSeconds;
        long after = GC.GetTotalMemory(forceFullCollection: true);
        double bytesPerVector = (after - before) / (double)n;
        double indexBytesPerVector = index.MemoryBytes / (double)n;
        GC.KeepAlive(baseData);
        GC.KeepAlive(keys);
        Console.WriteLine($"# ours: built in {buildSeconds:F2} s on {threads} threads; managed delta {bytesPerVector:F0} bytes per vector, MemoryBytes {indexBytesPerVector:F0}");

        var points = new List<SweepPoint>();
        void Measure(int ef)
        {
            var point = Sweep(index, ef, queries, queryCount, dim, gt, gtDim);
            points.Add(point);
            Console.WriteLine($"# ours ef {ef}: recall@10 {point.Recall:F4}, {point.Qps:F1} q/s");
        }

        // One untimed pass over the queries at the first ef: the JIT starts methods unoptimised and replaces them after
        // ~30 calls plus a background delay, so without it the first sweep point measures tier-0 code. The C++ peer
        // bench makes the same pass, so both start the sweep with the same warm caches.
        Sweep(index, efs[0], queries, queryCount, dim, gt, gtDim);
        foreach (int ef in efs) Measure(ef);
        while (RecallTarget.NeedsHigherEf(points, target) && points.Max(p => p.Ef) < Math.Min(MaxEf, n)) Measure((int)points.Max(p => p.Ef) * 2);
        while (RecallTarget.NeedsLowerEf(points, target) && points.Min(p => p.Ef) > K) Measure(Math.Max(K, (int)points.Min(p => p.Ef) / 2));

        var rows = points.OrderBy(p => p.Ef).Select(p => new ScaleRow(family, n, dim, metricName, "ours", threads, buildSeconds, bytesPerVector,
            p.Ef, p.Recall, p.Qps, 1, cpu, date, "sweep", indexBytesPerVector)).ToList();
        rows.Add(SummaryRow(rows, points, target));
        Console.WriteLine($"# ours: {rows[^1].ToCsv()}");
        return rows;
    }

    // Queries one at a time on one thread, as ann-benchmarks does; one warm-up query first (the caller also warms up).
    private static SweepPoint Sweep(HnswIndex index, int ef, float[] queries, int queryCount, int dim, int[] gt, int gtDim)
    {
        var options = new SearchOptions { Ef = ef };
        var buffer = new SearchResult[K];
        var results = new SearchResult[queryCount][];
        index.Search(queries.AsSpan(0, dim), buffer, options);
        var sw = Stopwatch.StartNew();
        for (int q = 0; q < queryCount; q++)
        {
            int found = index.Search(queries.AsSpan(q * dim, dim), buffer, options);
            results[q] = buffer.AsSpan(0, found).ToArray();
        }

        double seconds = sw.Elapsed.TotalSeconds;
        return new SweepPoint(ef, Recall.AtK(results, gt, gtDim, K), queryCount / seconds);
    }

    private static ScaleRow SummaryRow(List<ScaleRow> sweepRows, List<SweepPoint> points, double target)
    {
        ScaleRow first = sweepRows[0];
        if (RecallTarget.Interpolate(points, target) is { } p)
        {
            return first with { Ef = p.Ef, Recall10 = p.Recall, Qps = p.Qps, Kind = ScaleRow.Summary };
        }

        SweepPoint nearest = points.MinBy(x => Math.Abs(x.Recall - target));
        Console.WriteLine($"# warning: {first.Library} never crossed recall {target} (nearest: ef {nearest.Ef}, recall {nearest.Recall:F4})");
        return first with { Ef = nearest.Ef, Recall10 = nearest.Recall, Qps = nearest.Qps, Kind = ScaleRow.NotBracketed };
    }

    private static string DefaultPeerCommand(int m, int efc, int threads, string efs, string metric, int queries, double target)
    {
        string script = FindUp(Directory.GetCurrentDirectory()) ?? FindUp(AppContext.BaseDirectory)
            ?? throw new FileNotFoundException("benchmarks/peers/hnswlib_scale.py not found above the current or program directory; pass --peer-cmd.");
        return string.Create(CultureInfo.InvariantCulture,
            $"/usr/bin/python3 '{script}' --M {m} --efc {efc} --threads {threads} --efs {efs} --metric {metric} --queries {queries} --target {target}");

        static string? FindUp(string start)
        {
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, "benchmarks", "peers", "hnswlib_scale.py");
                if (File.Exists(candidate)) return candidate;
            }

            return null;
        }
    }

    private static string CpuName()
    {
        string model = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown"
            : "unknown";
        return $"{model} x{Environment.ProcessorCount}";
    }
}
