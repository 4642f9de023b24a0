using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Xunit.Abstractions;

namespace ImageSearch.Orleans.Tests;

/// <summary>
/// Separate silo processes (samples/ImageSearch.Orleans.Silo) with Redis clustering, a redis-server this test starts on
/// a free port: one silo is killed with SIGKILL in the middle of a load, and every acknowledged add must be found
/// afterwards (the test fails if one is lost). Skipped, saying why, only where redis-server is not installed.
/// </summary>
public sealed class MultiProcessTests(ITestOutputHelper output)
{
    private const int Dim = 16;

    [RedisFact]
    public async Task SigkillOfASiloProcessLosesNoAcknowledgedAdd()
    {
        string folder = Path.Combine(Path.GetTempPath(), "is-orleans-mp-" + Guid.NewGuid().ToString("N"));
        string clusterId = "mp-" + Guid.NewGuid().ToString("N")[..8];
        var processes = new List<Process>();
        var clock = Stopwatch.StartNew();
        try
        {
            int redisPort = FreePort();
            Process redis = Start(RedisFactAttribute.RedisServer!, ["--port", $"{redisPort}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
            processes.Add(redis);
            await WaitForRedisAsync(redisPort);
            string redisAddress = $"127.0.0.1:{redisPort}";

            string silo = Path.Combine(AppContext.BaseDirectory, "ImageSearch.Orleans.Silo.dll");
            string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
            var silos = new List<Process>();
            var siloPorts = new List<int>();
            for (int i = 0; i < 3; i++)
            {
                int port = FreePort();
                Process p = Start(dotnet, [silo, "silo", "--redis", redisAddress, "--cluster", clusterId, "--storage", folder,
                    "--silo-port", $"{port}", "--gateway-port", $"{FreePort()}"]);
                processes.Add(p);
                silos.Add(p);
                siloPorts.Add(port);
            }

            foreach (Process p in silos)
            {
                await WaitForLineAsync(p, "silo ready", TimeSpan.FromSeconds(90));
            }

            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: redis and 3 silos up");
            using IHost client = new HostBuilder()
                .UseOrleansClient(c => c.UseRedisClustering(redisAddress)
                    .Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (clusterId, "imagesearch"))
                    .Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(5))) // a call to the killed silo fails in 5 s, not 30
                .Build();
            await client.StartAsync();
            IClusterClient grains = client.Services.GetRequiredService<IClusterClient>();
            var index = await DistributedIndex.CreateAsync(grains, "mp",
                new DistributedIndexOptions { ShardCount = 6, Dimension = Dim, Kind = DistributedIndexKind.Exact },
                new DistributedIndexClientOptions { ShardTimeout = TimeSpan.FromSeconds(60) });

            var acknowledged = new ConcurrentBag<long>();
            int failed = 0, batches = 0;
            using var stop = new CancellationTokenSource();
            async Task WriterAsync(int writer)
            {
                for (int batch = 0; !stop.IsCancellationRequested; batch++)
                {
                    long[] keys = [.. Enumerable.Range(0, 100).Select(i => (writer * 100_000_000L) + (batch * 100L) + i)];
                    try
                    {
                        await index.AddRangeAsync(keys, Data.Vectors(100, Dim, seed: batch, duplicateEvery: 0));
                        foreach (long k in keys)
                        {
                            acknowledged.Add(k);
                        }
                    }
                    catch (Exception)
                    {
                        Interlocked.Increment(ref failed); // not acknowledged
                        await Task.Delay(200);
                    }

                    Interlocked.Increment(ref batches);
                }
            }

            Task[] writers = [.. Enumerable.Range(1, 3).Select(WriterAsync)];
            while (Volatile.Read(ref batches) < 40 && !writers.Any(w => w.IsCompleted))
            {
                await Task.Delay(20);
            }

            // Kill the silo that hosts the most shards, so that shards must come back elsewhere from storage.
            IReadOnlyList<ShardStatistics> placement = await index.GetShardStatisticsAsync();
            int victim = Enumerable.Range(0, silos.Count).MaxBy(i => placement.Count(p => p.Silo.Contains($":{siloPorts[i]}:", StringComparison.Ordinal)));
            int hosted = placement.Count(p => p.Silo.Contains($":{siloPorts[victim]}:", StringComparison.Ordinal));
            Assert.True(hosted > 0, $"no shard on any silo? {string.Join(", ", placement.Select(p => p.Silo))}");
            silos[victim].Kill(); // SIGKILL: no shutdown, no flush
            int atKill = Volatile.Read(ref batches);
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: killed silo process {silos[victim].Id} (hosting {hosted} of 6 shards) after {atKill} batches");
            var deadline = Stopwatch.StartNew();
            while (Volatile.Read(ref batches) < atKill + 60 && deadline.Elapsed < TimeSpan.FromSeconds(90))
            {
                await Task.Delay(50);
            }

            stop.Cancel();
            await Task.WhenAll(writers);
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: load stopped after {Volatile.Read(ref batches)} batches");
            long[] acked = [.. acknowledged];
            IReadOnlySet<long> present = await index.ContainsManyAsync(acked);
            long[] lost = [.. acked.Where(k => !present.Contains(k))];
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: {acked.Length} keys acknowledged, {failed} batches failed, {lost.Length} lost");
            Assert.True(lost.Length == 0, $"{lost.Length} acknowledged keys lost (of {acked.Length}), e.g. {string.Join(", ", lost.Take(5))}");
            Assert.True(Volatile.Read(ref batches) >= atKill + 60, "the load did not go on after the kill");
            Assert.True(await index.CountAsync() >= acked.Length);
            IReadOnlyList<ShardStatistics> after = await index.GetShardStatisticsAsync();
            Assert.DoesNotContain(after, p => p.Silo.Contains($":{siloPorts[victim]}:", StringComparison.Ordinal)); // all moved
            await client.StopAsync();
        }
        finally
        {
            foreach (Process p in processes)
            {
                try
                {
                    p.Kill(entireProcessTree: true);
                    p.WaitForExit(10_000);
                }
                catch (InvalidOperationException)
                {
                }

                p.Dispose();
            }

            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private Process Start(string file, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        var p = Process.Start(psi)!;
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Lines.Add($"[{p.Id} err] {e.Data}");
            }
        };
        p.BeginErrorReadLine();
        return p;
    }

    private ConcurrentBag<string> Lines { get; } = [];

    private static async Task WaitForLineAsync(Process p, string line, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (await p.StandardOutput.ReadLineAsync(cts.Token) is { } read)
        {
            if (read.Contains(line, StringComparison.Ordinal))
            {
                _ = Task.Run(() => p.StandardOutput.ReadToEndAsync()); // keep draining
                return;
            }
        }

        throw new InvalidOperationException($"process {p.Id} exited before printing '{line}'");
    }

    private static async Task WaitForRedisAsync(int port)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(20))
            {
                await Task.Delay(100);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>Skipped, with the reason, where redis-server is not installed.</summary>
public sealed class RedisFactAttribute : FactAttribute
{
    public static readonly string? RedisServer = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(d => Path.Combine(d, "redis-server"))
        .FirstOrDefault(File.Exists);

    public RedisFactAttribute()
    {
        if (RedisServer is null)
        {
            Skip = "redis-server is not installed (Debian: apt-get install redis-server); the multi-process test needs it for Orleans' Redis clustering.";
        }
    }
}
