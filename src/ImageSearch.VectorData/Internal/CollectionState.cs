using System.Runtime.InteropServices;
using Microsoft.Extensions.VectorData;

namespace ImageSearch;

/// <summary>
/// The data of one collection, shared by every collection object of that name in a store: the key map (record key ->
/// internal id, the <see cref="long"/> key of the indexes), the records by id, one index per vector property, and
/// their files.
/// </summary>
/// <remarks>
/// Locking: one <see cref="ReaderWriterLockSlim"/>. Reads (get, search) hold the read lock, so they run in parallel. A
/// write (upsert, delete, create) holds the upgradeable lock for its whole duration, so writes are serialised; it takes
/// the write lock only while it changes memory, then saves its files under the upgradeable lock alone, so readers are
/// blocked only for the in-memory change, never for the disk. No await happens under any lock (the lock has thread
/// affinity): embeddings are generated and records validated before a write enters it. Loading happens once, on first
/// use, under the write lock.
/// </remarks>
internal sealed class CollectionState
{
    private const string RecordsFileName = "collection.isvd";

    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly HnswOptions? _hnsw;
    private readonly Dictionary<object, int> _ids = new();
    private readonly Stack<int> _freeIds = new();
    private StoredRecord?[] _records = [];
    private int _highWater;
    private IVectorIndex[] _indexes = [];
    private long _generation;
    private volatile bool _loaded;

    public CollectionState(string name, string? directory, HnswOptions? hnsw)
    {
        Name = name;
        Directory = directory;
        _hnsw = hnsw;
    }

    public string Name { get; }

    /// <summary>The collection's folder; <see langword="null"/> for an in-memory store.</summary>
    public string? Directory { get; }

    /// <summary>The stored schema; <see langword="null"/> while the collection does not exist. Read under a lock.</summary>
    public CollectionSchema? Schema { get; private set; }

    /// <summary>Live records.</summary>
    public int Count => _ids.Count;

    public static bool ExistsOnDisk(string directory) => File.Exists(Path.Combine(directory, RecordsFileName));

    // ------------------------------------------------------------------ locks

    public void EnterRead()
    {
        EnsureLoaded();
        _lock.EnterReadLock();
    }

    public void ExitRead() => _lock.ExitReadLock();

    private void EnsureLoaded()
    {
        if (_loaded)
        {
            return;
        }

        _lock.EnterWriteLock();
        try
        {
            if (!_loaded)
            {
                Load();
                _loaded = true;
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    // ------------------------------------------------------------------ reads (caller holds the read lock)

    public bool TryGetId(object key, out int id) => _ids.TryGetValue(key, out id);

    public StoredRecord? Record(int id) => (uint)id < (uint)_highWater ? _records[id] : null;

    /// <summary>Records with their ids, in id order, for filtered gets.</summary>
    public IEnumerable<(int Id, StoredRecord Record)> Records()
    {
        for (int id = 0; id < _highWater; id++)
        {
            if (_records[id] is { } r)
            {
                yield return (id, r);
            }
        }
    }

    public IVectorIndex Index(int vector) => _indexes[vector];

    // ------------------------------------------------------------------ writes

    /// <summary>Creates the collection with <paramref name="schema"/> unless it exists; returns the schema it has.</summary>
    public CollectionSchema Create(CollectionSchema schema)
    {
        EnsureLoaded();
        _lock.EnterUpgradeableReadLock();
        try
        {
            if (Schema is { } existing)
            {
                return existing;
            }

            _lock.EnterWriteLock();
            try
            {
                _indexes = schema.Vectors.Select(CreateIndex).ToArray();
                Schema = schema;
            }
            finally
            {
                _lock.ExitWriteLock();
            }

            Save("EnsureCollectionExists");
            return schema;
        }
        finally
        {
            _lock.ExitUpgradeableReadLock();
        }
    }

    /// <summary>Deletes the collection (memory and files); nothing when it does not exist.</summary>
    public void Drop()
    {
        EnsureLoaded();
        _lock.EnterWriteLock();
        try
        {
            Clear();
            if (Directory is not null && System.IO.Directory.Exists(Directory))
            {
                try
                {
                    // The records file first: without it the folder is no longer a collection, whatever is left.
                    File.Delete(Path.Combine(Directory, RecordsFileName));
                    foreach (string file in System.IO.Directory.EnumerateFiles(Directory, "vectors-*.isindex"))
                    {
                        File.Delete(file);
                    }

                    if (!System.IO.Directory.EnumerateFileSystemEntries(Directory).Any())
                    {
                        System.IO.Directory.Delete(Directory);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw Failure("EnsureCollectionDeleted", $"Could not delete the files of collection '{Name}' in '{Directory}'.", e);
                }
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Inserts or replaces records (keys unique within the batch, vectors validated), then saves.</summary>
    /// <param name="batch">The records, in <paramref name="expected"/>'s order of properties.</param>
    /// <param name="expected">The schema the batch was prepared for; a collection deleted and created again meanwhile is refused.</param>
    /// <param name="operation">For error messages.</param>
    public void Upsert(IReadOnlyList<PendingRecord> batch, CollectionSchema expected, string operation)
    {
        EnsureLoaded();
        _lock.EnterUpgradeableReadLock();
        try
        {
            CollectionSchema schema = Schema ?? throw Missing(operation);
            if (!ReferenceEquals(schema, expected))
            {
                throw Failure(operation, $"Collection '{Name}' was deleted and created again while records were being prepared; retry the upsert.");
            }

            // Rows are gathered (and, for an exact index, prepared as it stores them, so it neither copies nor
            // normalises them again) before the write lock: readers go on meanwhile, and a row the index refuses
            // leaves everything as it was. Writers are serialised by the upgradeable lock, so the indexes stay put.
            var rows = new float[_indexes.Length][];
            var counts = new int[_indexes.Length];
            for (int v = 0; v < _indexes.Length; v++)
            {
                int dims = schema.Vectors[v].Dimensions;
                int n = 0;
                for (int j = 0; j < batch.Count; j++)
                {
                    n += batch[j].Record.HasVector(v) ? 1 : 0;
                }

                float[] buffer = GC.AllocateUninitializedArray<float>(checked(n * dims));
                ExactIndex? exact = _indexes[v] as ExactIndex;
                for (int j = 0, k = 0; j < batch.Count; j++)
                {
                    if (batch[j].Record.HasVector(v))
                    {
                        Span<float> row = buffer.AsSpan(k * dims, dims);
                        if (exact is not null)
                        {
                            exact.PrepareRow(batch[j].Vectors[v].Span, row, "records");
                        }
                        else
                        {
                            batch[j].Vectors[v].Span.CopyTo(row);
                        }

                        k++;
                    }
                }

                rows[v] = buffer;
                counts[v] = n;
            }

            _lock.EnterWriteLock();
            try
            {
                var ids = new long[batch.Count];
                _ids.EnsureCapacity(_ids.Count + batch.Count);
                for (int j = 0; j < batch.Count; j++)
                {
                    StoredRecord record = batch[j].Record;
                    ref int id = ref CollectionsMarshal.GetValueRefOrAddDefault(_ids, record.Key, out bool exists);
                    if (exists)
                    {
                        foreach (IVectorIndex index in _indexes)
                        {
                            index.Remove(id);
                        }
                    }
                    else
                    {
                        id = NewId();
                    }

                    _records[id] = record;
                    ids[j] = id;
                }

                for (int v = 0; v < _indexes.Length; v++)
                {
                    var keys = new long[counts[v]];
                    for (int j = 0, k = 0; j < batch.Count; j++)
                    {
                        if (batch[j].Record.HasVector(v))
                        {
                            keys[k++] = ids[j];
                        }
                    }

                    if (_indexes[v] is ExactIndex exact)
                    {
                        exact.AddPrepared(keys, rows[v]);
                    }
                    else
                    {
                        _indexes[v].AddRange(keys, rows[v]);
                    }
                }

                CompactIfNeeded();
            }
            finally
            {
                _lock.ExitWriteLock();
            }

            Save(operation);
        }
        finally
        {
            _lock.ExitUpgradeableReadLock();
        }
    }

    /// <summary>Deletes the records of these keys (missing ones are ignored), then saves if anything changed.</summary>
    public void Delete(IReadOnlyCollection<object> keys, string operation)
    {
        EnsureLoaded();
        _lock.EnterUpgradeableReadLock();
        try
        {
            if (Schema is null)
            {
                return; // nothing to delete in a collection that does not exist
            }

            bool changed = false;
            _lock.EnterWriteLock();
            try
            {
                foreach (object key in keys)
                {
                    if (_ids.Remove(key, out int id))
                    {
                        _records[id] = null;
                        _freeIds.Push(id);
                        foreach (IVectorIndex index in _indexes)
                        {
                            index.Remove(id);
                        }

                        changed = true;
                    }
                }

                if (changed)
                {
                    CompactIfNeeded();
                }
            }
            finally
            {
                _lock.ExitWriteLock();
            }

            if (changed)
            {
                Save(operation);
            }
        }
        finally
        {
            _lock.ExitUpgradeableReadLock();
        }
    }

    private int NewId()
    {
        if (_freeIds.TryPop(out int id))
        {
            return id;
        }

        if (_highWater == _records.Length)
        {
            Array.Resize(ref _records, Math.Max(64, checked(_records.Length * 2)));
        }

        return _highWater++;
    }

    // A removed vector stays in an HNSW graph as a tombstone; rebuild once they pass a third of the live ones.
    private void CompactIfNeeded()
    {
        foreach (IVectorIndex index in _indexes)
        {
            if (index.DeletedCount >= 64 && index.DeletedCount > index.Count / 3)
            {
                index.Compact();
            }
        }
    }

    private void Clear()
    {
        Schema = null;
        _ids.Clear();
        _freeIds.Clear();
        _records = [];
        _highWater = 0;
        _indexes = [];
    }

    private IVectorIndex CreateIndex(VectorSchema v)
    {
        DistanceMetric metric = VectorScoring.Metric(v.DistanceFunction);
        return v.IndexKind == Microsoft.Extensions.VectorData.IndexKind.Flat ? new ExactIndex(v.Dimensions, metric) : new HnswIndex(v.Dimensions, metric, _hnsw);
    }

    // ------------------------------------------------------------------ files

    private string RecordsPath => Path.Combine(Directory!, RecordsFileName);

    private string IndexPath(int vector, long generation) => Path.Combine(Directory!, $"vectors-{vector}-{generation}.isindex");

    /// <summary>Writes the index files of the next generation, then the records file that names it, then removes the older files.</summary>
    private void Save(string operation)
    {
        if (Directory is null)
        {
            return;
        }

        try
        {
            long generation = _generation + 1;
            System.IO.Directory.CreateDirectory(Directory);
            for (int v = 0; v < _indexes.Length; v++)
            {
                _indexes[v].Save(IndexPath(v, generation));
            }

            var records = new List<(int, StoredRecord)>(_ids.Count);
            for (int id = 0; id < _highWater; id++)
            {
                if (_records[id] is { } r)
                {
                    records.Add((id, r));
                }
            }

            RecordsFile.Write(RecordsPath, generation, Schema!, _highWater, records);
            _generation = generation;
            string current = $"-{generation}.isindex";
            foreach (string file in System.IO.Directory.EnumerateFiles(Directory, "vectors-*.isindex"))
            {
                if (!file.EndsWith(current, StringComparison.Ordinal))
                {
                    File.Delete(file);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failure(operation, $"Could not save collection '{Name}' to '{Directory}'; the change is in memory but the files keep the previous state.", e);
        }
    }

    private void Load()
    {
        Clear();
        if (Directory is null || !File.Exists(RecordsPath))
        {
            return;
        }

        try
        {
            RecordsFile.Contents contents = RecordsFile.Read(RecordsPath);
            CollectionSchema schema = contents.Schema;
            var indexes = new IVectorIndex[schema.Vectors.Length];
            for (int v = 0; v < indexes.Length; v++)
            {
                VectorSchema vs = schema.Vectors[v];
                string path = IndexPath(v, contents.Generation);
                if (!File.Exists(path))
                {
                    throw new InvalidDataException($"The index file '{path}' of vector property '{vs.StorageName}' is missing.");
                }

                IVectorIndex index = VectorIndex.Load(path);
                bool kindMatches = vs.IndexKind == Microsoft.Extensions.VectorData.IndexKind.Flat ? index is ExactIndex : index is HnswIndex;
                if (!kindMatches || index.Dimension != vs.Dimensions || index.Metric != VectorScoring.Metric(vs.DistanceFunction))
                {
                    throw new InvalidDataException($"The index file '{path}' does not match vector property '{vs.StorageName}' ({vs.Dimensions} dimensions, {vs.DistanceFunction}, {vs.IndexKind}).");
                }

                int expected = contents.Records.Count(r => r.Record.HasVector(v));
                if (index.Count != expected || contents.Records.Any(r => r.Record.HasVector(v) != index.Contains(r.Id)))
                {
                    throw new InvalidDataException($"The index file '{path}' holds {index.Count} vectors, which do not match the {expected} records with a '{vs.StorageName}' vector.");
                }

                indexes[v] = index;
            }

            var records = new StoredRecord?[Math.Max(64, contents.HighWater)];
            foreach ((int id, StoredRecord record) in contents.Records)
            {
                if (records[id] is not null || !_ids.TryAdd(record.Key, id))
                {
                    throw new InvalidDataException($"'{RecordsPath}': duplicate record id {id} or key '{record.Key}'.");
                }

                records[id] = record;
            }

            for (int id = contents.HighWater - 1; id >= 0; id--)
            {
                if (records[id] is null)
                {
                    _freeIds.Push(id);
                }
            }

            _records = records;
            _highWater = contents.HighWater;
            _indexes = indexes;
            _generation = contents.Generation;
            Schema = schema;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            Clear();
            throw Failure("Open", $"Could not open collection '{Name}' in '{Directory}': {e.Message}", e);
        }
    }

    public VectorStoreException Missing(string operation)
        => new($"Collection '{Name}' does not exist; create it with EnsureCollectionExistsAsync first.")
        {
            VectorStoreSystemName = ImageSearchVectorStore.SystemName,
            CollectionName = Name,
            OperationName = operation,
        };

    public VectorStoreException Failure(string operation, string message, Exception? inner = null)
        => new(message, inner!)
        {
            VectorStoreSystemName = ImageSearchVectorStore.SystemName,
            CollectionName = Name,
            OperationName = operation,
        };
}
