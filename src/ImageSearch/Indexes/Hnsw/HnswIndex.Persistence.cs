using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace ImageSearch;

/// <summary>Saving and loading in the shared index file format.</summary>
public sealed partial class HnswIndex
{
    // Sections after the common KEYS, LIVE, VECS: parameters, levels, layer-0 links, upper-layer links.
    private static readonly uint ParamsTag = IndexFile.Tag("HNSW"u8);
    private static readonly uint LevelsTag = IndexFile.Tag("LVLS"u8);
    private static readonly uint Layer0Tag = IndexFile.Tag("LNK0"u8);
    private static readonly uint UpperTag = IndexFile.Tag("LNKU"u8);
    private static readonly uint TreeTag = IndexFile.Tag("TREE"u8);
    private const int TreeFlag = 1; // params offset 52: a TREE section follows LNKU (files of earlier versions have 0)
    private const int ParamsSize = 64;

    /// <inheritdoc/>
    /// <remarks>Waits for adds and removes in flight; searches continue meanwhile.</remarks>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        lock (_writeLock)
        {
            HnswGraph g = _graph;
            VectorStore s = g.Store;
            int slots = s.SlotCount;
            var writer = new IndexFileWriter(stream, new IndexFileHeader(IndexKind.Hnsw, s.Metric, s.ElementType, s.Dimension, slots, s.LiveCount, s.KeepFloat32Rows));
            writer.WriteStore(s, slots);

            (int entry, int top) = g.Entry;
            Span<byte> p = stackalloc byte[ParamsSize];
            p.Clear();
            BinaryPrimitives.WriteInt32LittleEndian(p, g.M);
            BinaryPrimitives.WriteInt32LittleEndian(p[4..], g.EfConstruction);
            BinaryPrimitives.WriteInt32LittleEndian(p[8..], Ef);
            BinaryPrimitives.WriteInt32LittleEndian(p[12..], _options.Seed);
            BinaryPrimitives.WriteDoubleLittleEndian(p[16..], g.LevelMultiplier);
            BinaryPrimitives.WriteUInt64LittleEndian(p[24..], g.RngState);
            BinaryPrimitives.WriteInt32LittleEndian(p[32..], entry);
            BinaryPrimitives.WriteInt32LittleEndian(p[36..], top);
            BinaryPrimitives.WriteDoubleLittleEndian(p[40..], _options.ExactFilterThreshold);
            BinaryPrimitives.WriteInt32LittleEndian(p[48..], g.Tombstones);
            BinaryPrimitives.WriteInt32LittleEndian(p[52..], g.TreeKnown ? TreeFlag : 0);
            writer.WriteSection(ParamsTag, p);

            HnswGraph.LinkPage[] pages = g.LinkPages;
            writer.BeginSection(LevelsTag, slots);
            long upperInts = 0;
            for (int start = 0, i = 0; start < slots; start += HnswGraph.LinkPageSize, i++)
            {
                int n = Math.Min(HnswGraph.LinkPageSize, slots - start);
                writer.Write(pages[i].Levels.AsSpan(0, n));
                foreach (byte level in pages[i].Levels.AsSpan(0, n))
                {
                    upperInts += Math.Max(0, level - 1) * (long)g.StrideUpper;
                }
            }

            writer.EndSection();

            writer.BeginSection(Layer0Tag, (long)slots * g.Stride0 * sizeof(int));
            for (int start = 0, i = 0; start < slots; start += HnswGraph.LinkPageSize, i++)
            {
                int n = Math.Min(HnswGraph.LinkPageSize, slots - start);
                writer.Write<int>(pages[i].Layer0.AsSpan(0, n * g.Stride0));
            }

            writer.EndSection();

            writer.BeginSection(UpperTag, upperInts * sizeof(int));
            for (int slot = 0; slot < slots; slot++)
            {
                int[]? upper = pages[slot >> HnswGraph.LinkPageShift].Upper[slot & HnswGraph.LinkPageMask];
                if (upper is not null)
                {
                    writer.Write<int>(upper);
                }
            }

            writer.EndSection();
            if (g.TreeKnown)
            {
                writer.BeginSection(TreeTag, (long)slots * sizeof(int));
                for (int start = 0, i = 0; start < slots; start += HnswGraph.LinkPageSize, i++)
                {
                    writer.Write<int>(pages[i].Parents.AsSpan(0, Math.Min(HnswGraph.LinkPageSize, slots - start)));
                }

                writer.EndSection();
            }

            writer.Finish();
        }
    }

    /// <summary>Loads an HNSW index saved by <see cref="Save(Stream)"/>.</summary>
    /// <param name="stream">A readable stream positioned at the start of the index.</param>
    /// <returns>The index, with the saved parameters (ef included).</returns>
    /// <exception cref="InvalidDataException">The data is truncated or corrupt, or holds another index type.</exception>
    /// <remarks>Limits: those of <see cref="VectorIndex.Load(Stream)"/>; the graph also needs M from 2 to 256, levels up to
    /// 31, every count and neighbour within bounds, and its layer-0 tree sound (docs/hnsw.md).</remarks>
    public static HnswIndex Load(Stream stream)
        => VectorIndex.Load(stream) as HnswIndex ?? throw new InvalidDataException("The file holds an index of another type; use VectorIndex.Load.");

    /// <summary>Loads an HNSW index from a file saved by <see cref="VectorIndexExtensions.Save(IVectorIndex, string)"/>.</summary>
    /// <param name="path">The index file.</param>
    /// <returns>The index.</returns>
    /// <exception cref="InvalidDataException">The file is truncated or corrupt, or holds another index type.</exception>
    /// <remarks>Limits: see <see cref="Load(Stream)"/>.</remarks>
    public static HnswIndex Load(string path)
        => VectorIndex.Load(path) as HnswIndex ?? throw new InvalidDataException($"'{path}' holds an index of another type; use VectorIndex.Load.");

    internal static HnswIndex Read(IndexFileReader reader) => ReadGraph(reader, reader.ReadStore(), mapped: null);

    /// <summary>
    /// An HNSW index whose rows and layer-0 lists stay in <paramref name="file"/> (f32 and f16; see
    /// <see cref="MappedIndex"/>): the levels and upper layers are read and checked, layer 0 and the tree are not read
    /// (a read-only index needs no tree).
    /// </summary>
    internal static HnswIndex ReadMapped(IndexFileReader reader, MappedFile file) => ReadGraph(reader, reader.ReadMappedStore(file), file);

    /// <summary>
    /// Reads the graph sections that follow the common ones into an index over <paramref name="store"/>; with
    /// <paramref name="mapped"/>, layer 0 is read in place from that file instead (<see cref="HnswGraph.ReadLayer0InPlace"/>).
    /// </summary>
    private static HnswIndex ReadGraph(IndexFileReader reader, VectorStore store, MappedFile? mapped)
    {
        int slots = store.SlotCount;

        byte[] p = reader.ReadSection(ParamsTag, ParamsSize);
        if (p.Length != ParamsSize)
        {
            throw new InvalidDataException($"Section HNSW has {p.Length} bytes; expected {ParamsSize}.");
        }

        int m = BinaryPrimitives.ReadInt32LittleEndian(p);
        int efc = BinaryPrimitives.ReadInt32LittleEndian(p.AsSpan(4));
        int ef = BinaryPrimitives.ReadInt32LittleEndian(p.AsSpan(8));
        int seed = BinaryPrimitives.ReadInt32LittleEndian(p.AsSpan(12));
        double ml = BinaryPrimitives.ReadDoubleLittleEndian(p.AsSpan(16));
        ulong rng = BinaryPrimitives.ReadUInt64LittleEndian(p.AsSpan(24));
        int entry = BinaryPrimitives.ReadInt32LittleEndian(p.AsSpan(32));
        int top = BinaryPrimitives.ReadInt32LittleEndian(p.AsSpan(36));
        double threshold = BinaryPrimitives.ReadDoubleLittleEndian(p.AsSpan(40));
        int tombstones = BinaryPrimitives.ReadInt32LittleEndian(p.AsSpan(48));
        int flags = BinaryPrimitives.ReadInt32LittleEndian(p.AsSpan(52));
        if ((flags & ~TreeFlag) != 0)
        {
            throw new InvalidDataException($"Section HNSW holds unknown flags {flags}: the file is corrupt or from a newer writer.");
        }

        bool hasTree = flags == TreeFlag;
        HnswOptions options;
        try
        {
            options = new HnswOptions { M = m, EfConstruction = efc, Ef = ef, Seed = seed, LevelMultiplier = ml, ElementType = store.ElementType, KeepFloat32Rows = store.KeepFloat32Rows, ExactFilterThreshold = threshold };
            options.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new InvalidDataException($"Section HNSW holds invalid parameters: {e.Message}", e);
        }

        if (slots == 0 ? entry != -1 || top != -1 : (uint)entry >= (uint)slots || top is < 0 or > HnswGraph.MaxLevel)
        {
            throw new InvalidDataException($"Section HNSW holds an invalid entry point {entry} (level {top}) for {slots} slots.");
        }

        if (tombstones != slots - store.LiveCount)
        {
            throw new InvalidDataException($"Section HNSW counts {tombstones} removed vectors; the LIVE section has {slots - store.LiveCount}.");
        }

        // Levels (1 byte) and layer-0 lists per slot, with their section framing, before the graph is sized.
        reader.RequireRemaining(((Int128)slots * (1 + (((2L * m) + 1 + (hasTree ? 1 : 0)) * sizeof(int)))) + 60, "the graph links its header declares");
        // From a stream that cannot seek the check above says nothing: link pages are then made as their layer-0 lists
        // arrive (levels, one byte a slot, wait in a buffer), so a file cannot make the graph cost far more than it holds.
        bool trusted = reader.KnowsRemaining;
        var g = new HnswGraph(store, m, efc, ml, rng) { Tombstones = tombstones, TreeKnown = hasTree && mapped is null }; // without one, the tree is rebuilt on the first add
        long layer0Length = (long)slots * g.Stride0 * sizeof(int);
        if (trusted)
        {
            g.EnsureCapacity(slots); // over a mapped store: link pages without layer-0 lists
        }

        HnswGraph.LinkPage[] pages = g.LinkPages;
        byte[] levelBuffer = trusted ? [] : new byte[slots];

        reader.BeginSection(LevelsTag, slots);
        long upperInts = 0;
        for (int start = 0, i = 0; start < slots; start += HnswGraph.LinkPageSize, i++)
        {
            int n = Math.Min(HnswGraph.LinkPageSize, slots - start);
            Span<byte> levels = trusted ? pages[i].Levels.AsSpan(0, n) : levelBuffer.AsSpan(start, n);
            reader.Read(levels);
            for (int j = 0; j < n; j++)
            {
                if (levels[j] == 0 || levels[j] - 1 > top)
                {
                    throw new InvalidDataException($"Section LVLS holds an invalid level at slot {start + j}.");
                }

                upperInts += (levels[j] - 1) * (long)g.StrideUpper;
            }
        }

        reader.EndSection();
        if (slots > 0 && (trusted ? g.LevelOf(entry) : levelBuffer[entry] - 1) != top)
        {
            throw new InvalidDataException($"The entry point {entry} is not on the top level {top}.");
        }

        if (mapped is not null)
        {
            g.ReadLayer0InPlace(mapped, reader.SkipSection(Layer0Tag, layer0Length), slots);
        }
        else
        {
            reader.BeginSection(Layer0Tag, layer0Length);
            for (int start = 0, i = 0; start < slots; start += HnswGraph.LinkPageSize, i++)
            {
                int n = Math.Min(HnswGraph.LinkPageSize, slots - start);
                if (!trusted)
                {
                    g.EnsureCapacity(start + n);
                    pages = g.LinkPages;
                    levelBuffer.AsSpan(start, n).CopyTo(pages[i].Levels);
                }

                Span<int> links = pages[i].Layer0.AsSpan(0, n * g.Stride0);
                reader.Read(links);
                CheckLayer0(links, g.Stride0, g.MaxM0, slots, start);
            }

            reader.EndSection();
        }

        reader.BeginSection(UpperTag, upperInts * sizeof(int));
        for (int slot = 0; slot < slots; slot++)
        {
            int level = g.LevelOf(slot);
            if (level > 0)
            {
                var upper = new int[level * g.StrideUpper];
                reader.Read<int>(upper);
                pages[slot >> HnswGraph.LinkPageShift].Upper[slot & HnswGraph.LinkPageMask] = upper;
            }
        }

        reader.EndSection();
        if (hasTree && mapped is not null)
        {
            reader.SkipSection(TreeTag, (long)slots * sizeof(int));
        }
        else if (hasTree)
        {
            reader.BeginSection(TreeTag, (long)slots * sizeof(int));
            for (int start = 0, i = 0; start < slots; start += HnswGraph.LinkPageSize, i++)
            {
                reader.Read<int>(pages[i].Parents.AsSpan(0, Math.Min(HnswGraph.LinkPageSize, slots - start)));
            }

            reader.EndSection();
        }

        reader.ReadEnd();

        // Upper links may only point at nodes that reach the layer; checked once every level is known.
        for (int slot = 0; slot < slots; slot++)
        {
            int[]? upper = pages[slot >> HnswGraph.LinkPageShift].Upper[slot & HnswGraph.LinkPageMask];
            for (int layer = 1; upper is not null && layer * g.StrideUpper <= upper.Length; layer++)
            {
                CheckList(upper.AsSpan((layer - 1) * g.StrideUpper, g.StrideUpper), g.M, slots, g, layer, slot);
            }
        }

        g.SetEntry(slots == 0 ? -1 : entry, top);
        if (g.TreeKnown && g.TreeProblem() is string problem)
        {
            throw new InvalidDataException($"Section TREE is corrupt: {problem}.");
        }

        return new HnswIndex(g, options, ef);
    }

    /// <summary>
    /// Checks consecutive layer-0 lists (slots from <paramref name="firstSlot"/>) as <see cref="CheckList"/> does, list
    /// by list. Fast path: when every int of the block (counts and unused tails included) is below
    /// <paramref name="slots"/> and every count is at most <paramref name="max"/>, each list passes, so one vectorised
    /// maximum and a strided pass over the counts decide; otherwise (a bad list, or a tail holding a large stale value,
    /// which is allowed) the lists are checked one by one, with the same verdict and message as before.
    /// </summary>
    private static void CheckLayer0(ReadOnlySpan<int> lists, int stride, int max, int slots, int firstSlot)
    {
        bool fast = lists.IsEmpty || TensorPrimitives.Max(MemoryMarshal.Cast<int, uint>(lists)) < (uint)slots;
        for (int at = 0; fast && at < lists.Length; at += stride)
        {
            fast = (uint)lists[at] <= (uint)max;
        }

        if (fast)
        {
            return;
        }

        for (int j = 0; j * stride < lists.Length; j++)
        {
            CheckList(lists.Slice(j * stride, stride), max, slots, null, 0, firstSlot + j);
        }
    }

    private static void CheckList(ReadOnlySpan<int> list, int max, int slots, HnswGraph? levels, int layer, int slot)
    {
        int count = list[0];
        if ((uint)count > (uint)max)
        {
            throw new InvalidDataException($"The links of slot {slot} on layer {layer} declare {count} neighbours (at most {max}).");
        }

        for (int i = 1; i <= count; i++)
        {
            int n = list[i];
            if ((uint)n >= (uint)slots || (levels is not null && levels.LevelOf(n) < layer))
            {
                throw new InvalidDataException($"The links of slot {slot} on layer {layer} point at an invalid slot {n}.");
            }
        }
    }
}
