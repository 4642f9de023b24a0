using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace ImageSearch;

/// <summary>
/// The HNSW graph over a <see cref="VectorStore"/>: link lists in flat int arrays, insertion (Malkov and Yashunin,
/// algorithms 1 to 4, with hnswlib's neighbour heuristic) and layer searches.
/// </summary>
/// <remarks>
/// <para>Layout. Slots are grouped in link pages of 4096. A page holds layer 0 as one <c>int[4096 * (1 + 2M)]</c>
/// (count, then up to 2M neighbour slots per node), the level of each node (level + 1; 0 = not inserted yet) and, for
/// the few nodes above layer 0, one <c>int[level * (1 + M)]</c> with their upper layers. Pages never move once
/// allocated; growing replaces only the page table, so readers holding an old table still see valid data.</para>
/// <para>Concurrency. Writers (inserts) lock one node at a time (spin locks striped over slots) while they change its
/// list, so they never deadlock; the entry point is changed under <c>_entryLock</c>. A new node's own lists are all
/// written before any list points at it, so no thread ever routes through a node whose lists are still empty. Readers take no lock: a list
/// read while a writer rewrites it may mix old and new neighbours, all of which are inserted nodes with written rows
/// (a node's row, key and level are written, then a full fence, before any list points to it). Every slot read from
/// a list is checked against the capacity the reader started with, so a reader never indexes outside its
/// snapshot.</para>
/// <para>Reachability. Layer 0 holds a spanning tree (each node's parent, linked both ways) that pruning never breaks, so
/// every node stays reachable from every other one; a node joins it under its parent's lock (docs/hnsw.md).</para>
/// </remarks>
internal sealed partial class HnswGraph
{
    internal const int LinkPageShift = 12;
    internal const int LinkPageSize = 1 << LinkPageShift;
    internal const int LinkPageMask = LinkPageSize - 1;
    internal const int MaxLevel = 31;

    /// <summary>
    /// Cache lines a search keeps in flight while computing a node's distances (about what a core's L2 tracks): rows
    /// are prefetched that many lines ahead, at least <see cref="MinPrefetchRows"/> rows (docs/hnsw.md, "Search speed").
    /// </summary>
    private const int InFlightLines = 64;
    private const int MinPrefetchRows = 4;
    private const int LockStripes = 4096;
    private const int LockSpacing = 16; // ints: one 64-byte line per stripe, so stripes do not share lines

    private readonly int[] _locks = new int[LockStripes * LockSpacing];
    private readonly object _entryLock = new();
    private readonly int _rowShift;
    private readonly int _rowMask;
    private readonly bool _l2;
    private readonly bool _f32;
    private readonly bool _mapped; // f32 rows read in place from a mapped file, not from _rowPages
    private readonly int _prefetchRows; // rows prefetched ahead: f32 rows
    private readonly int _prefetchCodeRows; // and 8-bit codes
    private readonly MappedFile? _file; // mapped: the file and where each page's rows start in it
    private readonly long[] _fileOffsets = [];
    private MappedFile? _layer0File; // set by ReadLayer0InPlace: layer-0 lists are read from the file, not from the link pages
    private long _layer0At;

    private LinkPage[] _linkPages = [];
    private float[][] _rowPages = [];
    private byte[][] _codePages = []; // Int8: each store page's codes, as _rowPages mirrors f32 rows
    private float[]?[] _normPages = []; // and its rows' ||x||^2 (kept with f32 rows only)
    private readonly bool _int8;
    private readonly bool _wideTraversal; // 8-bit traversal through 16-bit integer weights (TraversalQueryLength)
    private int _capacity;
    private long _entry = -1; // (maxLevel << 32) | slot; -1 when empty
    private ulong _rngState;

    /// <summary>Removed nodes still in the graph (written by the index under its writer lock).</summary>
    public int Tombstones;

    /// <summary>
    /// Whether the layer-0 tree is known: true for a graph built here, false for a loaded one until
    /// <see cref="EnsureTree"/> rebuilds it (files do not hold it).
    /// </summary>
    internal bool TreeKnown = true;

    /// <summary>
    /// Test hook: called by an inserting thread right after the node became reachable on a layer (other threads can now
    /// route through it there), with the slot and the layer. Lets tests pause an insertion at that point.
    /// </summary>
    internal Action<int, int>? LayerLinked;

    public HnswGraph(VectorStore store, int m, int efConstruction, double levelMultiplier, ulong rngState)
    {
        Store = store;
        M = m;
        MaxM0 = 2 * m;
        EfConstruction = efConstruction;
        LevelMultiplier = levelMultiplier;
        _rngState = rngState;
        Stride0 = 1 + MaxM0;
        StrideUpper = 1 + m;
        Dimension = store.Dimension;
        _rowShift = store.PageShift;
        _rowMask = store.RowsPerPage - 1;
        _l2 = store.Metric == DistanceMetric.SquaredL2;
        _f32 = store.HasFloat32Rows;
        _mapped = store.IsMapped;
        _int8 = store.ElementType == VectorElementType.Int8;
        _wideTraversal = _int8 && RowDistance.HasWideCodeDot(Dimension);
        _prefetchRows = Math.Max(MinPrefetchRows, InFlightLines / ((Dimension * sizeof(float) + 63) / 64));
        _prefetchCodeRows = Math.Max(MinPrefetchRows, InFlightLines / ((Dimension + 63) / 64));
        if (_mapped && store.ElementType == VectorElementType.Int8)
        {
            throw new NotSupportedException("An Int8 HNSW graph reads its codes from managed pages; it cannot run over mapped rows.");
        }

        if (_mapped && _f32)
        {
            // Every page's rows were range-checked here once (F32 is a checked span); distances then read them unchecked.
            _fileOffsets = new long[store.PageCount];
            for (int i = 0; i < _fileOffsets.Length; i++)
            {
                VectorStore.Page page = store.GetPage(i);
                _ = page.F32;
                _file = page.File;
                _fileOffsets[i] = page.FileOffset;
            }
        }
    }

    public VectorStore Store { get; }

    public int M { get; }

    public int MaxM0 { get; }

    public int EfConstruction { get; }

    public double LevelMultiplier { get; }

    public int Stride0 { get; }

    public int StrideUpper { get; }

    public int Dimension { get; }

    /// <summary>State of the level generator (saved, so a loaded index keeps drawing the same sequence).</summary>
    public ulong RngState => _rngState;

    /// <summary>Slots with link storage (published after their pages exist).</summary>
    public int Capacity => Volatile.Read(ref _capacity);

    /// <summary>The entry point and top level, or (-1, -1) when the graph is empty.</summary>
    public (int Slot, int Level) Entry
    {
        get
        {
            long e = Volatile.Read(ref _entry);
            return e < 0 ? (-1, -1) : ((int)e, (int)(e >> 32));
        }
    }

    internal void SetEntry(int slot, int level) => Volatile.Write(ref _entry, slot < 0 ? -1 : ((long)level << 32) | (uint)slot);

    internal void SetRngState(ulong state) => _rngState = state;

    internal LinkPage[] LinkPages => _linkPages;

    // ------------------------------------------------------------------ storage

    /// <summary>A page of link storage for <see cref="LinkPageSize"/> slots.</summary>
    internal sealed class LinkPage(int stride0)
    {
        public readonly int[] Layer0 = new int[LinkPageSize * stride0];
        public readonly byte[] Levels = new byte[LinkPageSize];
        public readonly int[]?[] Upper = new int[]?[LinkPageSize];

        /// <summary>Parent slot + 1 in the layer-0 spanning tree (0: none, for the entry point and unlinked slots).</summary>
        public readonly int[] Parents = new int[LinkPageSize];
    }

    /// <summary>Makes link storage and row mirrors cover <paramref name="slots"/> slots (writer only; the store must hold them).</summary>
    public void EnsureCapacity(int slots)
    {
        Store.Reserve(slots);
        LinkPage[] pages = _linkPages;
        int needed = (int)(((long)slots + LinkPageSize - 1) >> LinkPageShift);
        if (needed > pages.Length)
        {
            var grown = new LinkPage[Math.Max(needed, pages.Length + (pages.Length >> 1))];
            Array.Copy(pages, grown, pages.Length);
            for (int i = pages.Length; i < grown.Length; i++)
            {
                grown[i] = new LinkPage(_mapped ? 0 : Stride0); // a mapped graph reads layer 0 in place (ReadLayer0InPlace)
            }

            Volatile.Write(ref _linkPages, grown);
        }

        if (_f32 && !_mapped && _rowPages.Length < Store.PageCount)
        {
            var rows = new float[Store.PageCount][];
            for (int i = 0; i < rows.Length; i++)
            {
                rows[i] = Store.GetPage(i).F32Array;
            }

            Volatile.Write(ref _rowPages, rows);
        }

        if (_int8 && _codePages.Length < Store.PageCount)
        {
            var codes = new byte[Store.PageCount][];
            var norms = new float[]?[codes.Length];
            for (int i = 0; i < codes.Length; i++)
            {
                VectorStore.Page page = Store.GetPage(i);
                codes[i] = page.I8Array;
                norms[i] = page.NormSquared;
            }

            Volatile.Write(ref _normPages, norms);
            Volatile.Write(ref _codePages, codes);
        }

        int capacity = Math.Min(_linkPages.Length * LinkPageSize, _f32 && !_mapped ? _rowPages.Length << _rowShift : Store.PageCount << _rowShift);
        if (_int8)
        {
            capacity = Math.Min(capacity, _codePages.Length << _rowShift);
        }

        if (capacity > _capacity)
        {
            Volatile.Write(ref _capacity, capacity);
        }
    }

    /// <summary>
    /// Makes the graph read its layer-0 lists in place from <paramref name="file"/>, where <paramref name="slots"/>
    /// lists of <see cref="Stride0"/> ints start at <paramref name="offset"/> (a graph over a mapped store, which is
    /// read-only; its link pages hold no layer-0 lists). The lists are not checked: every search bounds a list's count by 2M and each
    /// neighbour by the capacity, which is held to <paramref name="slots"/> here, so a corrupt list can misroute a search
    /// but never read outside the section or the rows.
    /// </summary>
    public void ReadLayer0InPlace(MappedFile file, long offset, int slots)
    {
        _ = file.Span<int>(offset, checked(slots * Stride0)); // the whole range is inside the file (throws otherwise)
        _layer0File = file;
        _layer0At = offset;
        EnsureCapacity(slots);
        Volatile.Write(ref _capacity, Math.Min(_capacity, slots));
    }

    /// <summary>Level of an inserted node, or -1 when the slot holds no inserted node.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int LevelOf(int slot) => Volatile.Read(ref _linkPages[slot >> LinkPageShift].Levels[slot & LinkPageMask]) - 1;

    /// <summary>Draws a level: floor(-ln(U) * mL), U uniform in (0, 1], from a SplitMix64 sequence (writer only).</summary>
    public int NextLevel()
    {
        ulong z = _rngState += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        double u = ((z >> 11) + 1) * (1.0 / (1UL << 53)); // (0, 1]
        double level = -Math.Log(u) * LevelMultiplier;
        return level >= MaxLevel ? MaxLevel : (int)level;
    }

    /// <summary>Gives a slot its level and (empty) upper lists, before it is linked (writer only).</summary>
    public void PrepareNode(int slot, int level)
    {
        LinkPage page = _linkPages[slot >> LinkPageShift];
        int i = slot & LinkPageMask;
        page.Layer0[i * Stride0] = 0;
        page.Parents[i] = 0;
        page.Upper[i] = level > 0 ? new int[level * StrideUpper] : null;
        Volatile.Write(ref page.Levels[i], (byte)(level + 1));
    }

    // ------------------------------------------------------------------ distances

    /// <summary>
    /// Distance from a prepared query to a stored row; a query of <see cref="Dimension"/> + 2 floats is an 8-bit
    /// traversal query (<see cref="PrepareTraversalQuery"/>) and is compared with the row's codes instead.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float Distance(ReadOnlySpan<float> query, int slot)
    {
        if (query.Length != Dimension)
        {
            return TraversalDistance(query, slot);
        }

        if (_f32)
        {
            // The row is inside its page: pages hold RowsPerPage full rows, and slot & mask is below RowsPerPage.
            ref float row = ref _mapped ? ref MappedRow(slot) : ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_rowPages[slot >> _rowShift]), (slot & _rowMask) * Dimension);
            ref float q = ref MemoryMarshal.GetReference(query);
            return _l2 ? RowDistance.SquaredL2(ref q, ref row, Dimension) : 1f - RowDistance.Dot(ref q, ref row, Dimension);
        }

        return Store.Distance(query, slot);
    }

    /// <summary>The first element of a slot's f32 row in a mapped store (slots below the store's count: inside their page's checked range).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref float MappedRow(int slot)
        => ref _file!.UncheckedRef<float>(_fileOffsets[slot >> _rowShift] + (sizeof(float) * (long)(slot & _rowMask) * Dimension));

    /// <summary>Distance from a prepared query (or an 8-bit traversal query) to a stored row, for callers outside the graph.</summary>
    public float DistanceTo(ReadOnlySpan<float> query, int slot) => Distance(query, slot);

    /// <summary>The length of an 8-bit traversal query for <paramref name="dimension"/> (<see cref="PrepareTraversalQuery"/>): always more than the dimension.</summary>
    public static int TraversalQueryLength(int dimension) => dimension + 4 + ((dimension + RowDistance.WideChunk + 1) / 2);

    /// <summary>
    /// Writes the 8-bit traversal form of a prepared query (Int8 stores; under squared L2 only with f32 rows, whose
    /// norms it needs), <see cref="TraversalQueryLength"/> floats: <c>w_j = q_j * step_j</c> for each dimension, then
    /// <c>sum q_j lo_j</c>, then <c>||q||^2</c>, so that <c>q . x̂ = sum q_j lo_j + sum w_j c_j</c>. Where the CPU has
    /// 16-bit multiply-adds (<see cref="RowDistance.HasWideCodeDot"/>) it also writes <c>w</c> scaled to 16-bit integers
    /// <c>k_j</c> (<see cref="QueryBound"/>), then the last <see cref="RowDistance.WideChunk"/> of them again with those
    /// before the last full chunk zeroed (the kernel's overlapping tail), stored in the floats after the scale
    /// <c>s</c> and constant <c>a</c> of <c>q . x̂ ~= a + s * sum k_j c_j</c>; traversal then uses that integer dot product.
    /// </summary>
    public void PrepareTraversalQuery(ReadOnlySpan<float> query, Span<float> destination)
    {
        ScalarQuantizer quantizer = Store.Quantizer!;
        System.Numerics.Tensors.TensorPrimitives.Multiply(query, quantizer.Step, destination[..Dimension]);
        destination[Dimension] = System.Numerics.Tensors.TensorPrimitives.Dot(query, quantizer.Offset);
        destination[Dimension + 1] = System.Numerics.Tensors.TensorPrimitives.Dot(query, query);
        if (!_wideTraversal)
        {
            return;
        }

        Span<short> weights = MemoryMarshal.Cast<float, short>(destination[(Dimension + 4)..TraversalQueryLength(Dimension)]);
        QueryBound bound = QueryBound.Create(query, quantizer, weights[..Dimension], Store.Metric);
        destination[Dimension + 2] = (float)(bound.Estimate(1) - bound.Estimate(0));
        destination[Dimension + 3] = (float)bound.Estimate(0);
        int chunk = RowDistance.WideChunk, full = Dimension & ~(chunk - 1);
        Span<short> tail = weights.Slice(Dimension, chunk);
        weights.Slice(Dimension - chunk, chunk).CopyTo(tail);
        tail[..(full - (Dimension - chunk))].Clear();
    }

    /// <summary>
    /// An approximate distance from a traversal query to a row's codes: <c>1 - q . x̂</c>, or
    /// <c>||q||^2 - 2 q . x̂ + ||x||^2</c> under squared L2 (the row's stored f32 norm).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float TraversalDistance(ReadOnlySpan<float> query, int slot)
    {
        int page = slot >> _rowShift, row = slot & _rowMask;
        // The codes are inside their page: pages hold RowsPerPage full rows, and row is below RowsPerPage.
        ref byte codes = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_codePages[page]), row * Dimension);
        ref float q = ref MemoryMarshal.GetReference(query);
        float dot = _wideTraversal
            ? Unsafe.Add(ref q, Dimension + 3) + (Unsafe.Add(ref q, Dimension + 2) * RowDistance.WideCodeDot(ref Unsafe.As<float, short>(ref Unsafe.Add(ref q, Dimension + 4)), ref codes, Dimension))
            : query[Dimension] + RowDistance.ScaledCodeDot(ref q, ref codes, Dimension);
        return _l2 ? query[Dimension + 1] - (2 * dot) + _normPages[page]![row] : 1f - dot;
    }

    /// <summary>Distance between two stored rows.</summary>
    private float Distance(int a, int b, SearchContext context)
    {
        if (_f32)
        {
            ReadOnlySpan<float> row = _mapped ? Store.RowF32(a) : new ReadOnlySpan<float>(_rowPages[a >> _rowShift], (a & _rowMask) * Dimension, Dimension);
            return Distance(row, b);
        }

        Span<float> buffer = context.Row.AsSpan(0, Dimension);
        Store.CopyRow(a, buffer);
        return Store.Distance(buffer, b);
    }

    /// <summary>
    /// Hints the CPU to fetch a whole row (f32, or the 8-bit codes when <paramref name="codes"/>); a no-op without SSE.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe void PrefetchRow(float[][] rows, int slot, bool codes)
    {
        if (!Sse.IsSupported || !(codes || _f32))
        {
            return;
        }

        // Rows live in pages of several MB on the large object heap, which the GC does not move, and a prefetch of a
        // stale address is harmless anyway: taking the raw address is safe here. Mapped rows are outside the GC heap:
        // their address is fixed.
        byte* start = codes
            ? (byte*)Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_codePages[slot >> _rowShift]), (slot & _rowMask) * Dimension))
            : _mapped
                ? (byte*)Unsafe.AsPointer(ref MappedRow(slot))
                : (byte*)Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(rows[slot >> _rowShift]), (slot & _rowMask) * Dimension));
        PrefetchLines(start, codes ? Dimension : Dimension * sizeof(float));
    }

    /// <summary>
    /// The exact (f32) distances from a prepared query to <paramref name="results"/>' rows, for the re-rank of an
    /// 8-bit traversal: rows and the lines of their keys are prefetched <see cref="InFlightLines"/> ahead as in a
    /// layer search, so the row and key reads of one result overlap those of the next ones.
    /// </summary>
    public unsafe void RerankDistances(ReadOnlySpan<float> query, ReadOnlySpan<Candidate> results, Span<float> distances)
    {
        float[][] rows = Volatile.Read(ref _rowPages);
        int ahead = _prefetchRows;
        for (int i = 0; i < results.Length + ahead; i++)
        {
            if (i < results.Length)
            {
                int slot = results[i].Slot;
                PrefetchRow(rows, slot, codes: false);
                if (Sse.IsSupported)
                {
                    // Key pages are arrays of the store, not moved once large; a stale address is harmless for a prefetch.
                    Sse.Prefetch0(Unsafe.AsPointer(ref Store.GetPage(slot >> _rowShift).Keys[slot & _rowMask]));
                }
            }

            if (i >= ahead)
            {
                distances[i - ahead] = Distance(query, results[i - ahead].Slot);
            }
        }
    }

    /// <summary>Prefetches every 64-byte line that holds a byte of [start, start + bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void PrefetchLines(byte* start, int bytes)
    {
        byte* last = start + bytes - 1;
        for (byte* line = (byte*)((nuint)start & ~(nuint)63); line <= last; line += 64)
        {
            Sse.Prefetch0(line);
        }
    }

    /// <summary>Hints the CPU to fetch the layer-0 list of the next node to expand.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe void PrefetchLinks(LinkPage[] pages, int slot)
    {
        if (Sse.IsSupported)
        {
            // Link pages are large arrays on the large object heap (not moved) and mapped lists do not move either; a
            // stale address is harmless for a prefetch.
            PrefetchLines((byte*)Unsafe.AsPointer(ref Layer0List(pages, slot)), Stride0 * sizeof(int));
        }
    }

    // ------------------------------------------------------------------ links

    /// <summary>The list of <paramref name="slot"/> on <paramref name="layer"/>: array and offset of its count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int[]? ListOf(LinkPage[] pages, int slot, int layer, out int offset)
    {
        LinkPage page = pages[slot >> LinkPageShift];
        int i = slot & LinkPageMask;
        if (layer == 0)
        {
            offset = i * Stride0;
            return page.Layer0;
        }

        int[]? upper = Volatile.Read(ref page.Upper[i]);
        offset = (layer - 1) * StrideUpper;
        return upper is not null && offset < upper.Length ? upper : null;
    }

    /// <summary>
    /// The layer-0 list of <paramref name="slot"/> (its count, then the neighbours), in a link page or in place in a
    /// mapped file; for searches, which bound what they read (<see cref="ReadCount(ref int, int)"/>, the capacity).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref int Layer0List(LinkPage[] pages, int slot)
        => ref _layer0File is null
            ? ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(pages[slot >> LinkPageShift].Layer0), (slot & LinkPageMask) * Stride0)
            : ref _layer0File.UncheckedRef<int>(_layer0At + (sizeof(int) * (long)slot * Stride0));

    /// <summary>As <see cref="ListOf"/>, for searches: a reference to the list's count, or a null reference when the node has no list on the layer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref int SearchList(LinkPage[] pages, int slot, int layer)
    {
        if (layer == 0)
        {
            return ref Layer0List(pages, slot);
        }

        int[]? list = ListOf(pages, slot, layer, out int offset);
        return ref list is null ? ref Unsafe.NullRef<int>() : ref list[offset];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ReadCount(ref int count, int max)
    {
        int n = Volatile.Read(ref count);
        return (uint)n <= (uint)max ? n : 0; // never trust a count beyond the list (torn or corrupt)
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ReadCount(int[] list, int offset, int max) => ReadCount(ref list[offset], max);

    private void Lock(int slot)
    {
        ref int l = ref _locks[(slot & (LockStripes - 1)) * LockSpacing];
        if (Interlocked.CompareExchange(ref l, 1, 0) == 0)
        {
            return;
        }

        var spin = default(SpinWait);
        while (Interlocked.CompareExchange(ref l, 1, 0) != 0)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    private void Unlock(int slot) => Volatile.Write(ref _locks[(slot & (LockStripes - 1)) * LockSpacing], 0);

    // ------------------------------------------------------------------ insertion

    /// <summary>
    /// Links a prepared node (row, key and level written by <see cref="PrepareNode"/>) into the graph. Safe to call from
    /// several threads for different slots, and while searches run.
    /// </summary>
    public void Insert(int slot, SearchContext context)
    {
        int level = LevelOf(slot);
        Interlocked.MemoryBarrier(); // row, key and level are visible before any list points at the node
        context.EnsureDimension(Dimension);
        Span<float> row = context.Query.AsSpan(0, Dimension);
        Store.CopyRow(slot, row);
        ReadOnlySpan<float> q = row;
        bool rescore = false;
        if (_int8 && (_f32 || !_l2))
        {
            // Int8: the insertion's searches run on the codes through the 8-bit traversal query, as searches do, instead
            // of on f32 or dequantised rows (under squared L2 the traversal needs the norms that only f32 rows keep).
            // With f32 rows the candidates found are scored on f32 before the neighbour selection, so the links are
            // still chosen on exact distances. GloVe-100 331k: build -11 % (f32 rows) and -17 % (codes only), recall
            // unchanged (docs/hnsw.md, "Second round").
            PrepareTraversalQuery(row, context.Traversal);
            q = context.Traversal.AsSpan(0, TraversalQueryLength(Dimension));
            rescore = _f32;
        }

        long entry = Volatile.Read(ref _entry);
        if (entry < 0)
        {
            lock (_entryLock)
            {
                if (Volatile.Read(ref _entry) < 0)
                {
                    SetEntry(slot, level);
                    return;
                }
            }

            entry = Volatile.Read(ref _entry);
        }

        // A node that will become the new top holds the entry lock for its whole insertion, as hnswlib does, so that
        // two new tops never race; that is rare (about 1 node in M^(top level)).
        // Re-checked under the lock: a node that waited while another raised the top is an ordinary insertion (it must
        // not re-root the layer-0 tree below itself without becoming the entry point).
        bool holdsEntry = false;
        if (level > (int)(entry >> 32))
        {
            Monitor.Enter(_entryLock);
            entry = Volatile.Read(ref _entry);
            holdsEntry = level > (int)(entry >> 32);
            if (!holdsEntry)
            {
                Monitor.Exit(_entryLock);
            }
        }

        try
        {
            int cur = (int)entry;
            int top = (int)(entry >> 32);
            float curDist = Distance(q, cur);
            for (int layer = top; layer > level; layer--)
            {
                GreedyClosest(q, layer, ref cur, ref curDist);
            }

            // Two phases. First the node's own lists on every layer, while no other thread can reach it; only then the
            // links to it. Linking layer by layer instead let another insertion reach the node on an upper layer and
            // descend into its still empty layer-0 list: that insertion linked only to this node, and lost even its link
            // back when this node wrote its own list, so it became unreachable (see docs/hnsw.md, "Bulk add").
            // A serial build makes the same graph either way: a layer's search reads only that layer's lists.
            int lowest = Math.Min(level, top);
            context.EnsureLinks((lowest + 1) * M);
            for (int layer = lowest; layer >= 0; layer--)
            {
                SearchLayer(q, cur, curDist, EfConstruction, layer, filter: null, context, distanceBudget: int.MaxValue, forConstruction: true);
                int n = context.DrainResultsAscending();
                if (n == 0)
                {
                    // Every candidate was a tombstone: link to the (deleted) entry so the node stays reachable.
                    context.Sorted[0] = new Candidate(curDist, cur);
                    n = 1;
                }

                cur = context.Sorted[0].Slot;
                curDist = context.Sorted[0].Distance;
                if (rescore)
                {
                    Span<Candidate> found = context.Sorted.AsSpan(0, n);
                    for (int i = 0; i < n; i++)
                    {
                        found[i].Distance = Distance(row, found[i].Slot);
                    }

                    SortByDistance(found);
                }

                int selected = SelectNeighbours(context.Sorted.AsSpan(0, n), M, context.Selected, context);
                Span<int> links = context.Links.AsSpan(layer * M, selected);
                context.Selected.AsSpan(0, selected).CopyTo(links);
                context.LinkCounts[layer] = selected;
                SetLinks(slot, layer, links);
            }

            int oldEntry = (int)entry;
            if (holdsEntry)
            {
                // The new top becomes the tree's root: the old root hangs below it, linked both ways on layer 0. The
                // node's own list is complete first, so nothing reaches it before its lists are written.
                AppendOwnLink(slot, oldEntry);
                SetParent(oldEntry, slot);
                LinkInto(oldEntry, slot, 0, LinkMode.Plain, context);
            }

            for (int layer = lowest; layer >= 0; layer--)
            {
                ReadOnlySpan<int> links = context.Links.AsSpan(layer * M, context.LinkCounts[layer]);
                if (layer > 0 || holdsEntry)
                {
                    foreach (int n in links)
                    {
                        LinkInto(n, slot, layer, LinkMode.Plain, context);
                    }
                }
                else
                {
                    LinkIntoTree(slot, links, context);
                }

                LayerLinked?.Invoke(slot, layer);
            }

            if (holdsEntry)
            {
                SetEntry(slot, level);
            }
        }
        finally
        {
            if (holdsEntry)
            {
                Monitor.Exit(_entryLock);
            }
        }
    }

    /// <summary>
    /// hnswlib's heuristic (the paper's algorithm 4 without extension): walk the candidates nearest first and keep one
    /// unless it is closer to an already kept neighbour than to the base, which spreads links across directions.
    /// </summary>
    private int SelectNeighbours(ReadOnlySpan<Candidate> ascending, int m, int[] selected, SearchContext context)
    {
        int count = 0;
        if (ascending.Length <= m)
        {
            for (int i = 0; i < ascending.Length; i++)
            {
                selected[count++] = ascending[i].Slot;
            }

            return count;
        }

        for (int i = 0; i < ascending.Length && count < m; i++)
        {
            Candidate c = ascending[i];
            bool good = true;
            for (int j = 0; j < count; j++)
            {
                if (Distance(c.Slot, selected[j], context) < c.Distance)
                {
                    good = false;
                    break;
                }
            }

            if (good)
            {
                selected[count++] = c.Slot;
            }
        }

        return count;
    }

    /// <summary>
    /// Adds a new node to its neighbours' layer-0 lists and to the layer-0 spanning tree: the nearest neighbour that is
    /// in the tree and has room becomes its parent (any tree node with room when none of them has), and the link
    /// between them is kept both ways by every later pruning. So every node stays reachable from every other one on
    /// layer 0, whatever the heuristic drops.
    /// </summary>
    private void LinkIntoTree(int slot, ReadOnlySpan<int> neighbours, SearchContext context)
    {
        foreach (int n in neighbours)
        {
            LinkInto(n, slot, 0, ParentOf(slot) < 0 ? LinkMode.Adopt : LinkMode.Plain, context);
        }

        for (int n = 0; ParentOf(slot) < 0 && n < Capacity; n++)
        {
            // No neighbour could adopt the node (each already holds MaxM0 - 1 children): rare, so a plain scan. One
            // tree node has room, since the tree's links (nodes - 1) are fewer than its nodes x (MaxM0 - 1).
            if (n != slot && InTree(n))
            {
                LinkInto(n, slot, 0, LinkMode.AdoptOnly, context);
            }
        }

        int parent = ParentOf(slot);
        if (parent >= 0)
        {
            LinkInto(slot, parent, 0, LinkMode.Plain, context); // the way back up (usually present already)
        }
    }

    /// <summary>How <see cref="LinkInto"/> treats the layer-0 tree.</summary>
    private enum LinkMode
    {
        /// <summary>Adds the link (it may be pruned away unless it is a tree link).</summary>
        Plain,

        /// <summary>Adds the link; the list's owner also adopts the node when it is in the tree and has room.</summary>
        Adopt,

        /// <summary>Adopts and links the node when the owner can, else changes nothing.</summary>
        AdoptOnly,
    }

    /// <summary>
    /// Rebuilds the layer-0 tree of a loaded graph before its first insertion (writer only, no insertion running): a
    /// breadth-first walk from the entry point over links that go both ways; a node the walk misses (a graph saved
    /// before the tree existed may have nodes nothing links to) is linked below the nearest tree node with room, and
    /// the walk goes on from it. Costs about one pass over the links.
    /// </summary>
    public void EnsureTree(SearchContext context)
    {
        (int root, _) = Entry;
        if (TreeKnown || root < 0)
        {
            TreeKnown = true;
            return;
        }

        int limit = Capacity;
        var queue = new Queue<int>();
        queue.Enqueue(root);
        WalkTree(queue, root);
        for (int s = 0; s < limit; s++)
        {
            if (LevelOf(s) >= 0 && !InTree(s))
            {
                AttachToTree(s, root, context);
                queue.Enqueue(s);
                WalkTree(queue, root);
            }
        }

        TreeKnown = true;
    }

    /// <summary>
    /// What is wrong with a loaded layer-0 tree, or null: the entry point is the root, every other node has a parent
    /// that is not itself, the two list each other, no node has more than MaxM0 - 1 children, and every parent chain
    /// ends at the root (no cycle). A tree that breaks these would let pruning strand nodes.
    /// </summary>
    public string? TreeProblem()
    {
        (int root, _) = Entry;
        int slots = Store.SlotCount;
        LinkPage[] pages = _linkPages;
        var children = new ushort[slots]; // half the cache footprint of ints; a count stops at MaxM0 <= 512 (reported)
        const int Ahead = 16; // parents' lists are scattered: fetching them this many slots early hides most of the misses
        for (int s = 0; s < slots; s++)
        {
            if (s + Ahead < slots && ParentOf(s + Ahead) is int next && (uint)next < (uint)slots)
            {
                PrefetchLinks(pages, next);
            }

            int parent = ParentOf(s);
            if (s == root ? parent != -1 : (uint)parent >= (uint)slots || parent == s)
            {
                return $"slot {s} has parent {parent}";
            }

            if (s != root)
            {
                int[] own = ListOf(pages, s, 0, out int off)!;
                int[] up = ListOf(pages, parent, 0, out int upOff)!;
                if (!own.AsSpan(off + 1, ReadCount(own, off, MaxM0)).Contains(parent) || !up.AsSpan(upOff + 1, ReadCount(up, upOff, MaxM0)).Contains(s)
                    || ++children[parent] > MaxM0 - 1)
                {
                    return $"slot {s} and its parent {parent} are not linked both ways, or the parent has too many children";
                }
            }
        }

        // Chains: 1 = ends at the root; 2 = on the chain being followed. Each slot is followed once.
        var state = new byte[slots];
        if (root >= 0)
        {
            state[root] = 1;
        }

        var chain = new List<int>();
        for (int s = 0; s < slots; s++)
        {
            int c = s;
            while (state[c] == 0)
            {
                state[c] = 2;
                chain.Add(c);
                c = ParentOf(c);
            }

            if (state[c] == 2)
            {
                return $"slot {c} is its own ancestor";
            }

            foreach (int x in chain)
            {
                state[x] = 1;
            }

            chain.Clear();
        }

        return null;
    }

    /// <summary>Adopts, breadth first from the queued nodes, every node not yet in the tree that links back to its adopter.</summary>
    private void WalkTree(Queue<int> queue, int root)
    {
        LinkPage[] pages = _linkPages;
        while (queue.TryDequeue(out int n))
        {
            int[] list = ListOf(pages, n, 0, out int off)!;
            int count = ReadCount(list, off, MaxM0);
            int children = CountChildren(n, list.AsSpan(off + 1, count));
            for (int i = 1; i <= count && children < MaxM0 - 1; i++)
            {
                int c = list[off + i];
                if (c == root || ParentOf(c) >= 0 || LevelOf(c) < 0)
                {
                    continue;
                }

                int[] back = ListOf(pages, c, 0, out int backOff)!;
                if (back.AsSpan(backOff + 1, ReadCount(back, backOff, MaxM0)).Contains(n))
                {
                    SetParent(c, n);
                    children++;
                    queue.Enqueue(c);
                }
            }
        }
    }

    /// <summary>Links a node outside the tree below the nearest tree node with room that a search from the root finds.</summary>
    private void AttachToTree(int slot, int root, SearchContext context)
    {
        context.EnsureDimension(Dimension);
        Span<float> q = context.Query.AsSpan(0, Dimension);
        Store.CopyRow(slot, q);
        SearchLayer(q, root, Distance(q, root), EfConstruction, 0, filter: null, context, distanceBudget: int.MaxValue, forConstruction: true);
        int n = context.DrainResultsAscending();
        int[] nearest = new int[n];
        for (int i = 0; i < n; i++)
        {
            nearest[i] = context.Sorted[i].Slot; // copied: linking reuses the context's buffers
        }

        foreach (int p in nearest)
        {
            if (ParentOf(slot) >= 0)
            {
                break;
            }

            if (p != slot && InTree(p))
            {
                LinkInto(p, slot, 0, LinkMode.AdoptOnly, context);
            }
        }

        for (int p = 0; ParentOf(slot) < 0 && p < Capacity; p++)
        {
            if (p != slot && InTree(p))
            {
                LinkInto(p, slot, 0, LinkMode.AdoptOnly, context);
            }
        }

        if (ParentOf(slot) >= 0)
        {
            LinkInto(slot, ParentOf(slot), 0, LinkMode.Plain, context);
        }
    }

    /// <summary>Whether a node is in the layer-0 tree: it has a parent, or it is the root (the entry point).</summary>
    private bool InTree(int slot) => LevelOf(slot) >= 0 && (ParentOf(slot) >= 0 || slot == Entry.Slot);

    /// <summary>The node's parent in the layer-0 spanning tree, or -1 (the entry point, or not linked yet).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int ParentOf(int slot) => Volatile.Read(ref _linkPages[slot >> LinkPageShift].Parents[slot & LinkPageMask]) - 1;

    private void SetParent(int slot, int parent) => Volatile.Write(ref _linkPages[slot >> LinkPageShift].Parents[slot & LinkPageMask], parent + 1);

    /// <summary>Whether the layer-0 link between two nodes is a tree link (either is the other's parent).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsTreeLink(int owner, int other) => ParentOf(other) == owner || ParentOf(owner) == other;

    /// <summary>Appends a link to a node's own layer-0 list while no other thread can reach the node (no lock).</summary>
    private void AppendOwnLink(int slot, int other)
    {
        int[] own = ListOf(_linkPages, slot, 0, out int offset)!;
        int count = own[offset];
        if (own.AsSpan(offset + 1, count).Contains(other))
        {
            return;
        }

        own[offset + 1 + count] = other; // the list holds at most M < MaxM0 links here
        Volatile.Write(ref own[offset], count + 1);
    }

    /// <summary>Writes the list of a node that no other thread can reach yet (no lock needed); the count goes last.</summary>
    private void SetLinks(int slot, int layer, ReadOnlySpan<int> neighbours)
    {
        int[] own = ListOf(_linkPages, slot, layer, out int offset)!;
        neighbours.CopyTo(own.AsSpan(offset + 1, neighbours.Length));
        Volatile.Write(ref own[offset], neighbours.Length);
    }

    /// <summary>
    /// Adds <paramref name="slot"/> to the list of <paramref name="owner"/> on a layer, under the owner's lock,
    /// re-selecting a full list with the heuristic; on layer 0 a pruning never drops a tree link. From the first such
    /// link on, other threads can reach the node, so its own lists must all be written (see <see cref="Insert"/>).
    /// </summary>
    private void LinkInto(int owner, int slot, int layer, LinkMode mode, SearchContext context)
    {
        if (owner == slot)
        {
            return;
        }

        int max = layer == 0 ? MaxM0 : M;
        Lock(owner);
        try
        {
            int[]? list = ListOf(_linkPages, owner, layer, out int off);
            if (list is null)
            {
                return; // cannot happen for a node found on this layer; defensive
            }

            int count = ReadCount(list, off, max);
            if (mode != LinkMode.Plain)
            {
                // Children stay below MaxM0, so a list always has room for its tree links (children and parent).
                if (InTree(owner) && CountChildren(owner, list.AsSpan(off + 1, count)) < max - 1)
                {
                    SetParent(slot, owner);
                }
                else if (mode == LinkMode.AdoptOnly)
                {
                    return;
                }
            }

            if (list.AsSpan(off + 1, count).Contains(slot))
            {
                return;
            }

            if (count < max)
            {
                list[off + 1 + count] = slot;
                Volatile.Write(ref list[off], count + 1);
                return;
            }

            // Full: re-select among the old neighbours and the new node, by distance from the owner.
            context.EnsureSelection(max + 1);
            Candidate[] cands = context.Sorted;
            cands[0] = new Candidate(Distance(owner, slot, context), slot);
            for (int i = 0; i < count; i++)
            {
                int other = list[off + 1 + i];
                cands[i + 1] = new Candidate(Distance(owner, other, context), other);
            }

            SortByDistance(cands.AsSpan(0, count + 1));
            int kept = SelectNeighbours(cands.AsSpan(0, count + 1), max, context.Selected, context);
            if (layer == 0)
            {
                kept = KeepTreeLinks(owner, cands.AsSpan(0, count + 1), context.Selected, kept);
            }

            WriteInPlace(list.AsSpan(off + 1, count), context.Selected.AsSpan(0, kept));
            Volatile.Write(ref list[off], kept);
        }
        finally
        {
            Unlock(owner);
        }
    }

    /// <summary>
    /// Rewrites a full list to hold <paramref name="kept"/> (at most as many) links, leaving every link that stays at
    /// its position when it is below the new count and moving only the others into the freed positions below it.
    /// A search reading the list meanwhile (no lock) sees each position old or new: a link that stays is seen either
    /// way (in place, or still at its old position above the new count, which this write does not touch), so a tree
    /// link never vanishes from a concurrent search.
    /// </summary>
    private static void WriteInPlace(Span<int> list, ReadOnlySpan<int> kept)
    {
        Span<bool> placed = stackalloc bool[kept.Length]; // at most MaxM0 <= 512
        Span<bool> stays = stackalloc bool[kept.Length];
        for (int i = 0; i < kept.Length; i++)
        {
            int j = kept.IndexOf(list[i]);
            if (j >= 0)
            {
                placed[j] = true;
                stays[i] = true;
            }
        }

        for (int i = 0, next = 0; i < kept.Length; i++)
        {
            if (!stays[i])
            {
                while (placed[next])
                {
                    next++;
                }

                list[i] = kept[next];
                placed[next] = true;
            }
        }
    }

    /// <summary>Children of a node in the layer-0 tree, among its list (a parent always lists its children).</summary>
    private int CountChildren(int owner, ReadOnlySpan<int> list)
    {
        int children = 0;
        foreach (int n in list)
        {
            if (ParentOf(n) == owner)
            {
                children++;
            }
        }

        return children;
    }

    /// <summary>
    /// Puts back every tree link the heuristic dropped from a layer-0 list, in place of the farthest kept link that is
    /// not one (the selection is nearest first); returns the new count.
    /// </summary>
    private int KeepTreeLinks(int owner, ReadOnlySpan<Candidate> candidates, int[] selected, int kept)
    {
        foreach (Candidate c in candidates)
        {
            if (!IsTreeLink(owner, c.Slot) || selected.AsSpan(0, kept).Contains(c.Slot))
            {
                continue;
            }

            if (kept < MaxM0)
            {
                selected[kept++] = c.Slot;
                continue;
            }

            for (int j = kept - 1; j >= 0; j--)
            {
                if (!IsTreeLink(owner, selected[j]))
                {
                    selected[j] = c.Slot;
                    break;
                }
            }
        }

        return kept;
    }

    /// <summary>Insertion sort by (distance, slot): lists are short (at most 2M + 1) and nearly sorted.</summary>
    private static void SortByDistance(Span<Candidate> items)
    {
        for (int i = 1; i < items.Length; i++)
        {
            Candidate x = items[i];
            int j = i - 1;
            while (j >= 0 && (items[j].Distance > x.Distance || (items[j].Distance == x.Distance && items[j].Slot > x.Slot)))
            {
                items[j + 1] = items[j];
                j--;
            }

            items[j + 1] = x;
        }
    }

    /// <summary>Whether a node may be returned: inserted, not removed, and allowed by the filter.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsEligible(int slot, Func<long, bool>? filter)
        => !Store.IsDeleted(slot) && (filter is null || filter(Store.GetKey(slot)));

    /// <summary>Approximate memory held by the links (bytes), for reporting.</summary>
    public long LinkBytes()
    {
        LinkPage[] pages = _linkPages;
        long bytes = 0;
        foreach (LinkPage p in pages)
        {
            bytes += (p.Layer0.Length * 4L) + p.Levels.Length + (p.Upper.Length * 8L) + (p.Parents.Length * 4L) + 64;
            foreach (int[]? u in p.Upper)
            {
                if (u is not null)
                {
                    bytes += (u.Length * 4L) + 24;
                }
            }
        }

        return bytes;
    }
}
