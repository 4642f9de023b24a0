using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace ImageSearch;

/// <summary>
/// Reads and validates an index file (see <see cref="IndexFile"/>). Every problem surfaces as an
/// <see cref="InvalidDataException"/> that says what is wrong: bad magic, unsupported version, header or section checksum
/// mismatch, a missing or unexpected section, or a file that ends early.
/// </summary>
internal sealed partial class IndexFileReader
{
    private readonly Stream _stream;
    private readonly long _end;
    private uint _crc;
    private long _remaining = -1;
    private uint _tag;

    public IndexFileReader(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead)
        {
            throw new ArgumentException("The stream is not readable.", nameof(stream));
        }

        _stream = stream;
        _end = stream.CanSeek ? stream.Length : -1;
        Span<byte> h = stackalloc byte[IndexFile.HeaderSize];
        int n = _stream.ReadAtLeast(h, h.Length, throwOnEndOfStream: false);
        if (n < 8 || !h[..8].SequenceEqual(IndexFile.Magic))
        {
            throw new InvalidDataException(n == 0
                ? "The index file is empty."
                : "Not an ImageSearch index file: bad magic (expected \"ISINDEX\\x1A\").");
        }

        if (n < h.Length)
        {
            throw new InvalidDataException($"The index file is truncated: the header needs {h.Length} bytes, the file has {n}.");
        }

        int version = BinaryPrimitives.ReadUInt16LittleEndian(h[8..]);
        if (version < IndexFile.OldestReadableVersion || version > IndexFile.FormatVersion)
        {
            throw new InvalidDataException($"Unsupported index file format version {version}; this library reads versions {IndexFile.OldestReadableVersion} to {IndexFile.FormatVersion}.");
        }

        if (Crc32C.Compute(h[..44]) != BinaryPrimitives.ReadUInt32LittleEndian(h[44..]))
        {
            throw new InvalidDataException("The index file header is corrupt: checksum mismatch.");
        }

        var kind = (IndexKind)BinaryPrimitives.ReadUInt16LittleEndian(h[10..]);
        var metric = (DistanceMetric)h[12];
        var type = (VectorElementType)h[13];
        int dimension = BinaryPrimitives.ReadInt32LittleEndian(h[16..]);
        long slots = BinaryPrimitives.ReadInt64LittleEndian(h[24..]);
        long live = BinaryPrimitives.ReadInt64LittleEndian(h[32..]);
        ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(h[14..]);
        bool keepF32 = (flags & IndexFile.FlagFloat32Rows) != 0;
        // Version 1 knew f32 and f16 only and wrote the flags as 0.
        bool typeKnown = type is VectorElementType.Float32 or VectorElementType.Float16 || (version >= 2 && type == VectorElementType.Int8);
        if (kind is not (IndexKind.Exact or IndexKind.Hnsw) || metric is not (DistanceMetric.Cosine or DistanceMetric.InnerProduct or DistanceMetric.SquaredL2)
            || !typeKnown || dimension is <= 0 or > VectorStore.MaxDimension || slots < 0 || slots > int.MaxValue
            || live < 0 || live > slots || (flags & ~IndexFile.FlagFloat32Rows) != 0 || (keepF32 && type != VectorElementType.Int8))
        {
            throw new InvalidDataException($"The index file header holds invalid values (kind {kind}, metric {metric}, element type {type}, dimension {dimension}, slots {slots}, live {live}, flags {flags}).");
        }

        Version = version;
        Header = new IndexFileHeader(kind, metric, type, dimension, slots, live, keepF32);

        // Every slot stores its key (8 bytes), its live flag (1) and its vector; the three sections and the end marker
        // add 20 bytes each. Checked before anything is sized from the header, so a corrupt count cannot allocate.
        long elementSize = type switch { VectorElementType.Float32 => 4, VectorElementType.Float16 => 2, _ => keepF32 ? 5 : 1 };
        RequireRemaining(((Int128)slots * (9 + (dimension * elementSize))) + 80, "the vectors its header declares");
    }

    public IndexFileHeader Header { get; }

    /// <summary>The file's format version.</summary>
    public int Version { get; }

    /// <summary>Whether the stream's remaining bytes are known (it can seek), so <see cref="RequireRemaining"/> checks anything.</summary>
    public bool KnowsRemaining => _end >= 0;

    /// <summary>
    /// Throws when a seekable stream has fewer than <paramref name="bytes"/> bytes left: called before allocating
    /// anything sized from the file. Non-seekable streams cannot be checked here; their sections are checked as read.
    /// </summary>
    public void RequireRemaining(Int128 bytes, string what)
    {
        if (_end >= 0 && bytes > _end - _stream.Position)
        {
            throw new InvalidDataException($"The index file is truncated or corrupt: {what} need {bytes} bytes, {_end - _stream.Position} remain.");
        }
    }

    /// <summary>Starts the next section, which must be <paramref name="expectedTag"/>; returns its payload length.</summary>
    public long BeginSection(uint expectedTag, long expectedLength = -1)
    {
        Span<byte> h = stackalloc byte[16];
        ReadRaw(h, "a section header");
        uint tag = BinaryPrimitives.ReadUInt32LittleEndian(h);
        long length = BinaryPrimitives.ReadInt64LittleEndian(h[8..]);
        if (tag != expectedTag)
        {
            throw new InvalidDataException($"Expected section {IndexFile.TagName(expectedTag)}, found {IndexFile.TagName(tag)}: the file is corrupt or from an incompatible writer.");
        }

        if (length < 0 || (expectedLength >= 0 && length != expectedLength))
        {
            throw new InvalidDataException($"Section {IndexFile.TagName(tag)} declares {length} bytes; expected {expectedLength}. The file is corrupt.");
        }

        if (_end >= 0 && length + 4 > _end - _stream.Position)
        {
            throw new InvalidDataException($"The index file is truncated in section {IndexFile.TagName(tag)}: it declares {length} bytes, fewer remain.");
        }

        _crc = Crc32C.Append(Crc32C.Seed, h);
        _remaining = length;
        _tag = tag;
        return length;
    }

    /// <summary>Reads part of the current section's payload.</summary>
    public void Read(Span<byte> destination)
    {
        if (destination.Length > _remaining)
        {
            throw new InvalidDataException($"Section {IndexFile.TagName(_tag)} is shorter than its content needs.");
        }

        ReadRaw(destination, "section " + IndexFile.TagName(_tag));
        _crc = Crc32C.Append(_crc, destination);
        _remaining -= destination.Length;
    }

    /// <summary>Reads part of the payload into a span of unmanaged values.</summary>
    public void Read<T>(Span<T> destination) where T : unmanaged => Read(MemoryMarshal.AsBytes(destination));

    /// <summary>Ends the current section and checks its checksum.</summary>
    public void EndSection()
    {
        if (_remaining != 0)
        {
            throw new InvalidDataException($"Section {IndexFile.TagName(_tag)} has {_remaining} unexpected bytes.");
        }

        Span<byte> c = stackalloc byte[4];
        ReadRaw(c, "the checksum of section " + IndexFile.TagName(_tag));
        if (BinaryPrimitives.ReadUInt32LittleEndian(c) != Crc32C.Finish(_crc))
        {
            throw new InvalidDataException($"Section {IndexFile.TagName(_tag)} is corrupt: checksum mismatch.");
        }

        _remaining = -1;
    }

    /// <summary>Reads a whole section of bounded size into a new array.</summary>
    public byte[] ReadSection(uint tag, long maxLength)
    {
        long length = BeginSection(tag);
        if (length > maxLength)
        {
            throw new InvalidDataException($"Section {IndexFile.TagName(tag)} declares {length} bytes, more than the {maxLength} it can hold. The file is corrupt.");
        }

        byte[] payload = GC.AllocateUninitializedArray<byte>((int)length);
        Read(payload);
        EndSection();
        return payload;
    }

    /// <summary>
    /// Reads the common sections into an empty store sized from the header. A seekable stream was checked to hold every
    /// row, so all pages are made at once. From another stream the header's count is not trusted: keys and flags go to
    /// buffers that grow as they arrive, and pages are added as the vectors arrive (by half at a time, never past the
    /// header's count), so a corrupt count runs out of bytes long before memory.
    /// </summary>
    public VectorStore ReadStore()
    {
        var store = new VectorStore(Header.Dimension, Header.Metric, Header.ElementType, Header.KeepFloat32Rows);
        int slots = (int)Header.SlotCount;
        int rowsPerPage = store.RowsPerPage;
        bool trusted = _end >= 0;
        if (trusted)
        {
            store.Reserve(slots);
        }

        long[] keys = trusted ? [] : new long[Math.Min(slots, rowsPerPage)];
        BeginSection(SectionTags.Keys, (long)slots * sizeof(long));
        for (int start = 0, p = 0; start < slots; start += rowsPerPage, p++)
        {
            int rows = Math.Min(rowsPerPage, slots - start);
            if (trusted)
            {
                Read<long>(store.GetPage(p).Keys.AsSpan(0, rows));
            }
            else
            {
                keys = Grown(keys, start + rows, slots);
                Read<long>(keys.AsSpan(start, rows));
            }
        }

        EndSection();

        BeginSection(SectionTags.Live, slots);
        byte[] live = new byte[Math.Min(slots, rowsPerPage)];
        long liveCount = 0;
        for (int start = 0, p = 0; start < slots; start += rowsPerPage, p++)
        {
            int rows = Math.Min(rowsPerPage, slots - start);
            int at = trusted ? 0 : start;
            if (!trusted)
            {
                live = Grown(live, start + rows, slots);
            }

            Span<byte> flags = live.AsSpan(at, rows);
            Read(flags);
            for (int i = 0; i < rows; i++)
            {
                if (flags[i] > 1)
                {
                    throw new InvalidDataException($"Section LIVE holds an invalid flag at slot {start + i}.");
                }

                liveCount += flags[i];
            }

            if (trusted)
            {
                SetDeleted(store.GetPage(p).Deleted, flags);
            }
        }

        EndSection();
        if (liveCount != Header.LiveCount)
        {
            throw new InvalidDataException($"The header counts {Header.LiveCount} live vectors but section LIVE marks {liveCount}.");
        }

        // Pages for the rows of [start, start + rows): from an untrusted stream made as the rows arrive, with their keys and flags.
        void PagesFor(int start, int rows, int p)
        {
            if (!trusted)
            {
                store.ReserveForLoad(start + rows, slots);
                VectorStore.Page page = store.GetPage(p);
                keys.AsSpan(start, rows).CopyTo(page.Keys);
                SetDeleted(page.Deleted, live.AsSpan(start, rows));
            }
        }

        int dim = Header.Dimension;
        if (Header.ElementType == VectorElementType.Int8)
        {
            ReadInt8Rows(store, slots, PagesFor);
        }
        else
        {
            int elementSize = Header.ElementType == VectorElementType.Float32 ? 4 : 2;
            BeginSection(SectionTags.Vectors, (long)slots * dim * elementSize);
            for (int start = 0, p = 0; start < slots; start += rowsPerPage, p++)
            {
                int rows = Math.Min(rowsPerPage, slots - start);
                PagesFor(start, rows, p);
                VectorStore.Page page = store.GetPage(p);
                int n = rows * dim;
                if (page.HasF32)
                {
                    Read<float>(page.F32Array.AsSpan(0, n));
                }
                else
                {
                    Read<Half>(page.F16Array.AsSpan(0, n));
                }
            }

            EndSection();
        }

        store.AllocateForLoad(slots);
        if (Header.ElementType == VectorElementType.Int8 && Header.KeepFloat32Rows)
        {
            RecomputeBoundTerms(store, slots);
        }

        store.RebuildKeyMap(collectFreeSlots: Header.Kind == IndexKind.Exact);
        return store;
    }

    /// <summary>
    /// Reads an Int8 store's quantiser, codes and (when kept) f32 rows; <paramref name="pagesFor"/> makes the pages for
    /// each run of rows before its codes are read.
    /// </summary>
    private void ReadInt8Rows(VectorStore store, int slots, Action<int, int, int> pagesFor)
    {
        int dim = Header.Dimension, rowsPerPage = store.RowsPerPage;
        ReadQuantizer(store, slots);
        BeginSection(SectionTags.Vectors, (long)slots * dim);
        for (int start = 0, p = 0; start < slots; start += rowsPerPage, p++)
        {
            int rows = Math.Min(rowsPerPage, slots - start);
            pagesFor(start, rows, p);
            Read(store.GetPage(p).I8Array.AsSpan(0, rows * dim));
        }

        EndSection();
        if (!Header.KeepFloat32Rows)
        {
            return;
        }

        BeginSection(SectionTags.Float32Rows, (long)slots * dim * 4);
        for (int start = 0, p = 0; start < slots; start += rowsPerPage, p++)
        {
            Read<float>(store.GetPage(p).F32Array.AsSpan(0, Math.Min(rowsPerPage, slots - start) * dim));
        }

        EndSection();
    }

    /// <summary>Reads section <c>QNTZ</c> into <paramref name="store"/> (empty in an index that never held a vector).</summary>
    private void ReadQuantizer(VectorStore store, int slots)
    {
        int dim = Header.Dimension;
        long qLength = BeginSection(SectionTags.Quantizer);
        if (qLength != (slots == 0 && qLength == 0 ? 0 : 8L * dim))
        {
            throw new InvalidDataException($"Section QNTZ declares {qLength} bytes; expected {8L * dim} (or 0 in an empty index). The file is corrupt.");
        }

        if (qLength > 0)
        {
            // In bounded slices, so a stream that cannot seek pays for the dimension only as its bytes arrive.
            float[] offset = ReadFloats(dim), step = ReadFloats(dim);
            EndSection();
            store.SetQuantizer(new ScalarQuantizer(offset, step)); // validates: finite offsets, positive normal steps
        }
        else
        {
            EndSection();
        }
    }

    /// <summary>
    /// Checks every f32 row and recomputes its bound terms from it and its codes, as adding it did. Removed rows too:
    /// HNSW still routes through them (their norms enter the traversal distance), and the store's extremes covered them
    /// before saving, so the loaded index searches exactly as the saved one did.
    /// </summary>
    private static void RecomputeBoundTerms(VectorStore store, int slots)
    {
        for (int slot = 0; slot < slots; slot++)
        {
            ReadOnlySpan<float> row = store.RowF32(slot);
            if (VectorStore.IndexOfNonFinite(row) is int bad and >= 0)
            {
                throw new InvalidDataException($"Section VF32 holds a non-finite value at slot {slot}, element {bad}.");
            }

            store.RecomputeBoundTerms(slot);
        }
    }

    /// <summary>Reads <paramref name="count"/> floats of the current section, growing the array (from 64K) as they arrive.</summary>
    private float[] ReadFloats(int count)
    {
        float[] values = new float[Math.Min(count, 1 << 16)];
        for (int done = 0; done < count;)
        {
            values = Grown(values, Math.Min(count, Math.Max(done + 1, values.Length)), count);
            int n = Math.Min(values.Length, count) - done;
            Read<float>(values.AsSpan(done, n));
            done += n;
        }

        return values;
    }

    private static void SetDeleted(bool[] deleted, ReadOnlySpan<byte> live)
    {
        for (int i = 0; i < live.Length; i++)
        {
            deleted[i] = live[i] == 0;
        }
    }

    /// <summary>The buffer, doubled (up to <paramref name="total"/>) until it holds <paramref name="needed"/> items.</summary>
    private static T[] Grown<T>(T[] buffer, int needed, int total)
    {
        if (needed <= buffer.Length)
        {
            return buffer;
        }

        var bigger = new T[Math.Max(needed, (int)Math.Min(total, 2L * buffer.Length))];
        buffer.CopyTo(bigger, 0);
        return bigger;
    }

    /// <summary>Reads the end marker.</summary>
    public void ReadEnd()
    {
        BeginSection(SectionTags.End, 0);
        EndSection();
    }

    private void ReadRaw(Span<byte> destination, string what)
    {
        int n = _stream.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
        if (n < destination.Length)
        {
            throw new InvalidDataException($"The index file is truncated: it ends inside {what}.");
        }
    }
}
