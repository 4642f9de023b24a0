using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;

namespace ImageSearch;

/// <summary>
/// A Microsoft.Extensions.VectorData <see cref="Microsoft.Extensions.VectorData.VectorStore"/> over ImageSearch's indexes:
/// embedded in the process, in memory or in a folder (one subfolder per collection, checksummed files written
/// atomically on every change), with one <see cref="HnswIndex"/> or <see cref="ExactIndex"/> per vector property.
/// </summary>
/// <remarks>
/// <para>Collections of the same name from one store share their data, so any number of collection objects may be used
/// at once. Open a folder with one store object per process: two stores on the same folder would each keep their own
/// copy and overwrite each other's files.</para>
/// <para>Thread-safety: every member may be called from several threads at once (see
/// <see cref="ImageSearchCollection{TKey, TRecord}"/> for how reads and writes interleave).</para>
/// <para>Collection names: 1 to 128 letters, digits, <c>-</c>, <c>_</c> or <c>.</c>, not starting with <c>.</c> (they
/// name folders).</para>
/// <para>Reading a folder: a collection's records file (<c>collection.isvd</c>) is read whole, so it must be under 2 GB;
/// it may declare at most 10,000 data and 10,000 vector properties, and as many records as its bytes can hold (checked
/// before anything is sized from the count). Its index files have the limits of
/// <see cref="VectorIndex.Load(Stream)"/>. A file past a limit, truncated or failing its CRC-32C is refused with
/// <see cref="InvalidDataException"/>.</para>
/// </remarks>
public sealed class ImageSearchVectorStore : Microsoft.Extensions.VectorData.VectorStore
{
    /// <summary>The system name reported in metadata and exceptions.</summary>
    internal const string SystemName = "imagesearch";

    private readonly ConcurrentDictionary<string, CollectionState> _states = new(StringComparer.Ordinal);
    private readonly ImageSearchVectorStoreOptions _options;
    private readonly VectorStoreMetadata _metadata;

    /// <summary>Creates a store; by default in memory (see <see cref="ImageSearchVectorStoreOptions"/>).</summary>
    /// <param name="options">The folder, the default embedding generator and HNSW parameters; <see langword="null"/> for an in-memory store.</param>
    public ImageSearchVectorStore(ImageSearchVectorStoreOptions? options = null)
    {
        _options = options ?? new ImageSearchVectorStoreOptions();
        if (_options.Folder is { } folder)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(folder, "options.Folder");
            Folder = Path.GetFullPath(folder);
        }

        _metadata = new VectorStoreMetadata { VectorStoreSystemName = SystemName, VectorStoreName = Folder };
    }

    /// <summary>Creates a store kept in <paramref name="folder"/> (created when the first collection is).</summary>
    /// <param name="folder">The store's folder.</param>
    public ImageSearchVectorStore(string folder)
        : this(new ImageSearchVectorStoreOptions { Folder = folder ?? throw new ArgumentNullException(nameof(folder)) })
    {
    }

    /// <summary>The store's folder (full path); <see langword="null"/> when it is in memory.</summary>
    public string? Folder { get; }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The name is not a valid collection name.</exception>
    /// <exception cref="NotSupportedException">The record type, its key type, a property type, a distance function or an
    /// index kind is not supported (the message names it).</exception>
    [RequiresDynamicCode("Record types are mapped by reflection; use GetDynamicCollection for NativeAOT.")]
    [RequiresUnreferencedCode("Record types are mapped by reflection; use GetDynamicCollection for trimmed apps.")]
    public override VectorStoreCollection<TKey, TRecord> GetCollection<TKey, TRecord>(string name, VectorStoreCollectionDefinition? definition = null)
    {
        ValidateName(name);
        CollectionModel model = ModelBuilder.BuildFor(typeof(TRecord), typeof(TKey), definition, _options.EmbeddingGenerator);
        return new ImageSearchCollection<TKey, TRecord>(this, State(name), model);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The name is not a valid collection name.</exception>
    /// <exception cref="NotSupportedException">A key or property type, a distance function or an index kind is not supported.</exception>
    public override VectorStoreCollection<object, Dictionary<string, object?>> GetDynamicCollection(string name, VectorStoreCollectionDefinition definition)
    {
        ValidateName(name);
        ArgumentNullException.ThrowIfNull(definition);
        CollectionModel model = ModelBuilder.BuildDynamicFor(definition, _options.EmbeddingGenerator);
        return new ImageSearchCollection<object, Dictionary<string, object?>>(this, State(name), model);
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<string> ListCollectionNamesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        if (Folder is not null && Directory.Exists(Folder))
        {
            foreach (string dir in Directory.EnumerateDirectories(Folder))
            {
                string name = Path.GetFileName(dir);
                if (IsValidName(name) && CollectionState.ExistsOnDisk(dir))
                {
                    names.Add(name);
                }
            }
        }

        foreach (CollectionState state in _states.Values)
        {
            state.EnterRead();
            try
            {
                if (state.Schema is null)
                {
                    names.Remove(state.Name);
                }
                else
                {
                    names.Add(state.Name);
                }
            }
            finally
            {
                state.ExitRead();
            }
        }

        foreach (string name in names)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return name;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override Task<bool> CollectionExistsAsync(string name, CancellationToken cancellationToken = default)
    {
        ValidateName(name);
        CollectionState state = State(name);
        state.EnterRead();
        try
        {
            return Task.FromResult(state.Schema is not null);
        }
        finally
        {
            state.ExitRead();
        }
    }

    /// <inheritdoc />
    public override Task EnsureCollectionDeletedAsync(string name, CancellationToken cancellationToken = default)
    {
        ValidateName(name);
        State(name).Drop();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(VectorStoreMetadata) ? _metadata
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    internal VectorStoreCollectionMetadata CollectionMetadata(string name)
        => new() { VectorStoreSystemName = SystemName, VectorStoreName = Folder, CollectionName = name };

    private CollectionState State(string name)
        => _states.GetOrAdd(name, n => new CollectionState(n, Folder is null ? null : Path.Combine(Folder, n), _options.Hnsw));

    private static void ValidateName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!IsValidName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid collection name: use 1 to 128 letters, digits, '-', '_' or '.', not starting with '.'.", nameof(name));
        }
    }

    private static bool IsValidName(string name)
        => name.Length is > 0 and <= 128 && name[0] != '.' && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
