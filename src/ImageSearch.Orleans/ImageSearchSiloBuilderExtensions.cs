using Microsoft.Extensions.DependencyInjection;

namespace ImageSearch;

/// <summary>Hosts the shards of distributed indexes (<see cref="DistributedIndex"/>) in an Orleans silo.</summary>
/// <remarks>Thread-safety: call while building the silo.</remarks>
public static class ImageSearchSiloBuilderExtensions
{
    /// <summary>Lets this silo host shards, keeping them in <paramref name="storage"/>, which every silo of the cluster must reach.</summary>
    /// <param name="builder">The silo builder.</param>
    /// <param name="storage">Where manifests, snapshots and logs are kept (the same for every silo).</param>
    /// <param name="options">Snapshot and thread settings; <see langword="null"/> for the defaults.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static ISiloBuilder AddImageSearchShards(this ISiloBuilder builder, IShardStorage storage, ShardHostOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(storage);
        _ = builder.Services.AddSingleton(storage).AddSingleton(options ?? new ShardHostOptions());
        return builder;
    }

    /// <summary>Lets this silo host shards, keeping them in a folder (<see cref="FolderShardStorage"/>): a local one for
    /// a single machine, a shared network file system for a cluster.</summary>
    /// <param name="builder">The silo builder.</param>
    /// <param name="folder">The root folder, the same for every silo.</param>
    /// <param name="options">Snapshot and thread settings; <see langword="null"/> for the defaults.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static ISiloBuilder AddImageSearchShards(this ISiloBuilder builder, string folder, ShardHostOptions? options = null)
        => builder.AddImageSearchShards(new FolderShardStorage(folder), options);
}
