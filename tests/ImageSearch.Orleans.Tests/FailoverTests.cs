using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Xunit.Abstractions;

namespace ImageSearch.Orleans.Tests;

/// <summary>
/// A silo killed while writers and readers on three clients add and search: every acknowledged add is found again, and searches
/// answer again within the client's documented wait (<see cref="DistributedIndexClientOptions.ShardTimeout"/>).
/// It has its own three-silo cluster, since it kills one.
/// </summary>
public sealed class FailoverTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Dim = 16;
    private readonly ClusterFixture _fixture = new(tcp: true);

    public Task InitializeAsync() => _fixture.InitializeAsync();

    public Task DisposeAsync() => _fixture.DisposeAsync();

    [Fact]
    public async Task KillingASiloUnderLoadLosesNoAcknowledgedAdd()
    {
        var clientOptions = new DistributedIndexClientOptions { ShardTimeout = TimeSpan.FromSeconds(30) };
        var created = await DistributedIndex.CreateAsync(_fixture.Grains, "failover",
            new DistributedIndexOptions { ShardCount = 9, Dimension = Dim, Kind = DistributedIndexKind.Hnsw, Hnsw = new HnswOptions { M = 8, EfConstruction = 40 } },
            clientOptions);
        // Two more cluster clients (own connections to every silo's gateway) besides the test cluster's.
        using IHost clientA = await StartClientAsync();
        using IHost clientB = await StartClientAsync();
        DistributedIndex[] clients =
        [
            created,
            await DistributedIndex.OpenAsync(clientA.Services.GetRequiredService<IClusterClient>(), "failover", clientOptions),
            await DistributedIndex.OpenAsync(clientB.Services.GetRequiredService<IClusterClient>(), "failover", clientOptions),
        ];
        var acknowledged = new ConcurrentBag<long>();
        var failures = new ConcurrentBag<Exception>();
        using var stop = new CancellationTokenSource();
        int batchesDone = 0;

        async Task WriterAsync(int writer)
        {
            DistributedIndex index = clients[writer % clients.Length];
            for (int batch = 0; !stop.IsCancellationRequested; batch++)
            {
                long[] keys = [.. Enumerable.Range(0, 50).Select(i => (writer * 10_000_000L) + (batch * 50L) + i)];
                float[] vectors = Data.Vectors(50, Dim, seed: (writer * 1000) + batch, duplicateEvery: 0);
                try
                {
                    await index.AddRangeAsync(keys, vectors);
                    foreach (long k in keys)
                    {
                        acknowledged.Add(k);
                    }
                }
                catch (Exception e)
                {
                    failures.Add(e); // not acknowledged: may or may not be there
                    await Task.Delay(100);
                }

                Interlocked.Increment(ref batchesDone);
            }
        }

        async Task ReaderAsync(DistributedIndex index)
        {
            float[] query = Data.Vectors(1, Dim, seed: 77, duplicateEvery: 0);
            while (!stop.IsCancellationRequested)
            {
                _ = await index.SearchAsync(query, 5); // waits for moving shards; throws past the timeout (fails the test)
            }
        }

        Task[] writers = [.. Enumerable.Range(1, 3).Select(WriterAsync)];
        Task[] readers = [ReaderAsync(clients[1]), ReaderAsync(clients[2])];
        while (Volatile.Read(ref batchesDone) < 30)
        {
            await Task.Delay(50);
        }

        // Kill the secondary silo that hosts the most shards (the primary holds the test cluster's membership table).
        IReadOnlyList<ShardStatistics> placement = await created.GetShardStatisticsAsync();
        var victim = _fixture.Cluster.SecondarySilos.MaxBy(s => placement.Count(p => p.Silo == s.SiloAddress.ToString()))!;
        int hosted = placement.Count(p => p.Silo == victim.SiloAddress.ToString());
        Assert.True(hosted > 0, $"no shard on a secondary silo: {string.Join(", ", placement.Select(p => p.Silo))}");
        output.WriteLine($"killing {victim.SiloAddress}, which hosts {hosted} of 9 shards");
        await _fixture.Cluster.KillSiloAsync(victim);
        int atKill = Volatile.Read(ref batchesDone);
        while (Volatile.Read(ref batchesDone) < atKill + 60)
        {
            await Task.Delay(50);
        }

        stop.Cancel();
        await Task.WhenAll(writers);
        await Task.WhenAll(readers);

        DistributedIndex index = clients[0];
        long[] acked = [.. acknowledged];
        output.WriteLine($"{acked.Length} keys acknowledged, {failures.Count} batches failed around the kill ({string.Join("; ", failures.Select(f => f.GetType().Name).Distinct())})");
        IReadOnlySet<long> present = await index.ContainsManyAsync(acked);
        long[] lost = [.. acked.Where(k => !present.Contains(k))];
        Assert.True(lost.Length == 0, $"{lost.Length} acknowledged keys lost (of {acked.Length}), e.g. {string.Join(", ", lost.Take(5))}");
        Assert.True(await index.CountAsync() >= acked.Length);
        DistributedSearchResult result = await index.SearchAsync(Data.Vectors(1, Dim, seed: 78, duplicateEvery: 0), 5);
        Assert.Equal(5, result.Results.Count);
        await clientA.StopAsync();
        await clientB.StopAsync();
    }

    private async Task<IHost> StartClientAsync()
    {
        var cluster = _fixture.Cluster;
        IHost host = new HostBuilder()
            .UseOrleansClient(c => c
                .UseStaticClustering([.. cluster.Silos.Select(s => s.GatewayAddress.Endpoint)])
                .Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (cluster.Options.ClusterId, cluster.Options.ServiceId))
                .Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(5)))
            .Build();
        await host.StartAsync();
        return host;
    }
}
