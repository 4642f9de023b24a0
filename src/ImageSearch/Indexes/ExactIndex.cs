using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ImageSearch;

/// <summary>
/// Brute-force nearest-neighbour search: every query is compared with every stored vector, so results are exact
/// (ordered by distance, ties by key). One query streams the rows through the one-to-many SIMD kernel; a batch of
/// queries is blocked queries x rows (GEMM-like) and spread over every core.
/// </summary>
/// <remarks>
/// <para>Duplicate keys are rejected (<see cref="ArgumentException"/>); remove a key first to replace its vector.
/// Removed slots are reused by later adds; until then they count in <see cref="DeletedCount"/>.</para>
/// <para>Thread-safety: all members are thread-safe. Searches (single and batch), reads and saves share a
/// reader lock and run concurrently; <see cref="Add"/>, <see cref="AddRange"/>, <see cref="Remove"/> and
/// <see cref="Compact"/> take the writer lock, so a search sees the index either before or after each of them, never
/// half-way.</para>
/// </remarks>
public sealed partial class ExactIndex : IVectorIndex
{
    private const int QueryChunk = 256;   // queries that share one pass over the rows in a batch
    private const int QueryBlock = 256;   // queries per kernel call: the matrix kernel needs 128-256 to amortise packing
    private const int RowBlock = 1024;    // rows per kernel call (~400 KB at d=100: stays in L2); scores 1 MB

    [ThreadStatic]
    private static float[]? t_scores;

    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private volatile VectorStore _store; // replaced only by Compact, under the writer lock
    private int _maxThreads; // 0 = every core

    /// <summary>Creates an empty index.</summary>
    /// <param name="dimension">Number of elements in every vector; positive.</param>
    /// <param name="metric">How vectors are compared.</param>
    /// <param name="elementType">How vectors are stored; <see cref="VectorElementType.Float16"/> halves memory.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension that is not positive or is above 1,048,576, or an unknown
    /// metric or element type.</exception>
    public ExactIndex(int dimension, DistanceMetric metric = DistanceMetric.Cosine, VectorElementType elementType = VectorElementType.Float32)
        : this(new VectorStore(dimension, metric, elementType))
    {
    }

    /// <summary>Creates an empty index, optionally keeping f32 rows beside <see cref="VectorElementType.Int8"/> rows.</summary>
    /// <param name="dimension">Number of elements in every vector; positive.</param>
    /// <param name="metric">How vectors are compared.</param>
    /// <param name="elementType">How vectors are stored.</param>
    /// <param name="keepFloat32Rows">
    /// With <see cref="VectorElementType.Int8"/>: also keep every row in f32. Searches then return exactly what a
    /// <see cref="VectorElementType.Float32"/> index returns (same keys, distances and tie order): a single unfiltered,
    /// unweighted search scans the 8-bit rows first with a proven bound on the quantisation error and computes f32
    /// distances only for the rows that bound cannot rule out (see <c>docs/architecture.md</c>, "Bounded exact scan");
    /// every other search runs on the f32 rows. Costs <c>4 * dimension + 8</c> bytes per vector more than Int8 alone.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException">A non-positive dimension or an unknown metric or element type.</exception>
    /// <exception cref="ArgumentException"><paramref name="keepFloat32Rows"/> with an element type other than Int8.</exception>
    public ExactIndex(int dimension, DistanceMetric metric, VectorElementType elementType, bool keepFloat32Rows)
        : this(new VectorStore(dimension, metric, elementType, keepFloat32Rows))
    {
    }

    private ExactIndex(VectorStore store) => _store = store;

    /// <summary>Whether f32 rows are kept beside <see cref="VectorElementType.Int8"/> rows (see the constructor).</summary>
    public bool KeepFloat32Rows => _store.KeepFloat32Rows;

    /// <inheritdoc/>
    public int Dimension => _store.Dimension;

    /// <inheritdoc/>
    public DistanceMetric Metric => _store.Metric;

    /// <inheritdoc/>
    public VectorElementType ElementType => _store.ElementType;

    /// <inheritdoc/>
    public int Count => _store.LiveCount;

    /// <inheritdoc/>
    /// <remarks>Here: removed slots that no add has reused yet.</remarks>
    public int DeletedCount
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _store.SlotCount - _store.LiveCount;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <inheritdoc/>
    public int? MaxDegreeOfParallelism
    {
        get => Volatile.Read(ref _maxThreads) is > 0 and int p ? p : null;
        set => Volatile.Write(ref _maxThreads, value is > 0 and int p ? p : 0);
    }

    private int Threads => Volatile.Read(ref _maxThreads) is > 0 and int p ? p : Environment.ProcessorCount;

    /// <inheritdoc/>
    public void Add(long key, ReadOnlySpan<float> vector) => AddCore([key], vector, nameof(key), nameof(vector), null, default);

    /// <inheritdoc/>
    /// <remarks>
    /// The rows are validated and prepared first (progress and cancellation are seen there, every 4096 rows); then
    /// they are copied in at once under the writer lock, which is not interrupted. A cancelled call changes nothing.
    /// </remarks>
    public void AddRange(ReadOnlySpan<long> keys, ReadOnlySpan<float> vectors, IProgress<IndexProgress>? progress = null, CancellationToken cancellationToken = default)
        => AddCore(keys, vectors, nameof(keys), nameof(vectors), progress, cancellationToken);

    /// <summary>
    /// Validates one vector and writes the form the index stores (normalised under cosine) into
    /// <paramref name="destination"/>, for <see cref="AddPrepared"/>: a caller that already makes one pass over its rows
    /// (the VectorData connector) prepares them there instead of copying them for <see cref="AddRange"/> to prepare again.
    /// </summary>
    internal void PrepareRow(ReadOnlySpan<float> vector, Span<float> destination, string paramName)
        => _store.Prepare(vector, destination, paramName);

    /// <summary>Adds rows already made by <see cref="PrepareRow"/> (same dimension, metric and element type).</summary>
    internal void AddPrepared(ReadOnlySpan<long> keys, float[] prepared)
    {
        if ((long)keys.Length * Dimension != prepared.Length)
        {
            throw new ArgumentException($"Expected {keys.Length} x {Dimension} prepared elements, got {prepared.Length}.", nameof(prepared));
        }

        InsertPrepared(keys, prepared, nameof(keys), null, default);
    }

    private void AddCore(ReadOnlySpan<long> keys, ReadOnlySpan<float> vectors, string keysName, string vectorsName,
        IProgress<IndexProgress>? progress, CancellationToken cancellationToken)
    {
        var counter = ProgressCounter.Create(progress, keys.Length);
        float[] prepared = _store.PrepareRows(keys, vectors, vectorsName, counter, cancellationToken);
        InsertPrepared(keys, prepared, keysName, counter, cancellationToken);
    }

    private void InsertPrepared(ReadOnlySpan<long> keys, float[] prepared, string keysName, ProgressCounter? counter, CancellationToken cancellationToken)
    {
        int dim = Dimension;
        _lock.EnterWriteLock();
        try
        {
            _store.CheckNewKeys(keys, keysName);
            cancellationToken.ThrowIfCancellationRequested();
            _store.EnsureQuantizer(prepared); // Int8: the first rows added train the quantiser (see VectorElementType.Int8)
            for (int i = 0; i < keys.Length; i++)
            {
                int slot = _store.TryReuseSlot(out int free) ? free : _store.AllocateSlot();
                _store.SetRow(slot, keys[i], prepared.AsSpan(i * dim, dim));
                _store.MapKey(keys[i], slot);
            }

            _store.Publish();
        }
        finally
        {
            _lock.ExitWriteLock();
        }

        counter?.Complete();
    }

    /// <inheritdoc/>
    /// <remarks>Copies the live rows into new, packed pages under the writer lock; cancellation is checked every 4096 slots.</remarks>
    public void Compact(IProgress<IndexProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _lock.EnterWriteLock();
        try
        {
            VectorStore old = _store;
            int slots = old.SlotCount, dim = old.Dimension;
            var counter = ProgressCounter.Create(progress, old.LiveCount);
            if (slots == old.LiveCount)
            {
                counter?.Complete();
                return;
            }

            VectorStore store = old.CreateEmptyLike();
            store.Reserve(old.LiveCount);
            for (int slot = 0; slot < slots; slot++)
            {
                if ((slot & 4095) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                if (old.IsDeleted(slot))
                {
                    continue;
                }

                // Rows are copied as stored (f32, f16 or codes with their bound terms): nothing is rounded again.
                int target = store.AllocateSlot();
                long key = old.GetKey(slot);
                store.CopySlotFrom(old, slot, target);
                store.MapKey(key, target);
                counter?.Add(1);
            }

            store.Publish();
            _store = store;
            counter?.Complete();
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <inheritdoc/>
    public bool Remove(long key)
    {
        _lock.EnterWriteLock();
        try
        {
            if (!_store.UnmapKey(key, out int slot))
            {
                return false;
            }

            _store.MarkDeleted(slot);
            _store.AddFreeSlot(slot);
            return true;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <inheritdoc/>
    public bool Contains(long key)
    {
        _lock.EnterReadLock();
        try
        {
            return _store.ContainsKey(key);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <inheritdoc/>
    public bool TryGetVector(long key, Span<float> destination)
    {
        if (destination.Length < Dimension)
        {
            throw new ArgumentException($"The destination needs at least {Dimension} elements, it has {destination.Length}.", nameof(destination));
        }

        _lock.EnterReadLock();
        try
        {
            if (!_store.TryGetSlot(key, out int slot))
            {
                return false;
            }

            _store.CopyRow(slot, destination);
            return true;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <inheritdoc/>
    public long[] GetKeys()
    {
        _lock.EnterReadLock();
        try
        {
            return _store.GetKeys();
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <inheritdoc/>
    public int Search(ReadOnlySpan<float> query, Span<SearchResult> destination, SearchOptions? options = null)
    {
        if (destination.IsEmpty)
        {
            throw new ArgumentException("The destination must hold at least one result (k must be positive).", nameof(destination));
        }

        int dim = Dimension;
        float[]? rented = null;
        Span<float> q = dim <= 512 ? stackalloc float[dim] : (rented = ArrayPool<float>.Shared.Rent(dim)).AsSpan(0, dim);
        try
        {
            _store.Prepare(query, q, nameof(query));
            ClassWeighting? weighting = ClassWeighting.Create(options, q, Metric, dim);
            _lock.EnterReadLock();
            try
            {
                int count = 0;
                if (weighting is null && options?.Filter is null && _store.KeepFloat32Rows)
                {
                    BoundedScan(q, destination, ref count);
                }
                else
                {
                    ScanInto(q, weighting, options?.Filter, destination, ref count);
                }

                TopK.SortAscending(destination, count);
                return count;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<float>.Shared.Return(rented);
            }
        }
    }

    /// <inheritdoc/>
    public SearchResult[][] SearchBatch(ReadOnlySpan<float> queries, int k, SearchOptions? options = null,
        IProgress<IndexProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        int dim = Dimension;
        float[] prepared = _store.PrepareQueries(queries, nameof(queries));
        int nq = queries.Length / dim;

        var results = new SearchResult[nq][];
        if (nq == 0)
        {
            return results;
        }

        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Threads, CancellationToken = cancellationToken };
        var counter = ProgressCounter.Create(progress, nq);
        _lock.EnterReadLock();
        try
        {
            int kk = Math.Max(1, Math.Min(k, _store.LiveCount));
            if (!options?.ElementWeights.IsEmpty ?? false)
            {
                // Weighted queries each need their own weighted query vector: one scan per query, spread over cores.
                Parallel.For(0, nq, parallel, i =>
                {
                    ReadOnlySpan<float> q = prepared.AsSpan(i * dim, dim);
                    var heap = new SearchResult[kk];
                    int count = 0;
                    ScanInto(q, ClassWeighting.Create(options, q, Metric, dim), options!.Filter, heap, ref count);
                    results[i] = Finish(heap, count);
                    counter?.Add(1);
                });
                counter?.Complete();
                return results;
            }

            int chunks = (nq + QueryChunk - 1) / QueryChunk;
            Parallel.For(0, chunks, parallel, c =>
            {
                int first = c * QueryChunk;
                int n = Math.Min(QueryChunk, nq - first);
                BatchChunk(prepared.AsSpan(first * dim, n * dim), n, kk, options?.Filter, results.AsSpan(first, n));
                counter?.Add(n);
            });
            counter?.Complete();
            return results;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <inheritdoc/>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _lock.EnterReadLock();
        try
        {
            int slots = _store.SlotCount;
            var writer = new IndexFileWriter(stream, new IndexFileHeader(IndexKind.Exact, Metric, ElementType, Dimension, slots, _store.LiveCount, _store.KeepFloat32Rows));
            writer.WriteStore(_store, slots);
            writer.Finish();
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Loads an exact index saved by <see cref="Save(Stream)"/>.</summary>
    /// <param name="stream">A readable stream positioned at the start of the index.</param>
    /// <returns>The index.</returns>
    /// <exception cref="InvalidDataException">The data is truncated or corrupt, or holds another index type.</exception>
    /// <remarks>Limits: those of <see cref="VectorIndex.Load(Stream)"/>.</remarks>
    public static ExactIndex Load(Stream stream)
        => VectorIndex.Load(stream) as ExactIndex ?? throw new InvalidDataException("The file holds an index of another type; use VectorIndex.Load.");

    /// <summary>Loads an exact index from a file saved by <see cref="VectorIndexExtensions.Save(IVectorIndex, string)"/>.</summary>
    /// <param name="path">The index file.</param>
    /// <returns>The index.</returns>
    /// <exception cref="InvalidDataException">The file is truncated or corrupt, or holds another index type.</exception>
    /// <remarks>Limits: those of <see cref="VectorIndex.Load(Stream)"/>.</remarks>
    public static ExactIndex Load(string path)
        => VectorIndex.Load(path) as ExactIndex ?? throw new InvalidDataException($"'{path}' holds an index of another type; use VectorIndex.Load.");

    /// <summary>An exact index over a store already read (a mapped one: see <see cref="MappedIndex"/>).</summary>
    internal static ExactIndex Over(VectorStore store) => new(store);

    internal static ExactIndex Read(IndexFileReader reader)
    {
        VectorStore store = reader.ReadStore();
        reader.ReadEnd();
        return new ExactIndex(store);
    }

    // ------------------------------------------------------------------ scanning

    private static SearchResult[] Finish(SearchResult[] heap, int count)
    {
        TopK.SortAscending(heap, count);
        return count == heap.Length ? heap : heap.AsSpan(0, count).ToArray();
    }

    private static float[] Scratch(int length)
    {
        float[]? s = t_scores;
        if (s is null || s.Length < length)
        {
            t_scores = s = new float[Math.Max(length, 4096)];
        }

        return s;
    }

    /// <summary>One query against every row, page by page, into a heap.</summary>
    private void ScanInto(ReadOnlySpan<float> q, ClassWeighting? weighting, Func<long, bool>? filter, Span<SearchResult> heap, ref int count)
    {
        VectorStore store = _store;
        int dim = store.Dimension, rowsPerPage = store.RowsPerPage, slots = store.SlotCount;
        float[] scratch = Scratch(2 * rowsPerPage);
        Span<float> scores = scratch.AsSpan(0, rowsPerPage);
        Span<float> norms = scratch.AsSpan(rowsPerPage, rowsPerPage);
        QueryBound? bound = null; // Int8 rows alone: the query scaled once, on the first page
        for (int start = 0, p = 0; start < slots; start += rowsPerPage, p++)
        {
            int rows = Math.Min(rowsPerPage, slots - start);
            VectorStore.Page page = store.GetPage(p);
            Span<float> s = scores[..rows];
            if (weighting is not null)
            {
                weighting.Scan(page, rows, dim, s, norms[..rows], store.Quantizer);
            }
            else if (!page.HasF32 && page.HasI8)
            {
                ReadOnlySpan<byte> codes = page.I8;
                // Int8 rows alone (approximate). Dot products: the 16-bit query against the codes in integers, then
                // S = constant + scale * I (QueryBound); squared L2: the rows read back through the quantiser.
                ScalarQuantizer quantizer = store.Quantizer!;
                if (store.Metric == DistanceMetric.SquaredL2)
                {
                    for (int r = 0; r < rows; r++)
                    {
                        s[r] = DistanceKernels.DequantizedSquaredL2(q, codes.Slice(r * dim, dim), quantizer.Offset, quantizer.Step);
                    }
                }
                else
                {
                    BoundedScanBuffers buffers = t_bounded ??= new BoundedScanBuffers();
                    buffers.Ensure(dim, rowsPerPage, 1);
                    bound ??= QueryBound.Create(q, quantizer, buffers.Query.AsSpan(0, dim), store.Metric);
                    Span<int> dots = buffers.Dots.AsSpan(0, rows);
                    DistanceKernels.QuantizedDotScan(buffers.Query.AsSpan(0, dim), codes[..(rows * dim)], dots);
                    for (int r = 0; r < rows; r++)
                    {
                        s[r] = (float)bound.Value.Estimate(dots[r]);
                    }
                }
            }
            else if (store.Metric == DistanceMetric.SquaredL2)
            {
                if (page.HasF32) DistanceKernels.SquaredL2Scan(q, page.F32[..(rows * dim)], s);
                else DistanceKernels.SquaredL2Scan(q, page.F16[..(rows * dim)], s);
            }
            else
            {
                if (page.HasF32) DistanceKernels.DotScan(q, page.F32[..(rows * dim)], s);
                else DistanceKernels.DotScan(q, page.F16[..(rows * dim)], s);
            }

            bool similarity = weighting is null && store.Metric != DistanceMetric.SquaredL2; // weighted scans yield distances
            Select(s, similarity, page, 0, filter, heap, ref count);
        }
    }

    /// <summary>
    /// Pushes the scores that can enter the heap. A vector compare against the heap's bound skips the (vast) majority
    /// of rows without branching per row.
    /// </summary>
    private static void Select(ReadOnlySpan<float> scores, bool similarity, VectorStore.Page page, int rowOffset,
        Func<long, bool>? filter, Span<SearchResult> heap, ref int count)
    {
        int n = scores.Length;
        int i = 0;
        ref float s0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(scores);
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + Vector256<float>.Count <= n; i += Vector256<float>.Count)
            {
                float bound = TopK.Bound(heap, count);
                Vector256<float> v = Vector256.LoadUnsafe(ref s0, (nuint)i);
                Vector256<float> d = similarity ? Vector256<float>.One - v : v;
                uint mask = Vector256.LessThanOrEqual(d, Vector256.Create(bound)).ExtractMostSignificantBits();
                while (mask != 0)
                {
                    int j = i + BitOperations.TrailingZeroCount(mask);
                    mask &= mask - 1;
                    Consider(rowOffset + j, similarity ? 1f - scores[j] : scores[j], page, filter, heap, ref count);
                }
            }
        }

        for (; i < n; i++)
        {
            float d = similarity ? 1f - scores[i] : scores[i];
            if (d <= TopK.Bound(heap, count))
            {
                Consider(rowOffset + i, d, page, filter, heap, ref count);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Consider(int row, float distance, VectorStore.Page page, Func<long, bool>? filter, Span<SearchResult> heap, ref int count)
    {
        if (page.Deleted[row] || float.IsNaN(distance))
        {
            return;
        }

        long key = page.Keys[row];
        if (filter is not null && !filter(key))
        {
            return;
        }

        TopK.Push(heap, ref count, key, distance);
    }

    /// <summary>A chunk of queries against every row: blocks of queries x rows through the matrix kernel.</summary>
    private void BatchChunk(ReadOnlySpan<float> queries, int nq, int k, Func<long, bool>? filter, Span<SearchResult[]> results)
    {
        VectorStore store = _store;
        int dim = store.Dimension, rowsPerPage = store.RowsPerPage, slots = store.SlotCount;
        bool l2 = store.Metric == DistanceMetric.SquaredL2;
        var heaps = new SearchResult[nq * k];
        var counts = new int[nq];
        float[] scores = Scratch(QueryBlock * RowBlock);
        float[]? converted = store.HasFloat32Rows ? null : new float[RowBlock * dim];
        for (int start = 0, p = 0; start < slots; start += rowsPerPage, p++)
        {
            int pageRows = Math.Min(rowsPerPage, slots - start);
            VectorStore.Page page = store.GetPage(p);
            for (int r0 = 0; r0 < pageRows; r0 += RowBlock)
            {
                int rows = Math.Min(RowBlock, pageRows - r0);
                ReadOnlySpan<float> block;
                if (page.HasF32)
                {
                    block = page.F32.Slice(r0 * dim, rows * dim);
                }
                else if (page.HasI8)
                {
                    ReadOnlySpan<byte> codes = page.I8;
                    // Int8 rows alone are read back once per block and reused by every query of the chunk.
                    for (int r = 0; r < rows; r++)
                    {
                        store.Quantizer!.Decode(codes.Slice((r0 + r) * dim, dim), converted.AsSpan(r * dim, dim));
                    }

                    block = converted.AsSpan(0, rows * dim);
                }
                else
                {
                    // f16 rows are widened once per block and reused by every query of the chunk.
                    System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(page.F16.Slice(r0 * dim, rows * dim), converted.AsSpan(0, rows * dim));
                    block = converted.AsSpan(0, rows * dim);
                }

                for (int q0 = 0; q0 < nq; q0 += QueryBlock)
                {
                    int qn = Math.Min(QueryBlock, nq - q0);
                    Span<float> s = scores.AsSpan(0, qn * rows);
                    if (l2) DistanceKernels.SquaredL2Matrix(queries.Slice(q0 * dim, qn * dim), block, dim, s);
                    else DistanceKernels.DotMatrix(queries.Slice(q0 * dim, qn * dim), block, dim, s);
                    for (int qi = 0; qi < qn; qi++)
                    {
                        int qq = q0 + qi;
                        Select(s.Slice(qi * rows, rows), !l2, page, r0, filter, heaps.AsSpan(qq * k, k), ref counts[qq]);
                    }
                }
            }
        }

        for (int i = 0; i < nq; i++)
        {
            var heap = heaps.AsSpan(i * k, k);
            TopK.SortAscending(heap, counts[i]);
            results[i] = heap[..counts[i]].ToArray();
        }
    }
}
