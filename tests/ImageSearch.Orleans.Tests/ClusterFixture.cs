using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace ImageSearch.Orleans.Tests;

/// <summary>
/// Three in-process silos sharing one folder storage in a temporary directory, with fast failure detection (a killed
/// silo is declared dead in a few seconds) so that the failure tests stay short.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public const string FolderKey = "ImageSearchTests:Folder";

    private readonly bool _tcp;

    /// <summary>Silos and client connected in memory (Orleans' TestingHost default).</summary>
    public ClusterFixture()
    {
    }

    /// <summary>With <paramref name="tcp"/>, over loopback TCP: other clients can connect to the gateways.</summary>
    internal ClusterFixture(bool tcp) => _tcp = tcp;

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "is-orleans-" + Guid.NewGuid().ToString("N"));

    public TestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Folder);
        var builder = new TestClusterBuilder(3);
        builder.Properties[FolderKey] = Folder;
        if (_tcp)
        {
            builder.Options.ConnectionTransport = ConnectionTransportType.TcpSocket;
        }

        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Single-threaded builds (deterministic HNSW graphs, so a replayed shard equals the original); background
    /// snapshots checked every second once a log passes 256 KiB (only the snapshot test's index gets there).</summary>
    public static readonly ShardHostOptions HostOptions = new()
    {
        MaxDegreeOfParallelism = 1,
        SnapshotCheckPeriod = TimeSpan.FromSeconds(1),
        SnapshotAfterLogBytes = 256 << 10,
    };

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        // A call to a killed silo fails after 5 s instead of Orleans' default 30 s.
        public void Configure(Microsoft.Extensions.Configuration.IConfiguration configuration, IClientBuilder clientBuilder)
            => clientBuilder.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(5));
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            string folder = siloBuilder.Configuration[FolderKey]!;
            siloBuilder.AddImageSearchShards(new GatedStorage(new FolderShardStorage(folder)), HostOptions);
            siloBuilder.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
                o.TableRefreshTimeout = TimeSpan.FromSeconds(1);
                o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(2);
            });
        }
    }
}

/// <summary>
/// Storage whose reads for chosen shards wait on a gate: a shard that cannot finish activating, as when its silo died
/// and its storage is slow. Static, since the in-process silos build their own instance.
/// </summary>
internal sealed class GatedStorage(IShardStorage inner) : IShardStorage
{
    private static readonly object Sync = new();
    private static readonly Dictionary<string, TaskCompletionSource> Gates = [];

    /// <summary>Holds every read under <paramref name="prefix"/> until the returned object is disposed.</summary>
    public static IDisposable Close(string prefix)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (Sync)
        {
            Gates[prefix] = gate;
        }

        return new Opener(prefix, gate);
    }

    private static Task WaitAsync(string name)
    {
        lock (Sync)
        {
            foreach ((string prefix, TaskCompletionSource gate) in Gates)
            {
                if (name.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return gate.Task;
                }
            }
        }

        return Task.CompletedTask;
    }

    public async Task<Stream?> OpenReadAsync(string name, CancellationToken cancellationToken)
    {
        await WaitAsync(name);
        return await inner.OpenReadAsync(name, cancellationToken);
    }

    public async Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken cancellationToken)
    {
        await WaitAsync(prefix);
        return await inner.ListAsync(prefix, cancellationToken);
    }

    public Task WriteAtomicAsync(string name, Action<Stream> write, CancellationToken cancellationToken) => inner.WriteAtomicAsync(name, write, cancellationToken);

    public Task<IShardLogAppender> CreateAppendAsync(string name, CancellationToken cancellationToken) => inner.CreateAppendAsync(name, cancellationToken);

    public Task DeleteAsync(string name, CancellationToken cancellationToken) => inner.DeleteAsync(name, cancellationToken);

    private sealed class Opener(string prefix, TaskCompletionSource gate) : IDisposable
    {
        public void Dispose()
        {
            lock (Sync)
            {
                Gates.Remove(prefix);
            }

            gate.TrySetResult();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "orleans cluster";
}
