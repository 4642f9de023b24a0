using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;

namespace ImageSearch;

/// <summary>
/// A collection of an <see cref="ImageSearchVectorStore"/>, from <see cref="ImageSearchVectorStore.GetCollection{TKey, TRecord}"/>
/// or <see cref="ImageSearchVectorStore.GetDynamicCollection"/>. Records map to internal <see cref="long"/> ids, the
/// keys of one index per vector property; data properties are kept beside them.
/// </summary>
/// <typeparam name="TKey"><see cref="Guid"/>, <see cref="string"/>, <see cref="int"/> or <see cref="long"/>
/// (<see cref="object"/> for dynamic collections).</typeparam>
/// <typeparam name="TRecord">An attribute-annotated class, a class described by a
/// <see cref="VectorStoreCollectionDefinition"/>, or <c>Dictionary&lt;string, object?&gt;</c>.</typeparam>
/// <remarks>
/// <para>Thread-safety: every member may be called from several threads at once. Reads (gets and searches) run in
/// parallel; writes (upserts, deletes) to a collection are serialised; a write blocks reads only while it changes
/// memory, not while it writes its files. A read sees a write entirely or not at all.</para>
/// <para>Writes are persisted before they return (in a store with a folder): each write call rewrites the collection's
/// files, so upsert in batches. A batch is validated whole before anything changes.</para>
/// <para>Searches: filters run inside the index search (HNSW evaluates them for every node it visits), scores are in the
/// direction of the vector property's distance function, <c>Skip</c> is applied after the top <c>top + Skip</c> are
/// found.</para>
/// </remarks>
public sealed class ImageSearchCollection<TKey, TRecord> : VectorStoreCollection<TKey, TRecord>
    where TKey : notnull
    where TRecord : class
{
    private readonly ImageSearchVectorStore _store;
    private readonly CollectionState _state;
    private readonly CollectionModel _model;
    private readonly CollectionSchema _schema;
    private readonly VectorStoreCollectionMetadata _metadata;
    private readonly RecordAccessors<TRecord> _accessors;
    private Binding? _binding;

    internal ImageSearchCollection(ImageSearchVectorStore store, CollectionState state, CollectionModel model)
    {
        _store = store;
        _state = state;
        _model = model;
        _schema = CollectionSchema.FromModel(model);
        _metadata = store.CollectionMetadata(state.Name);
        _accessors = new RecordAccessors<TRecord>(model);
    }

    /// <inheritdoc />
    public override string Name => _state.Name;

    /// <inheritdoc />
    public override Task<bool> CollectionExistsAsync(CancellationToken cancellationToken = default)
    {
        _state.EnterRead();
        try
        {
            return Task.FromResult(_state.Schema is not null);
        }
        finally
        {
            _state.ExitRead();
        }
    }

    /// <inheritdoc />
    /// <exception cref="VectorStoreException">The collection exists with another schema (the message lists the differences), or its files cannot be read or written.</exception>
    public override Task EnsureCollectionExistsAsync(CancellationToken cancellationToken = default)
    {
        CollectionSchema existing = _state.Create(_schema);
        if (!ReferenceEquals(existing, _schema))
        {
            Bind(existing, "EnsureCollectionExists");
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task EnsureCollectionDeletedAsync(CancellationToken cancellationToken = default)
    {
        _state.Drop();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task<TRecord?> GetAsync(TKey key, RecordRetrievalOptions? options = null, CancellationToken cancellationToken = default)
    {
        object k = CheckKey(key);
        bool vectors = IncludeVectors(options?.IncludeVectors ?? false);
        _state.EnterRead();
        try
        {
            if (_state.Schema is not { } schema || !_state.TryGetId(k, out int id))
            {
                return Task.FromResult<TRecord?>(null);
            }

            return Task.FromResult<TRecord?>(Materialize(id, _state.Record(id)!, vectors, Bind(schema, "Get")));
        }
        finally
        {
            _state.ExitRead();
        }
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<TRecord> GetAsync(IEnumerable<TKey> keys, RecordRetrievalOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        object[] ks = keys.Select(CheckKey).ToArray();
        bool vectors = IncludeVectors(options?.IncludeVectors ?? false);
        var found = new List<TRecord>(ks.Length);
        _state.EnterRead();
        try
        {
            if (_state.Schema is { } schema)
            {
                Binding b = Bind(schema, "Get");
                foreach (object k in ks)
                {
                    if (_state.TryGetId(k, out int id))
                    {
                        found.Add(Materialize(id, _state.Record(id)!, vectors, b));
                    }
                }
            }
        }
        finally
        {
            _state.ExitRead();
        }

        foreach (TRecord record in found)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return record;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">A part of the filter or an ordering cannot be translated (the message names it).</exception>
    public override async IAsyncEnumerable<TRecord> GetAsync(Expression<Func<TRecord, bool>> filter, int top,
        FilteredRecordRetrievalOptions<TRecord>? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(top);
        options ??= new FilteredRecordRetrievalOptions<TRecord>();
        ArgumentOutOfRangeException.ThrowIfNegative(options.Skip, "options.Skip");
        bool vectors = IncludeVectors(options.IncludeVectors);
        var found = new List<TRecord>();
        _state.EnterRead();
        try
        {
            if (_state.Schema is { } schema)
            {
                Binding b = Bind(schema, "Get");
                Func<StoredRecord, bool> predicate = FilterCompiler.Compile(filter, _model, p => Accessor(p, b));
                IEnumerable<(int Id, StoredRecord Record)> matches = _state.Records().Where(x => predicate(x.Record));
                if (options.OrderBy is { } orderBy)
                {
                    var sorts = orderBy(new FilteredRecordRetrievalOptions<TRecord>.OrderByDefinition()).Values;
                    IOrderedEnumerable<(int Id, StoredRecord Record)>? ordered = null;
                    foreach (var sort in sorts)
                    {
                        PropertyModel property = _model.GetDataOrKeyProperty(sort.PropertySelector);
                        Func<StoredRecord, object?> get = Accessor(property, b);
                        Func<(int Id, StoredRecord Record), object?> keyOf = x => get(x.Record);
                        ordered = ordered is null
                            ? (sort.Ascending ? matches.OrderBy(keyOf, Comparer<object?>.Default) : matches.OrderByDescending(keyOf, Comparer<object?>.Default))
                            : (sort.Ascending ? ordered.ThenBy(keyOf, Comparer<object?>.Default) : ordered.ThenByDescending(keyOf, Comparer<object?>.Default));
                    }

                    matches = ordered ?? matches;
                }

                foreach ((int id, StoredRecord record) in matches.Skip(options.Skip).Take(top))
                {
                    found.Add(Materialize(id, record, vectors, b));
                }
            }
        }
        finally
        {
            _state.ExitRead();
        }

        foreach (TRecord record in found)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return record;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override Task DeleteAsync(TKey key, CancellationToken cancellationToken = default)
    {
        _state.Delete([CheckKey(key)], "Delete");
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task DeleteAsync(IEnumerable<TKey> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _state.Delete(keys.Select(CheckKey).ToArray(), "Delete");
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The record has no key, a value of the wrong type, or a vector of the wrong
    /// length, with a NaN or infinite element, or zero under a cosine function; nothing is stored.</exception>
    /// <exception cref="VectorStoreException">The collection does not exist, or its files cannot be written.</exception>
    public override Task UpsertAsync(TRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        return UpsertAsync([record], cancellationToken);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">See <see cref="UpsertAsync(TRecord, CancellationToken)"/>; nothing of the batch is stored.</exception>
    /// <exception cref="VectorStoreException">The collection does not exist, or its files cannot be written.</exception>
    public override async Task UpsertAsync(IEnumerable<TRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        List<TRecord> list = records.ToList();
        if (list.Any(r => r is null))
        {
            throw new ArgumentException("A record is null.", nameof(records));
        }

        if (list.Count == 0)
        {
            return;
        }

        // Embeddings first, outside any lock: one batch call per generated vector property.
        var generated = new float[]?[_model.VectorProperties.Count][];
        for (int v = 0; v < _model.VectorProperties.Count; v++)
        {
            VectorPropertyModel property = _model.VectorProperties[v];
            if (!NeedsGeneration(property))
            {
                continue;
            }

            var inputs = new List<(int Row, object Value)>();
            for (int j = 0; j < list.Count; j++)
            {
                if (_accessors.GetVectors[v](list[j]) is { } input)
                {
                    inputs.Add((j, input));
                }
            }

            generated[v] = new float[]?[list.Count];
            if (inputs.Count > 0)
            {
                IReadOnlyList<Embedding> embeddings = await property.GenerateEmbeddingsAsync(inputs.Select(x => x.Value), cancellationToken).ConfigureAwait(false);
                if (embeddings.Count != inputs.Count)
                {
                    throw new InvalidOperationException($"The embedding generator of property '{property.ModelName}' returned {embeddings.Count} embeddings for {inputs.Count} inputs.");
                }

                for (int i = 0; i < inputs.Count; i++)
                {
                    generated[v][inputs[i].Row] = ((Embedding<float>)embeddings[i]).Vector.ToArray();
                }
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        CollectionSchema schema;
        Binding b;
        _state.EnterRead();
        try
        {
            schema = _state.Schema ?? throw _state.Missing("Upsert");
            b = Bind(schema, "Upsert");
        }
        finally
        {
            _state.ExitRead();
        }

        // Validate and convert everything before the store changes; a later duplicate key replaces an earlier one.
        // Keys checked by type in Prepare, so the map is typed (no boxed keys to hash and compare) except for dynamic records.
        var pending = new List<PendingRecord>(list.Count);
        var rowOfKey = new Dictionary<TKey, int>(list.Count);
        for (int j = 0; j < list.Count; j++)
        {
            PendingRecord p = Prepare(list[j], j, generated, schema, b);
            ref int row = ref CollectionsMarshal.GetValueRefOrAddDefault(rowOfKey, (TKey)p.Record.Key, out bool duplicate);
            if (duplicate)
            {
                pending[row] = p;
            }
            else
            {
                row = pending.Count;
                pending.Add(p);
            }
        }

        _state.Upsert(pending, schema, "Upsert");
    }

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">The search value is not a vector and no embedding generator accepts it, or a part of the filter cannot be translated.</exception>
    public override async IAsyncEnumerable<VectorSearchResult<TRecord>> SearchAsync<TInput>(TInput searchValue, int top,
        VectorSearchOptions<TRecord>? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(searchValue);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(top);
        options ??= new VectorSearchOptions<TRecord>();
        ArgumentOutOfRangeException.ThrowIfNegative(options.Skip, "options.Skip");
        bool vectors = IncludeVectors(options.IncludeVectors);
        VectorPropertyModel property = _model.GetVectorPropertyOrSingle(options);
        ReadOnlyMemory<float> query = searchValue switch
        {
            ReadOnlyMemory<float> m => m,
            float[] a => a,
            Embedding<float> e => e.Vector,
            _ when property.EmbeddingGenerationDispatcher is not null
                => ((Embedding<float>)await property.GenerateEmbeddingAsync(searchValue, cancellationToken).ConfigureAwait(false)).Vector,
            _ => throw new NotSupportedException(VectorDataStrings.InvalidSearchInputAndNoEmbeddingGeneratorWasConfigured(typeof(TInput), ModelBuilder.SupportedVectors)),
        };

        List<VectorSearchResult<TRecord>> results = Search(query.Span, top, options, property, vectors);
        foreach (VectorSearchResult<TRecord> result in results)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return result;
        }
    }

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(VectorStoreCollectionMetadata) ? _metadata
            : serviceType == typeof(ImageSearchVectorStore) ? _store
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    private List<VectorSearchResult<TRecord>> Search(ReadOnlySpan<float> query, int top, VectorSearchOptions<TRecord> options,
        VectorPropertyModel property, bool vectors)
    {
        int k = checked(top + options.Skip);
        var results = new List<VectorSearchResult<TRecord>>(top);
        _state.EnterRead();
        try
        {
            if (_state.Schema is not { } schema)
            {
                return results; // nothing to find in a collection that does not exist
            }

            Binding b = Bind(schema, "Search");
            int slot = b.Vectors[IndexOf(_model.VectorProperties, property)];
            IVectorIndex index = _state.Index(slot);
            if (index.Count == 0)
            {
                return results;
            }

            SearchOptions? searchOptions = null;
            if (options.Filter is { } filter)
            {
                Func<StoredRecord, bool> predicate = FilterCompiler.Compile(filter, _model, p => Accessor(p, b));
                CollectionState state = _state;
                searchOptions = new SearchOptions { Filter = id => state.Record((int)id) is { } r && predicate(r) };
            }

            var hits = new SearchResult[Math.Min(k, index.Count)];
            int n = index.Search(query, hits, searchOptions);
            string function = schema.Vectors[slot].DistanceFunction;
            for (int i = options.Skip; i < n; i++)
            {
                double score = VectorScoring.Score(function, hits[i].Distance);
                if (options.ScoreThreshold is { } threshold && !VectorScoring.PassesThreshold(function, score, threshold))
                {
                    break; // hits are ordered, so no later one passes either
                }

                int id = (int)hits[i].Key;
                results.Add(new VectorSearchResult<TRecord>(Materialize(id, _state.Record(id)!, vectors, b), score));
            }

            return results;
        }
        finally
        {
            _state.ExitRead();
        }
    }

    private PendingRecord Prepare(TRecord record, int row, float[]?[][] generated, CollectionSchema schema, Binding b)
    {
        KeyPropertyModel keyProperty = _model.KeyProperty;
        object? key = _accessors.GetKey(record);
        if (keyProperty.IsAutoGenerated && keyProperty.Type == typeof(Guid) && (key is null || key is Guid g && g == Guid.Empty))
        {
            key = Guid.NewGuid();
            keyProperty.SetValueAsObject(record, key);
        }

        if (key is null)
        {
            throw new ArgumentException($"Record {row} has no key ('{keyProperty.ModelName}' is null).", "records");
        }

        key = CheckKey(key);
        var data = new object?[schema.Data.Length];
        for (int i = 0; i < _model.DataProperties.Count; i++)
        {
            DataPropertyModel property = _model.DataProperties[i];
            int slot = b.Data[i];
            data[slot] = StoredTypes.ToStored(_accessors.GetData[i](record), schema.Data[slot].Type, property.ModelName);
        }

        var vectors = new ReadOnlyMemory<float>[schema.Vectors.Length];
        var norms = new float[schema.Vectors.Length];
        norms.AsSpan().Fill(float.NaN);
        for (int v = 0; v < _model.VectorProperties.Count; v++)
        {
            VectorPropertyModel property = _model.VectorProperties[v];
            int slot = b.Vectors[v];

            // Not copied: the index copies it while this call holds the batch (no await between here and the index).
            ReadOnlyMemory<float> vector;
            if (generated[v] is { } g2)
            {
                if (g2[row] is not { } embedding)
                {
                    continue;
                }

                vector = embedding;
            }
            else if (_accessors.GetMemories[v] is { } memory)
            {
                vector = memory(record);
            }
            else
            {
                switch (_accessors.GetVectors[v](record))
                {
                    case null:
                        continue;
                    case ReadOnlyMemory<float> m:
                        vector = m;
                        break;
                    case float[] a:
                        vector = a;
                        break;
                    case Embedding<float> e:
                        vector = e.Vector;
                        break;
                    case var other:
                        throw new ArgumentException($"Vector property '{property.ModelName}' of the record with key '{key}' holds a {other.GetType().Name}.", "records");
                }
            }

            VectorSchema vs = schema.Vectors[slot];
            if (vector.Length != vs.Dimensions)
            {
                throw new ArgumentException($"Vector property '{property.ModelName}' of the record with key '{key}' has {vector.Length} elements; {vs.Dimensions} expected.", "records");
            }

            bool cosine = VectorScoring.Metric(vs.DistanceFunction) == DistanceMetric.Cosine;
            double sum = SumOfSquares(vector.Span, property.ModelName, key);
            if (cosine && !(sum > 0))
            {
                throw new ArgumentException($"Vector property '{property.ModelName}' of the record with key '{key}' is zero, which has no direction under {vs.DistanceFunction}.", "records");
            }

            vectors[slot] = vector;
            norms[slot] = cosine ? (float)Math.Sqrt(sum) : 1f;
        }

        return new PendingRecord(new StoredRecord(key, data, norms), vectors);
    }

    /// <summary>The vector's squared length; throws for a NaN or infinite element.</summary>
    private static double SumOfSquares(ReadOnlySpan<float> vector, string property, object key)
    {
        // SIMD in float first; the exact double loop only when that overflows, underflows to zero, or meets NaN/infinity.
        float fast = System.Numerics.Tensors.TensorPrimitives.SumOfSquares(vector);
        if (float.IsFinite(fast) && fast > 0)
        {
            return fast;
        }

        double sum = 0;
        foreach (float x in vector)
        {
            if (!float.IsFinite(x))
            {
                throw new ArgumentException($"Vector property '{property}' of the record with key '{key}' has a NaN or infinite element.", "records");
            }

            sum += (double)x * x;
        }

        return sum;
    }

    private TRecord Materialize(int id, StoredRecord stored, bool includeVectors, Binding b)
    {
        TRecord record = _accessors.Create();
        _accessors.Key(record, stored.Key);
        for (int i = 0; i < _accessors.Data.Length; i++)
        {
            _accessors.Data[i](record, StoredTypes.FromStored(stored.Data[b.Data[i]], _model.DataProperties[i].Type));
        }

        if (includeVectors)
        {
            for (int v = 0; v < _model.VectorProperties.Count; v++)
            {
                int slot = b.Vectors[v];
                if (!stored.HasVector(slot))
                {
                    continue;
                }

                VectorPropertyModel property = _model.VectorProperties[v];
                IVectorIndex index = _state.Index(slot);
                var vector = new float[index.Dimension];
                index.TryGetVector(id, vector);
                float norm = stored.Norms[slot];
                if (norm != 1f)
                {
                    // Cosine indexes keep unit vectors; give back the length the record came with.
                    for (int i = 0; i < vector.Length; i++)
                    {
                        vector[i] *= norm;
                    }
                }

                Type t = Nullable.GetUnderlyingType(property.Type) ?? property.Type;
                _accessors.Vectors[v](record, t == typeof(float[]) ? vector : t == typeof(Embedding<float>) ? new Embedding<float>(vector) : new ReadOnlyMemory<float>(vector));
            }
        }

        return record;
    }

    private static int IndexOf(IReadOnlyList<VectorPropertyModel> properties, VectorPropertyModel property)
    {
        for (int i = 0; i < properties.Count; i++)
        {
            if (ReferenceEquals(properties[i], property))
            {
                return i;
            }
        }

        throw new InvalidOperationException($"Vector property '{property.ModelName}' is not in the model.");
    }

    private static bool NeedsGeneration(VectorPropertyModel property)
    {
        Type t = Nullable.GetUnderlyingType(property.Type) ?? property.Type;
        return t != typeof(ReadOnlyMemory<float>) && t != typeof(float[]) && t != typeof(Embedding<float>);
    }

    private bool IncludeVectors(bool requested)
        => requested && _model.EmbeddingGenerationRequired
            ? throw new NotSupportedException(VectorDataStrings.IncludeVectorsNotSupportedWithEmbeddingGeneration)
            : requested;

    private object CheckKey(object? key)
    {
        ArgumentNullException.ThrowIfNull(key);
        Type expected = _model.KeyProperty.Type;
        if (key.GetType() != expected)
        {
            throw new ArgumentException($"Key '{key}' is a {key.GetType().Name}; collection '{Name}' has {expected.Name} keys.", nameof(key));
        }

        return key;
    }

    private object CheckKey(TKey key) => CheckKey((object?)key);

    private static Func<StoredRecord, object?> Accessor(PropertyModel property, Binding b)
    {
        if (property is KeyPropertyModel)
        {
            return r => r.Key;
        }

        int slot = b.DataSlots[property.ModelName];
        return r => r.Data[slot];
    }

    /// <summary>Maps this object's properties to the stored schema's order; refuses a schema that differs.</summary>
    private Binding Bind(CollectionSchema stored, string operation)
    {
        Binding? b = _binding;
        if (b is not null && ReferenceEquals(b.Schema, stored))
        {
            return b;
        }

        if (stored.Difference(_schema) is { } difference)
        {
            throw _state.Failure(operation, $"Collection '{Name}' does not fit the record definition: {difference}.");
        }

        var data = _model.DataProperties.Select(p => Array.FindIndex(stored.Data, d => d.StorageName == p.StorageName)).ToArray();
        var vectors = _model.VectorProperties.Select(p => Array.FindIndex(stored.Vectors, d => d.StorageName == p.StorageName)).ToArray();
        var slots = _model.DataProperties.Select((p, i) => (p.ModelName, data[i])).ToDictionary(x => x.ModelName, x => x.Item2);
        b = new Binding(stored, data, vectors, slots);
        _binding = b;
        return b;
    }

    private sealed record Binding(CollectionSchema Schema, int[] Data, int[] Vectors, Dictionary<string, int> DataSlots);
}
