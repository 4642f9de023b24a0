using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace ImageSearch;

/// <summary>
/// Rows of vectors addressed by slot, shared by every index type. Rows live in fixed-size pages that never move once
/// allocated, so a reader holding a slot can read its row while a writer appends elsewhere (the HNSW index relies on
/// this). Under cosine, rows are stored L2-normalised. Slots carry a key and a live flag.
/// </summary>
/// <remarks>
/// Thread-safety: reads of published slots are safe from any thread. Writers (<see cref="AllocateSlot"/>,
/// <see cref="SetRow"/>, <see cref="MarkDeleted"/>, <see cref="TryReuseSlot"/>) must be serialised by the owning index.
/// A slot becomes visible to scans when <see cref="Publish"/> advances <see cref="SlotCount"/> past it.
/// </remarks>
internal sealed class VectorStore
{
    private const int TargetPageElements = 1 << 20;

    private readonly Dictionary<long, int> _slotByKey = new();
    private readonly Stack<int> _freeSlots = new();
    private volatile Page[] _pages = [];
    private int _slotCount;
    private int _allocated;
    private int _liveCount;
    private volatile ScalarQuantizer? _quantizer;
    private float _maxError;
    private float _minNormSquared = float.PositiveInfinity;

    /// <summary>
    /// The largest dimension an index holds: a page keeps at least 64 rows, so one page is up to 256 MB (f32) here, and
    /// a file holding a single row cannot make the reader allocate more than that.
    /// </summary>
    public const int MaxDimension = 1 << 20;

    public VectorStore(int dimension, DistanceMetric metric, VectorElementType elementType, bool keepFloat32Rows = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dimension, MaxDimension);
        if (metric is not (DistanceMetric.Cosine or DistanceMetric.InnerProduct or DistanceMetric.SquaredL2))
        {
            throw new ArgumentOutOfRangeException(nameof(metric), metric, "Unknown distance metric.");
        }

        if (elementType is not (VectorElementType.Float32 or VectorElementType.Float16 or VectorElementType.Int8))
        {
            throw new ArgumentOutOfRangeException(nameof(elementType), elementType, "Unknown element type.");
        }

        if (keepFloat32Rows && elementType != VectorElementType.Int8)
        {
            throw new ArgumentException($"Keeping f32 rows beside the stored ones applies to {VectorElementType.Int8} only, not {elementType}.", nameof(keepFloat32Rows));
        }

        Dimension = dimension;
        KeepFloat32Rows = keepFloat32Rows;
        Metric = metric;
        ElementType = elementType;
        PageShift = BitOperations.Log2((uint)PageRows(dimension, elementType, keepFloat32Rows));
    }

    /// <summary>
    /// Rows per page: about 4 MB of f32 elements (<see cref="TargetPageElements"/>), a power of two, at least 64 rows:
    /// big enough for the scan kernels, small enough to grow cheaply. For a tiny dimension the per-row arrays (key, flag
    /// and, for Int8 with f32 rows, two bound terms) outweigh the elements, so a page is also held to
    /// <see cref="MaxPageBytes"/> in all: a dimension-1 page used to take a million rows (24 MB for Int8 with f32 rows),
    /// allocated whole by a file of a few rows. Only dimensions below about 8 get fewer rows than before.
    /// </summary>
    internal static int PageRows(int dimension, VectorElementType elementType, bool keepFloat32Rows)
    {
        long bytesPerRow = sizeof(long) + sizeof(bool) + (elementType switch
        {
            VectorElementType.Float32 => 4L * dimension,
            VectorElementType.Float16 => 2L * dimension,
            _ => dimension + (keepFloat32Rows ? (4L * dimension) + 8 : 0),
        });
        long limit = Math.Min(TargetPageElements / dimension, MaxPageBytes / bytesPerRow);
        return limit <= 64 ? 64 : (int)BitOperations.RoundUpToPowerOf2((uint)limit + 1) >> 1; // largest power of two <= limit
    }

    /// <summary>The most bytes one page takes (elements and per-row arrays), unless 64 rows need more.</summary>
    internal const int MaxPageBytes = 8 << 20;

    public int Dimension { get; }

    public DistanceMetric Metric { get; }

    public VectorElementType ElementType { get; }

    /// <summary>Whether an <see cref="VectorElementType.Int8"/> store also keeps each row in f32 (for exact re-ranking).</summary>
    public bool KeepFloat32Rows { get; }

    /// <summary>Whether pages hold f32 rows (<see cref="VectorElementType.Float32"/>, or Int8 with <see cref="KeepFloat32Rows"/>).</summary>
    public bool HasFloat32Rows => ElementType == VectorElementType.Float32 || KeepFloat32Rows;

    /// <summary>The Int8 quantiser; null until trained (on the first rows added) or loaded.</summary>
    public ScalarQuantizer? Quantizer => _quantizer;

    /// <summary>Bytes a row takes in memory: the stored elements, plus f32 rows and the two per-row bound terms when kept (keys and flags not counted).</summary>
    public int BytesPerVector => ElementType switch
    {
        VectorElementType.Float32 => 4 * Dimension,
        VectorElementType.Float16 => 2 * Dimension,
        _ => Dimension + (KeepFloat32Rows ? (4 * Dimension) + 8 : 0),
    };

    /// <summary>
    /// Trains the Int8 quantiser on <paramref name="preparedRows"/> if the store has none yet (a no-op for other element
    /// types). Called by the indexes, under their writer lock, with the first batch added to an empty index; later rows are
    /// clamped to the range trained here.
    /// </summary>
    public void EnsureQuantizer(ReadOnlySpan<float> preparedRows)
    {
        if (ElementType == VectorElementType.Int8 && _quantizer is null && preparedRows.Length >= Dimension)
        {
            _quantizer = ScalarQuantizer.Train(preparedRows, Dimension);
        }
    }

    /// <summary>The largest per-row error term ever stored (Int8 with f32 rows); removed rows may have set it.</summary>
    public float MaxError => Volatile.Read(ref _maxError);

    /// <summary>The smallest per-row <c>||x||^2</c> ever stored (Int8 with f32 rows); removed rows may have set it.</summary>
    public float MinNormSquared => Volatile.Read(ref _minNormSquared);

    /// <summary>Sets the quantiser read from a file (loading only).</summary>
    public void SetQuantizer(ScalarQuantizer quantizer) => _quantizer = quantizer;

    /// <summary>An empty store with the same settings and, when <paramref name="keepQuantizer"/>, the same quantiser.</summary>
    public VectorStore CreateEmptyLike(bool keepQuantizer = true)
    {
        var store = new VectorStore(Dimension, Metric, ElementType, KeepFloat32Rows);
        if (keepQuantizer && _quantizer is { } q)
        {
            store._quantizer = q;
        }

        return store;
    }

    /// <summary>log2 of rows per page.</summary>
    public int PageShift { get; }

    public int RowsPerPage => 1 << PageShift;

    /// <summary>Slots visible to readers (live and deleted); slots are 0 .. SlotCount-1.</summary>
    public int SlotCount => Volatile.Read(ref _slotCount);

    /// <summary>Live slots.</summary>
    public int LiveCount => Volatile.Read(ref _liveCount);

    public int PageCount => _pages.Length;

    /// <summary>Slots allocated by the writer, published or not.</summary>
    public int AllocatedCount => _allocated;

    // ---------------------------------------------------------------- validation and preparation

    /// <summary>
    /// Checks a vector (length, finite, non-zero under cosine, within f16 range when stored as f16) and writes the form
    /// that is stored or searched with into <paramref name="destination"/>: normalised under cosine, otherwise a copy.
    /// </summary>
    public void Prepare(ReadOnlySpan<float> vector, Span<float> destination, string paramName)
    {
        if (vector.Length != Dimension)
        {
            throw new ArgumentException($"Expected a vector of dimension {Dimension}, got {vector.Length} elements.", paramName);
        }

        int bad = IndexOfNonFinite(vector);
        if (bad >= 0)
        {
            throw new ArgumentException($"Element {bad} is {vector[bad]}; vectors must be finite (no NaN or infinity).", paramName);
        }

        if (Metric == DistanceMetric.Cosine)
        {
            // Norm in double: float would overflow for very large finite elements.
            double sumSquares = 0;
            for (int i = 0; i < vector.Length; i++)
            {
                sumSquares += (double)vector[i] * vector[i];
            }

            if (sumSquares == 0 || !double.IsFinite(sumSquares))
            {
                throw new ArgumentException(sumSquares == 0
                    ? "A zero vector has no direction and cannot be used under cosine distance."
                    : "The vector's norm overflows; it cannot be normalised.", paramName);
            }

            TensorPrimitives.Multiply(vector, (float)(1.0 / Math.Sqrt(sumSquares)), destination);
        }
        else
        {
            vector.CopyTo(destination);
        }

        if (ElementType == VectorElementType.Float16)
        {
            float limit = (float)Half.MaxValue;
            for (int i = 0; i < destination.Length; i++)
            {
                if (MathF.Abs(destination[i]) > limit)
                {
                    throw new ArgumentException($"Element {i} is {vector[i]}, beyond the range of Float16 storage (+/-65504).", paramName);
                }
            }
        }
    }

    /// <summary>
    /// Validates and prepares a batch of rows (see <see cref="Prepare"/>) before anything changes, so that a bad row
    /// leaves the index as it was; errors name the row and its key. Checks <paramref name="cancellationToken"/> every
    /// 4096 rows and tells <paramref name="counter"/> about each block done.
    /// </summary>
    public float[] PrepareRows(ReadOnlySpan<long> keys, ReadOnlySpan<float> vectors, string vectorsName,
        ProgressCounter? counter = null, CancellationToken cancellationToken = default)
    {
        int dim = Dimension;
        if ((long)keys.Length * dim != vectors.Length)
        {
            throw new ArgumentException(keys.Length == 1
                ? $"Expected a vector of dimension {dim}, got {vectors.Length} elements."
                : $"Expected {keys.Length} x {dim} = {(long)keys.Length * dim} elements for {keys.Length} keys, got {vectors.Length}.", vectorsName);
        }

        float[] prepared = GC.AllocateUninitializedArray<float>(vectors.Length);
        for (int i = 0; i < keys.Length; i++)
        {
            if ((i & 4095) == 0 && i > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                counter?.Add(4096);
            }

            try
            {
                Prepare(vectors.Slice(i * dim, dim), prepared.AsSpan(i * dim, dim), vectorsName);
            }
            catch (ArgumentException e) when (keys.Length > 1)
            {
                throw new ArgumentException($"Row {i} (key {keys[i]}): {e.Message}", vectorsName, e);
            }
        }

        return prepared;
    }

    /// <summary>Validates and prepares a batch of queries (row after row); errors name the query's position.</summary>
    public float[] PrepareQueries(ReadOnlySpan<float> queries, string queriesName)
    {
        int dim = Dimension;
        if (queries.Length % dim != 0)
        {
            throw new ArgumentException($"Expected a multiple of the dimension {dim} elements, got {queries.Length}.", queriesName);
        }

        float[] prepared = GC.AllocateUninitializedArray<float>(queries.Length);
        for (int i = 0; i < queries.Length / dim; i++)
        {
            try
            {
                Prepare(queries.Slice(i * dim, dim), prepared.AsSpan(i * dim, dim), queriesName);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"Query {i}: {e.Message}", queriesName, e);
            }
        }

        return prepared;
    }

    /// <summary>Throws when a key is already live or repeats within <paramref name="keys"/> (caller holds its key lock).</summary>
    public void CheckNewKeys(ReadOnlySpan<long> keys, string keysName)
    {
        var seen = keys.Length > 1 ? new HashSet<long>(keys.Length) : null;
        foreach (long key in keys)
        {
            if (_slotByKey.ContainsKey(key) || (seen is not null && !seen.Add(key)))
            {
                throw new ArgumentException($"Key {key} is already in the index (remove it first to replace its vector).", keysName);
            }
        }
    }

    /// <summary>Index of the first NaN or infinite element, or -1.</summary>
    public static int IndexOfNonFinite(ReadOnlySpan<float> vector)
    {
        // x - x is 0 for finite x and NaN for NaN or infinity: one vectorised pass finds both.
        if (float.IsFinite(TensorPrimitives.Sum(vector)) && float.IsFinite(TensorPrimitives.SumOfSquares(vector)))
        {
            return -1;
        }

        for (int i = 0; i < vector.Length; i++)
        {
            if (!float.IsFinite(vector[i]))
            {
                return i;
            }
        }

        return -1; // Only the sums overflowed; every element is finite.
    }

    // ---------------------------------------------------------------- keys (callers serialise access with their own lock)

    /// <summary>The slot of a live key.</summary>
    public bool TryGetSlot(long key, out int slot) => _slotByKey.TryGetValue(key, out slot);

    /// <summary>Whether a live slot has this key.</summary>
    public bool ContainsKey(long key) => _slotByKey.ContainsKey(key);

    /// <summary>Records the slot of a new key.</summary>
    public void MapKey(long key, int slot) => _slotByKey.Add(key, slot);

    /// <summary>Forgets a key; returns its slot.</summary>
    public bool UnmapKey(long key, out int slot) => _slotByKey.Remove(key, out slot);

    /// <summary>The live keys.</summary>
    public long[] GetKeys()
    {
        var keys = new long[_slotByKey.Count];
        _slotByKey.Keys.CopyTo(keys, 0);
        return keys;
    }

    /// <summary>Offers a deleted slot for reuse by <see cref="TryReuseSlot"/>.</summary>
    public void AddFreeSlot(int slot) => _freeSlots.Push(slot);

    /// <summary>Takes a deleted slot back, if any was offered.</summary>
    public bool TryReuseSlot(out int slot) => _freeSlots.TryPop(out slot);

    /// <summary>Rebuilds the key map and free list from the pages (after loading).</summary>
    public void RebuildKeyMap(bool collectFreeSlots)
    {
        _slotByKey.Clear();
        _slotByKey.EnsureCapacity(SlotCount); // one allocation, no rehashing: the key map is most of the cost of opening a mapped index
        _freeSlots.Clear();
        int live = 0;
        for (int slot = SlotCount - 1; slot >= 0; slot--)
        {
            if (IsDeleted(slot))
            {
                if (collectFreeSlots)
                {
                    _freeSlots.Push(slot);
                }

                continue;
            }

            if (!_slotByKey.TryAdd(GetKey(slot), slot))
            {
                throw new InvalidDataException($"Key {GetKey(slot)} appears twice in the index data.");
            }

            live++;
        }

        Volatile.Write(ref _liveCount, live);
    }

    // ---------------------------------------------------------------- slots

    /// <summary>Takes a new slot at the end, growing the page table when needed. The slot is not yet visible.</summary>
    public int AllocateSlot()
    {
        int slot = _allocated;
        if (IsMapped)
        {
            throw new InvalidOperationException("The rows are read from a memory-mapped file; the store is read-only.");
        }

        if (slot == int.MaxValue)
        {
            throw new InvalidOperationException("The index is full (2^31-1 slots).");
        }

        int page = slot >> PageShift;
        if (page >= _pages.Length)
        {
            Grow(page + 1);
        }

        _allocated = slot + 1;
        return slot;
    }

    /// <summary>Makes every allocated slot visible to readers, after their rows and keys are written.</summary>
    public void Publish() => Volatile.Write(ref _slotCount, _allocated);

    /// <summary>
    /// Gives back the allocated slots from <paramref name="slots"/> on, which must never have been written (a cancelled
    /// HNSW insertion); a later <see cref="AllocateSlot"/> hands them out again. Readers that already saw them skip
    /// them, as they skip any slot the graph has not linked yet.
    /// </summary>
    public void Truncate(int slots)
    {
        _allocated = slots;
        Publish();
    }

    /// <summary>Allocates and publishes <paramref name="count"/> slots at once, rows unwritten, all deleted (loading).</summary>
    public void AllocateForLoad(int count)
    {
        Reserve(count);
        _allocated = count;
        Publish();
    }

    /// <summary>
    /// Makes a store read rows in place from a mapped file (<see cref="IndexFileReader.ReadMappedStore"/>): takes
    /// <paramref name="pages"/> (mapped, one per <see cref="RowsPerPage"/> slots) and publishes <paramref name="slots"/>
    /// slots. The store is read-only from then on: <see cref="AllocateSlot"/> and every row write throw.
    /// </summary>
    public void AttachMappedPages(Page[] pages, int slots)
    {
        if (_pages.Length != 0 || pages.Length != (int)(((long)slots + RowsPerPage - 1) >> PageShift))
        {
            throw new InvalidOperationException("Mapped pages go into an empty store, one page per RowsPerPage slots.");
        }

        _pages = pages;
        IsMapped = true;
        AllocateForLoad(slots);
    }

    /// <summary>Whether the rows are read from a mapped file (the store is read-only).</summary>
    public bool IsMapped { get; private set; }

    /// <summary>Ensures pages exist for at least <paramref name="slots"/> slots (bulk adds, loading).</summary>
    public void Reserve(int slots)
    {
        int pages = (int)(((long)slots + RowsPerPage - 1) >> PageShift);
        if (pages > _pages.Length)
        {
            Grow(pages);
        }
    }

    /// <summary>
    /// Ensures pages for <paramref name="slots"/> slots while loading <paramref name="total"/> from a stream whose length
    /// is unknown: grows by half at a time, never past <paramref name="total"/>, so memory follows the rows read.
    /// </summary>
    public void ReserveForLoad(int slots, int total)
    {
        int pages = (int)(((long)slots + RowsPerPage - 1) >> PageShift);
        if (pages > _pages.Length)
        {
            Grow(pages, (int)(((long)total + RowsPerPage - 1) >> PageShift));
        }
    }

    private void Grow(int minPages, int maxPages = int.MaxValue)
    {
        Page[] old = _pages;
        int count = Math.Max(minPages, Math.Min(maxPages, old.Length == 0 ? 1 : old.Length + Math.Max(1, old.Length / 2)));
        var pages = new Page[count];
        Array.Copy(old, pages, old.Length);
        for (int i = old.Length; i < count; i++)
        {
            pages[i] = new Page(RowsPerPage, Dimension, ElementType, KeepFloat32Rows);
        }

        _pages = pages; // volatile write: readers see complete pages
    }

    /// <summary>Writes a prepared row (see <see cref="Prepare"/>) and its key into a slot and marks it live.</summary>
    public void SetRow(int slot, long key, ReadOnlySpan<float> prepared)
    {
        Page page = _pages[slot >> PageShift];
        int row = slot & (RowsPerPage - 1);
        if (page.HasF32)
        {
            prepared.CopyTo(page.F32Array.AsSpan(row * Dimension, Dimension));
        }

        if (page.HasI8)
        {
            ScalarQuantizer q = _quantizer ?? throw new InvalidOperationException("The Int8 quantiser is not trained.");
            Span<byte> codes = page.I8Array.AsSpan(row * Dimension, Dimension);
            q.Encode(prepared, codes);
            if (page.Error is not null)
            {
                SetBoundTerms(page, row, prepared, codes);
            }
        }
        else if (page.HasF16)
        {
            TensorPrimitives.ConvertToHalf(prepared, page.F16Array.AsSpan(row * Dimension, Dimension));
        }

        page.Keys[row] = key;
        if (page.Deleted[row])
        {
            page.Deleted[row] = false;
        }

        Interlocked.Increment(ref _liveCount);
    }

    /// <summary>Copies a live slot of <paramref name="source"/> (same settings) as stored into <paramref name="slot"/> and marks it live.</summary>
    public void CopySlotFrom(VectorStore source, int sourceSlot, int slot)
    {
        Page from = source._pages[sourceSlot >> source.PageShift], to = _pages[slot >> PageShift];
        int a = sourceSlot & (source.RowsPerPage - 1), b = slot & (RowsPerPage - 1), d = Dimension;
        if (from.HasF32) from.F32.Slice(a * d, d).CopyTo(to.F32Array.AsSpan(b * d, d));
        if (from.HasF16) from.F16.Slice(a * d, d).CopyTo(to.F16Array.AsSpan(b * d, d));
        if (from.HasI8) from.I8.Slice(a * d, d).CopyTo(to.I8Array.AsSpan(b * d, d));
        if (from.Error is { } e && from.NormSquared is { } n)
        {
            to.Error![b] = e[a];
            to.NormSquared![b] = n[a];
            UpdateExtremes(e[a], n[a]);
        }

        to.Keys[b] = from.Keys[a];
        to.Deleted[b] = false;
        Interlocked.Increment(ref _liveCount);
    }

    /// <summary>Recomputes a slot's bound terms from its f32 row and codes (loading; Int8 with f32 rows kept).</summary>
    public void RecomputeBoundTerms(int slot)
    {
        Page page = _pages[slot >> PageShift];
        int row = slot & (RowsPerPage - 1);
        SetBoundTerms(page, row, RowF32(slot), RowI8(slot));
    }

    private void SetBoundTerms(Page page, int row, ReadOnlySpan<float> prepared, ReadOnlySpan<byte> codes)
    {
        float residual = _quantizer!.ResidualNormUpperBound(prepared, codes, out double normSquared);
        float error = Metric == DistanceMetric.SquaredL2
            ? residual
            : ScalarQuantizer.RoundUp(residual + (DotRoundingFactor(Dimension) * Math.Sqrt(normSquared) * (1 + 1e-12)));
        page.NormSquared![row] = (float)normSquared;
        page.Error![row] = error;
        UpdateExtremes(error, (float)normSquared);
    }

    /// <summary>Widens <see cref="MaxError"/> and <see cref="MinNormSquared"/> (HNSW writes rows from several threads).</summary>
    private void UpdateExtremes(float error, float normSquared)
    {
        float seen;
        while (error > (seen = Volatile.Read(ref _maxError)) && Interlocked.CompareExchange(ref _maxError, error, seen) != seen)
        {
        }

        while (normSquared < (seen = Volatile.Read(ref _minNormSquared)) && Interlocked.CompareExchange(ref _minNormSquared, normSquared, seen) != seen)
        {
        }
    }

    /// <summary>Marks a live slot deleted (a tombstone: the row stays readable for graph routing).</summary>
    public void MarkDeleted(int slot)
    {
        Page page = _pages[slot >> PageShift];
        int row = slot & (RowsPerPage - 1);
        if (!page.Deleted[row])
        {
            page.Deleted[row] = true;
            Interlocked.Decrement(ref _liveCount);
        }
    }

    /// <summary>Whether a slot is deleted.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsDeleted(int slot) => _pages[slot >> PageShift].Deleted[slot & (RowsPerPage - 1)];

    /// <summary>The key stored in a slot.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long GetKey(int slot) => _pages[slot >> PageShift].Keys[slot & (RowsPerPage - 1)];

    /// <summary>The page that holds <paramref name="pageIndex"/>; its arrays are stable for the store's lifetime.</summary>
    public Page GetPage(int pageIndex) => _pages[pageIndex];

    /// <summary>The f32 row of a slot (Float32 stores only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<float> RowF32(int slot)
        => _pages[slot >> PageShift].F32.Slice((slot & (RowsPerPage - 1)) * Dimension, Dimension);

    /// <summary>The f16 row of a slot (Float16 stores only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<Half> RowF16(int slot)
        => _pages[slot >> PageShift].F16.Slice((slot & (RowsPerPage - 1)) * Dimension, Dimension);

    /// <summary>The 8-bit codes of a slot (Int8 stores only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<byte> RowI8(int slot)
        => _pages[slot >> PageShift].I8.Slice((slot & (RowsPerPage - 1)) * Dimension, Dimension);

    /// <summary>Copies a slot's row as floats: the f32 row when there is one, else the stored row read back.</summary>
    public void CopyRow(int slot, Span<float> destination)
    {
        if (HasFloat32Rows)
        {
            RowF32(slot).CopyTo(destination);
        }
        else if (ElementType == VectorElementType.Int8)
        {
            _quantizer!.Decode(RowI8(slot), destination[..Dimension]);
        }
        else
        {
            TensorPrimitives.ConvertToSingle(RowF16(slot), destination[..Dimension]);
        }
    }

    /// <summary>
    /// <c>gamma_2d = 2d u / (1 - 2d u)</c>, u = 2^-24: the relative error bound of any f32 dot product of length d
    /// (Higham, "Accuracy and Stability of Numerical Algorithms", 3.1; any summation order, with or without FMA),
    /// doubled for margin. |fl(q.x) - q.x| &lt;= gamma * sum |q_i x_i| &lt;= gamma * ||q|| ||x||.
    /// </summary>
    public static double DotRoundingFactor(int dimension)
    {
        double nu = 2.0 * dimension * Math.ScaleB(1.0, -24);
        return nu / (1 - nu);
    }

    /// <summary>
    /// Distance between a prepared query and a slot's row under <see cref="Metric"/>: 1 - dot for cosine (rows and
    /// query are normalised) and inner product, squared L2 otherwise.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Distance(ReadOnlySpan<float> preparedQuery, int slot)
    {
        Page page = _pages[slot >> PageShift];
        int offset = (slot & (RowsPerPage - 1)) * Dimension;
        if (!page.HasF32 && page.HasI8)
        {
            ScalarQuantizer q = _quantizer!;
            ReadOnlySpan<byte> row = page.I8.Slice(offset, Dimension);
            return Metric == DistanceMetric.SquaredL2
                ? DistanceKernels.DequantizedSquaredL2(preparedQuery, row, q.Offset, q.Step)
                : 1f - DistanceKernels.DequantizedDot(preparedQuery, row, q.Offset, q.Step);
        }

        if (Metric == DistanceMetric.SquaredL2)
        {
            return page.HasF32
                ? DistanceKernels.SquaredL2(preparedQuery, page.F32.Slice(offset, Dimension))
                : DistanceKernels.SquaredL2(preparedQuery, page.F16.Slice(offset, Dimension));
        }

        return 1f - (page.HasF32
            ? DistanceKernels.Dot(preparedQuery, page.F32.Slice(offset, Dimension))
            : DistanceKernels.Dot(preparedQuery, page.F16.Slice(offset, Dimension)));
    }

    /// <summary>Converts a kernel score (dot product, or squared L2) to the metric's distance.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ScoreToDistance(DistanceMetric metric, float score) => metric == DistanceMetric.SquaredL2 ? score : 1f - score;

    /// <summary>
    /// A page of rows: vectors (f32, f16, or 8-bit codes with optionally the f32 rows and two bound terms per row), keys
    /// and tombstones, for <see cref="VectorStore.RowsPerPage"/> slots. The vectors live in managed arrays, or, in a
    /// mapped store, in a memory-mapped index file (read-only; see <see cref="MappedFile"/>).
    /// </summary>
    internal sealed class Page
    {
        private readonly float[]? _f32;
        private readonly Half[]? _f16;
        private readonly byte[]? _i8;
        private readonly MappedFile? _file;   // mapped rows: the file, where they start, and how many elements
        private readonly long _offset;
        private readonly int _elements;
        private readonly VectorElementType _type;

        public Page(int rows, int dimension, VectorElementType type, bool keepFloat32Rows)
        {
            _type = type;
            if (type == VectorElementType.Float32 || keepFloat32Rows)
            {
                _f32 = GC.AllocateUninitializedArray<float>(rows * dimension);
            }

            if (type == VectorElementType.Float16)
            {
                _f16 = GC.AllocateUninitializedArray<Half>(rows * dimension);
            }
            else if (type == VectorElementType.Int8)
            {
                _i8 = GC.AllocateUninitializedArray<byte>(rows * dimension);
                if (keepFloat32Rows)
                {
                    Error = new float[rows];
                    NormSquared = new float[rows];
                }
            }

            Keys = new long[rows];
            Deleted = new bool[rows];
        }

        /// <summary>A page whose <paramref name="elements"/> stored elements are read in place from <paramref name="file"/> at <paramref name="offset"/>.</summary>
        public Page(MappedFile file, long offset, int elements, VectorElementType type, long[] keys, bool[] deleted)
        {
            _file = file;
            _offset = offset;
            _elements = elements;
            _type = type;
            Keys = keys;
            Deleted = deleted;
        }

        /// <summary>Whether the page's rows are read from a mapped file (and cannot be written).</summary>
        public bool IsMapped => _file is not null;

        /// <summary>The mapped file the rows are read from (null for a managed page).</summary>
        public MappedFile? File => _file;

        /// <summary>Where the page's rows start in <see cref="File"/>.</summary>
        public long FileOffset => _offset;

        public bool HasF32 => _f32 is not null || (_file is not null && _type == VectorElementType.Float32);

        public bool HasF16 => _type == VectorElementType.Float16;

        public bool HasI8 => _type == VectorElementType.Int8;

        /// <summary>The page's f32 rows, row after row (empty when it has none); mapped pages hold only their used rows.</summary>
        public ReadOnlySpan<float> F32 => _f32 ?? (HasF32 ? _file!.Span<float>(_offset, _elements) : default);

        /// <summary>The page's f16 rows (empty when it has none).</summary>
        public ReadOnlySpan<Half> F16 => _f16 ?? (HasF16 && _file is not null ? _file.Span<Half>(_offset, _elements) : default);

        /// <summary>The page's 8-bit codes (empty when it has none).</summary>
        public ReadOnlySpan<byte> I8 => _i8 ?? (HasI8 && _file is not null ? _file.Span<byte>(_offset, _elements) : default);

        /// <summary>The f32 rows to write (managed pages only).</summary>
        public float[] F32Array => _f32 ?? throw ReadOnlyRows();

        /// <summary>The f16 rows to write (managed pages only).</summary>
        public Half[] F16Array => _f16 ?? throw ReadOnlyRows();

        /// <summary>The codes to write (managed pages only).</summary>
        public byte[] I8Array => _i8 ?? throw ReadOnlyRows();

        /// <summary>
        /// Per row, with f32 rows kept: an upper bound on the row's quantisation residual norm <c>||x - x̂||</c>, plus,
        /// under the dot-product metrics, <c>gamma_2d * ||x||</c> (the f32 kernel's rounding, see <see cref="DotRoundingFactor"/>).
        /// </summary>
        public float[]? Error { get; }

        /// <summary>Per row, with f32 rows kept: <c>||x||^2</c> rounded to f32 (relative error at most 2^-24).</summary>
        public float[]? NormSquared { get; }

        public long[] Keys { get; }

        public bool[] Deleted { get; }

        private InvalidOperationException ReadOnlyRows() => new(_file is not null
            ? "The rows are read from a memory-mapped file and cannot be written."
            : $"The page holds no such rows (element type {_type}).");
    }
}
