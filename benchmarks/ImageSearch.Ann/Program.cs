using ImageSearch;
using System.Diagnostics;
using System.Globalization;
using ImageSearch.Ann;

// Recall/QPS harness on TEXMEX files, as ann-benchmarks measures: single mode runs queries one at a time on one thread;
// batch mode hands every query to SearchBatch on --threads threads.
if (args.Length > 0 && args[0] == "vectordata")
{
    // The ImageSearch.VectorData connector against the raw index (see VectorDataBenchmark).
    var v = new Args(args[1..]);
    if (v.Has("help") || !v.Has("base"))
    {
        Console.WriteLine(VectorDataBenchmark.Usage);
        return v.Has("help") ? 0 : 2;
    }

    return await VectorDataBenchmark.RunAsync(v);
}

// The scale series (issue 13 goal 5): synthetic data, GloVe subsets, the build/memory/q-per-s runs and their plot.
if (args.Length > 0 && args[0] is "synth" or "subset" or "scale" or "plot")
{
    var s = new Args(args[1..]);
    (string usage, Func<Args, int> run) = args[0] switch
    {
        "synth" => (SynthCommand.Usage, SynthCommand.Run),
        "subset" => (SubsetCommand.Usage, SubsetCommand.Run),
        "scale" => (ScaleCommand.Usage, ScaleCommand.Run),
        _ => ((string, Func<Args, int>))(PlotCommand.Usage, PlotCommand.Run),
    };
    if (s.Has("help"))
    {
        Console.WriteLine(usage);
        return 0;
    }

    return run(s);
}

if (args.Length > 0 && args[0] == "open")
{
    // Opening a saved index: loaded against memory-mapped (see OpenBenchmark).
    var o = new Args(args[1..]);
    if (o.Has("help") || !o.Has("base"))
    {
        Console.WriteLine(OpenBenchmark.Usage);
        return o.Has("help") ? 0 : 2;
    }

    return OpenBenchmark.Run(o);
}

var a = new Args(args);
if (a.Has("help") || !a.Has("base"))
{
    Console.WriteLine("""
        usage: ImageSearch.Ann [vectordata|open|synth|subset|scale|plot] --base B.fvecs --query Q.fvecs --gt G.ivecs [--index exact|hnsw] [--metric cosine|ip|l2]
               [--element f32|f16|i8] [--rerank] [--threads N] [--mode single|batch|single,batch] [--ef 40,80,...] [--M 16] [--efc 200]
               [--queries N] [--k 10] [--save file] [--load file] [--csv out.csv]
        --load skips the build and searches a saved index (build_s is then 0); --base is still read for its dimension.
        """);
    return a.Has("help") ? 0 : 2;
}

var culture = CultureInfo.InvariantCulture;
string indexKind = a.Get("index", "exact");
DistanceMetric metric = a.Get("metric", "cosine") switch
{
    "cosine" or "angular" => DistanceMetric.Cosine,
    "ip" or "dot" => DistanceMetric.InnerProduct,
    "l2" or "euclidean" => DistanceMetric.SquaredL2,
    var other => throw new ArgumentException($"Unknown metric '{other}'."),
};
string elementName = a.Get("element", "f32");
VectorElementType element = elementName switch
{
    "f32" => VectorElementType.Float32,
    "f16" => VectorElementType.Float16,
    "i8" => VectorElementType.Int8,
    var other => throw new ArgumentException($"Unknown element type '{other}' (f32, f16, i8)."),
};
// --rerank: Int8 rows plus the f32 rows (exact index: the bounded exact scan; HNSW: links chosen and results scored on f32).
bool rerank = a.Has("rerank");
if (rerank && element != VectorElementType.Int8)
{
    throw new ArgumentException("--rerank needs --element i8.");
}

string elementColumn = rerank ? "i8+rerank" : elementName;
int threads = int.Parse(a.Get("threads", Environment.ProcessorCount.ToString(culture)), culture);
string[] modes = a.Get("mode", "single").Split(',');
int k = int.Parse(a.Get("k", "10"), culture);
int m = int.Parse(a.Get("M", "16"), culture);
int efc = int.Parse(a.Get("efc", "200"), culture);
int[] efs = a.Get("ef", "0").Split(',').Select(s => int.Parse(s, culture)).ToArray();

var (baseData, baseCount, dim) = TexmexReader.ReadFvecs(a.Get("base"));
var (queryData, queryCount, qdim) = TexmexReader.ReadFvecs(a.Get("query"), int.Parse(a.Get("queries", int.MaxValue.ToString(culture)), culture));
var (gt, gtCount, gtDim) = TexmexReader.ReadIvecs(a.Get("gt"));
if (qdim != dim || gtCount < queryCount || gtDim < k)
{
    throw new InvalidDataException("base, query and ground truth files do not match.");
}

Console.WriteLine($"# {Environment.MachineName} {Environment.ProcessorCount} cores, .NET {Environment.Version}, SIMD {DistanceKernels.IsHardwareAccelerated}; base {baseCount}x{dim}, queries {queryCount}, index {indexKind} {metric} {elementColumn}");

long[] keys = new long[baseCount];
for (int i = 0; i < baseCount; i++) keys[i] = i;
var sw = Stopwatch.StartNew();
IVectorIndex index;
double buildSeconds = 0;
if (a.Has("load"))
{
    // Query-only runs (A/B of search changes) reuse a saved graph instead of rebuilding it.
    index = VectorIndex.Load(a.Get("load"));
    Console.WriteLine($"# loaded {a.Get("load")} in {sw.Elapsed.TotalSeconds:F2} s, {index.Count} vectors");
}
else
{
    index = IndexFactory.Build(indexKind, dim, metric, element, rerank, m, efc, threads, keys, baseData);
    buildSeconds = sw.Elapsed.TotalSeconds;
    Console.WriteLine($"# built in {buildSeconds:F2} s, {index.Count} vectors");
}

if (a.Has("save"))
{
    index.Save(a.Get("save"));
    sw.Restart();
    index = VectorIndex.Load(a.Get("save"));
    Console.WriteLine($"# saved to {a.Get("save")} ({new FileInfo(a.Get("save")).Length / 1e6:F1} MB), loaded in {sw.Elapsed.TotalSeconds:F3} s");
}

index.MaxDegreeOfParallelism = threads; // a machine setting: not saved, so set again after a reload
// Bytes of vector data per vector as stored in memory (keys, flags and graph links not counted).
int bytesPerVector = element switch
{
    VectorElementType.Float32 => 4 * dim,
    VectorElementType.Float16 => 2 * dim,
    _ => dim + (rerank ? (4 * dim) + 8 : 0),
};
var rows = new List<string> { "index,metric,M,efc,ef,threads,mode,build_s,recall10,qps,element,bytes_per_vector" };
Console.WriteLine(rows[0]);
foreach (int ef in efs)
{
    var options = new SearchOptions { Ef = ef > 0 ? ef : null };
    foreach (string mode in modes)
    {
        SearchResult[][] results;
        TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        int usedThreads = mode == "single" ? 1 : threads;
        if (mode == "single")
        {
            results = new SearchResult[queryCount][];
            var buffer = new SearchResult[k];
            index.Search(queryData.AsSpan(0, dim), buffer, options); // warm-up
            sw.Restart();
            for (int q = 0; q < queryCount; q++)
            {
                int n = index.Search(queryData.AsSpan(q * dim, dim), buffer, options);
                results[q] = buffer.AsSpan(0, n).ToArray(); // outside the index; the copy is a few ns
            }
        }
        else
        {
            sw.Restart();
            results = index.SearchBatch(queryData.AsSpan(0, queryCount * dim), k, options);
        }

        double seconds = sw.Elapsed.TotalSeconds;
        // CPU time shows whether the machine was busy with something else: on a quiet machine cpu ~= wall x threads.
        double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        Console.WriteLine($"# ef {ef} {mode}: wall {seconds:F2} s, cpu {cpuSeconds:F2} s, {queryCount / cpuSeconds:F1} queries per cpu-second");
        double recall = Recall.AtK(results, gt, gtDim, k);
        string row = string.Join(',', indexKind, a.Get("metric", "cosine"), indexKind == "hnsw" ? m : 0, indexKind == "hnsw" ? efc : 0, ef,
            usedThreads, mode, buildSeconds.ToString("F2", culture), recall.ToString("F4", culture), (queryCount / seconds).ToString("F1", culture),
            elementColumn, bytesPerVector.ToString(culture));
        Console.WriteLine(row);
        rows.Add(row);
    }
}

if (a.Has("csv"))
{
    File.WriteAllLines(a.Get("csv"), rows);
}

return 0;

internal sealed class Args
{
    private readonly Dictionary<string, string> _values = new();

    public Args(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"Unexpected argument '{args[i]}'.");
            string name = args[i][2..];
            _values[name] = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "true";
        }
    }

    public bool Has(string name) => _values.ContainsKey(name);

    public string Get(string name, string? fallback = null)
        => _values.TryGetValue(name, out var v) ? v : fallback ?? throw new ArgumentException($"Missing --{name}.");
}
