// The ImageSearch.Orleans silo host and sample. Modes:
//   silo  --storage DIR --redis HOST:PORT [--cluster ID] [--silo-port N] [--gateway-port N]
//         one silo with Redis clustering, until killed (prints "silo ready" once started); what a deployment runs
//   local --storage DIR [--silos 3] [--shards 4] [--glove DIR | --count 20000 --dim 100]
//         N silos in this process (localhost clustering), loads GloVe-100 words or random vectors, answers queries
//         typed on stdin (a word with GloVe, anything for a random query); an empty line ends it
//   bench --storage DIR [--silos 2] [--count 100000] [--dim 100] [--kind hnsw|exact] [--queries 2000] [--concurrency 8]
//         q/s and p50/p99 of single searches for 1, 2 and 4 shards, and of a local index on the same data
using System.Diagnostics;
using System.Globalization;
using System.Net;
using ImageSearch;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

var a = Args.Parse(args);
switch (a.Mode)
{
    case "silo":
        await RunSiloAsync(a);
        break;
    case "local":
        await RunLocalAsync(a);
        break;
    case "bench":
        await RunBenchAsync(a);
        break;
    default:
        Console.Error.WriteLine("usage: ImageSearch.Orleans.Silo silo|local|bench [options] (see the top of Program.cs)");
        return 2;
}

return 0;

static async Task RunSiloAsync(Args a)
{
    string redis = a.Get("redis", "localhost:6379");
    using IHost host = new HostBuilder()
        .UseOrleans(silo => silo
            .UseRedisClustering(redis)
            .Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (a.Get("cluster", "imagesearch"), "imagesearch"))
            .ConfigureEndpoints(IPAddress.Loopback, a.Int("silo-port", 11111), a.Int("gateway-port", 30000))
            .Configure<ClusterMembershipOptions>(FastFailureDetection)
            .AddImageSearchShards(a.Get("storage", "shards")))
        .ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning))
        .Build();
    await host.StartAsync();
    Console.WriteLine("silo ready");
    await host.WaitForShutdownAsync();
}

static async Task RunLocalAsync(Args a)
{
    int shards = a.Int("shards", 4);
    await using var cluster = await LocalCluster.StartAsync(a.Int("silos", 3), a.Get("storage", "shards"));
    string? glove = a.GetOrNull("glove");
    (long[] keys, float[] vectors, int dim, IReadOnlyList<string>? words) = await LoadDataAsync(glove, a.Int("count", 20_000), a.Int("dim", 100));
    var index = await DistributedIndex.CreateOrOpenAsync(cluster.Client, "sample",
        new DistributedIndexOptions { ShardCount = shards, Dimension = dim, Kind = DistributedIndexKind.Hnsw });
    var timer = Stopwatch.StartNew();
    if (await index.CountAsync() == 0)
    {
        await index.AddRangeAsync(keys, vectors);
        await index.SnapshotAsync(); // the next start loads the graphs instead of rebuilding them from the log
    }

    Console.WriteLine($"{await index.CountAsync()} vectors in {shards} shards on {cluster.Silos} silos ({timer.Elapsed.TotalSeconds:F1} s)");
    foreach (ShardStatistics s in await index.GetShardStatisticsAsync())
    {
        Console.WriteLine($"  shard {s.Shard}: {s.Count} vectors, {s.MemoryBytes / 1e6:F1} MB, on {s.Silo}");
    }

    var random = new Random(1);
    while (Console.ReadLine() is { Length: > 0 } line)
    {
        float[] query = words is not null && IndexOf(words, line.Trim()) is int rank and >= 0
            ? vectors.AsSpan(rank * dim, dim).ToArray()
            : [.. Enumerable.Range(0, dim).Select(_ => (float)random.NextDouble() - 0.5f)];
        DistributedSearchResult result = await index.SearchAsync(query, 10);
        Console.WriteLine(string.Join(", ", result.Results.Select(r => $"{(words is null ? r.Key.ToString(CultureInfo.InvariantCulture) : words[(int)r.Key])} {r.Distance:F3}")));
    }
}

static int IndexOf(IReadOnlyList<string> words, string word)
{
    for (int i = 0; i < words.Count; i++)
    {
        if (words[i] == word)
        {
            return i;
        }
    }

    return -1;
}

static async Task RunBenchAsync(Args a)
{
    int count = a.Int("count", 100_000), dim = a.Int("dim", 100), nq = a.Int("queries", 2000), concurrency = a.Int("concurrency", 8);
    var kind = a.Get("kind", "hnsw") == "exact" ? DistributedIndexKind.Exact : DistributedIndexKind.Hnsw;
    (long[] keys, float[] vectors, _, _) = await LoadDataAsync(a.GetOrNull("glove"), count, dim);
    dim = vectors.Length / keys.Length;
    count = keys.Length;
    float[] queries = RandomVectors(nq, dim, seed: 2);
    Console.WriteLine($"{count} x {dim}-d, {kind}, {nq} single queries (k = 10) from {concurrency} concurrent callers, {Environment.ProcessorCount} cores");

    IVectorIndex local = kind == DistributedIndexKind.Exact ? new ExactIndex(dim) : new HnswIndex(dim);
    local.AddRange(keys, vectors);
    Report("local index", await MeasureAsync(nq, concurrency, q => Task.Run(() =>
    {
        var d = new SearchResult[10];
        local.Search(queries.AsSpan(q * dim, dim), d);
    })));

    await using var cluster = await LocalCluster.StartAsync(a.Int("silos", 2), a.Get("storage", "shards"));
    foreach (int shards in new[] { 1, 2, 4 })
    {
        string name = $"bench-{shards}-{Guid.NewGuid():N}";
        var index = await DistributedIndex.CreateAsync(cluster.Client, name, new DistributedIndexOptions { ShardCount = shards, Dimension = dim, Kind = kind });
        var load = Stopwatch.StartNew();
        await index.AddRangeAsync(keys, vectors);
        Console.WriteLine($"  {shards} shard(s): loaded in {load.Elapsed.TotalSeconds:F1} s");
        Report($"{shards} shard(s)", await MeasureAsync(nq, concurrency, q => index.SearchAsync(queries.AsMemory(q * dim, dim), 10)));
        await DistributedIndex.DeleteAsync(cluster.Client, name);
    }
}

static async Task<(double QueriesPerSecond, double P50Ms, double P99Ms)> MeasureAsync(int nq, int concurrency, Func<int, Task> search)
{
    for (int q = 0; q < Math.Min(nq, 100); q++)
    {
        await search(q); // warm-up
    }

    var latencies = new double[nq];
    int next = -1;
    var total = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
    {
        for (int q = Interlocked.Increment(ref next); q < nq; q = Interlocked.Increment(ref next))
        {
            long start = Stopwatch.GetTimestamp();
            await search(q);
            latencies[q] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
    }));
    double seconds = total.Elapsed.TotalSeconds;
    Array.Sort(latencies);
    return (nq / seconds, latencies[nq / 2], latencies[Math.Min(nq - 1, (int)(nq * 0.99))]);
}

static void Report(string what, (double Qps, double P50, double P99) m)
    => Console.WriteLine($"{what,-14} {m.Qps,9:F0} q/s   p50 {m.P50,7:F3} ms   p99 {m.P99,7:F3} ms");

static async Task<(long[] Keys, float[] Vectors, int Dim, IReadOnlyList<string>? Words)> LoadDataAsync(string? glove, int count, int dim)
{
    if (glove is not null)
    {
        WordVectors words = await Glove.OpenAsync(glove);
        int n = Math.Min(count, words.Count);
        var v = new float[n * words.Dimension];
        for (int i = 0; i < n; i++)
        {
            words.GetVector(i).CopyTo(v.AsSpan(i * words.Dimension));
        }

        return ([.. Enumerable.Range(0, n).Select(i => (long)i)], v, words.Dimension, words.Words);
    }

    return ([.. Enumerable.Range(0, count).Select(i => (long)i)], RandomVectors(count, dim, seed: 1), dim, null);
}

static float[] RandomVectors(int count, int dim, int seed)
{
    var random = new Random(seed);
    var v = new float[count * dim];
    for (int i = 0; i < v.Length; i++)
    {
        v[i] = (float)(random.NextDouble() - 0.5);
    }

    return v;
}

static void FastFailureDetection(ClusterMembershipOptions o)
{
    // A dead silo is declared dead in a few seconds instead of about a minute (fine on a LAN; see docs/scale-out.md).
    o.ProbeTimeout = TimeSpan.FromSeconds(2);
    o.NumMissedProbesLimit = 2;
    o.NumVotesForDeathDeclaration = 1;
    o.TableRefreshTimeout = TimeSpan.FromSeconds(2);
}

/// <summary>N silos in this process with localhost clustering (the first is the primary), and a client.</summary>
internal sealed class LocalCluster : IAsyncDisposable
{
    private readonly List<IHost> _hosts = [];
    private IHost? _clientHost;

    public int Silos => _hosts.Count;

    public IClusterClient Client => _clientHost!.Services.GetRequiredService<IClusterClient>();

    public static async Task<LocalCluster> StartAsync(int silos, string storage)
    {
        var cluster = new LocalCluster();
        var primary = new IPEndPoint(IPAddress.Loopback, 21111);
        for (int i = 0; i < silos; i++)
        {
            int n = i;
            IHost host = new HostBuilder()
                .UseOrleans(silo => silo
                    .UseLocalhostClustering(21111 + n, 31000 + n, primary)
                    .AddImageSearchShards(storage))
                .ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning))
                .Build();
            await host.StartAsync();
            cluster._hosts.Add(host);
        }

        cluster._clientHost = new HostBuilder()
            .UseOrleansClient(c => c.UseLocalhostClustering([.. Enumerable.Range(31000, silos)]))
            .ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning))
            .Build();
        await cluster._clientHost.StartAsync();
        return cluster;
    }

    public async ValueTask DisposeAsync()
    {
        if (_clientHost is not null)
        {
            await _clientHost.StopAsync();
            _clientHost.Dispose();
        }

        foreach (IHost host in Enumerable.Reverse(_hosts))
        {
            await host.StopAsync();
            host.Dispose();
        }
    }
}

/// <summary>"mode --name value ..." arguments.</summary>
internal sealed record Args(string Mode, Dictionary<string, string> Values)
{
    public static Args Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 1; i + 1 < args.Length; i += 2)
        {
            values[args[i].TrimStart('-')] = args[i + 1];
        }

        return new Args(args.Length > 0 ? args[0] : "", values);
    }

    public string Get(string name, string fallback) => Values.GetValueOrDefault(name, fallback);

    public string? GetOrNull(string name) => Values.GetValueOrDefault(name);

    public int Int(string name, int fallback) => Values.TryGetValue(name, out string? v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
