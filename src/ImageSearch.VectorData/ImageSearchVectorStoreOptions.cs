using Microsoft.Extensions.AI;

namespace ImageSearch;

/// <summary>Settings of an <see cref="ImageSearchVectorStore"/>. Immutable.</summary>
public sealed record ImageSearchVectorStoreOptions
{
    /// <summary>
    /// The folder the store keeps its collections in (one subfolder per collection, created when needed);
    /// <see langword="null"/> (the default) keeps everything in memory, gone when the store is.
    /// </summary>
    public string? Folder { get; init; }

    /// <summary>
    /// The embedding generator for vector properties whose records hold a <see cref="string"/> or a
    /// <see cref="DataContent"/> (and for searches by such values), unless the property or the collection's definition
    /// sets its own. <see langword="null"/> by default.
    /// </summary>
    public IEmbeddingGenerator? EmbeddingGenerator { get; init; }

    /// <summary>
    /// Graph parameters of the HNSW indexes this store creates (vector properties with <c>IndexKind.Hnsw</c>, the
    /// default); <see langword="null"/> for <see cref="HnswOptions"/>' defaults. Existing collections keep the
    /// parameters they were built with.
    /// </summary>
    public HnswOptions? Hnsw { get; init; }
}
