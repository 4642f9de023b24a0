using System.Buffers.Binary;

namespace ImageSearch;

/// <summary>Opening an index file in place: the small sections are read and checked, the rows are mapped, not read.</summary>
internal sealed partial class IndexFileReader
{
    /// <summary>
    /// Reads <c>KEYS</c>, <c>LIVE</c> and (Int8) <c>QNTZ</c>, checking their checksums, into a store whose pages read
    /// their rows in place from <paramref name="file"/>; section <c>VECS</c> is checked for its length only (its bytes
    /// are not touched). The reader must be over <paramref name="file"/>'s own stream (offsets are file offsets).
    /// </summary>
    /// <exception cref="InvalidDataException">A bad small section, or a <c>VECS</c> length that disagrees with the header.</exception>
    /// <exception cref="NotSupportedException">An Int8 index that keeps f32 rows: loading recomputes a bound per row
    /// from every row, so mapping could not avoid reading the whole file.</exception>
    public VectorStore ReadMappedStore(MappedFile file)
    {
        if (Header.KeepFloat32Rows)
        {
            throw new NotSupportedException("An Int8 index that keeps f32 rows cannot be mapped: loading recomputes a bound per row from every row. Use VectorIndex.Load.");
        }

        var store = new VectorStore(Header.Dimension, Header.Metric, Header.ElementType);
        int slots = (int)Header.SlotCount, dim = Header.Dimension, rowsPerPage = store.RowsPerPage;
        int pageCount = (int)(((long)slots + rowsPerPage - 1) >> store.PageShift);
        var keys = new long[pageCount][];
        var deleted = new bool[pageCount][];

        BeginSection(SectionTags.Keys, (long)slots * sizeof(long));
        for (int p = 0; p < pageCount; p++)
        {
            keys[p] = new long[Math.Min(rowsPerPage, slots - (p * rowsPerPage))]; // the last page's only as long as its rows
            Read<long>(keys[p]);
        }

        EndSection();

        BeginSection(SectionTags.Live, slots);
        byte[] flags = new byte[Math.Min(slots, rowsPerPage)];
        long liveCount = 0;
        for (int p = 0; p < pageCount; p++)
        {
            int start = p * rowsPerPage, rows = Math.Min(rowsPerPage, slots - start);
            Read(flags.AsSpan(0, rows));
            deleted[p] = new bool[rows];
            for (int i = 0; i < rows; i++)
            {
                if (flags[i] > 1)
                {
                    throw new InvalidDataException($"Section LIVE holds an invalid flag at slot {start + i}.");
                }

                liveCount += flags[i];
                deleted[p][i] = flags[i] == 0;
            }
        }

        EndSection();
        if (liveCount != Header.LiveCount)
        {
            throw new InvalidDataException($"The header counts {Header.LiveCount} live vectors but section LIVE marks {liveCount}.");
        }

        if (Header.ElementType == VectorElementType.Int8)
        {
            ReadQuantizer(store, slots);
        }

        int elementSize = Header.ElementType switch { VectorElementType.Float32 => 4, VectorElementType.Float16 => 2, _ => 1 };
        long rowsAt = SkipSection(SectionTags.Vectors, (long)slots * dim * elementSize);

        var pages = new VectorStore.Page[pageCount];
        for (int p = 0; p < pageCount; p++)
        {
            int start = p * rowsPerPage, rows = Math.Min(rowsPerPage, slots - start);
            pages[p] = new VectorStore.Page(file, rowsAt + ((long)start * dim * elementSize), rows * dim, Header.ElementType, keys[p], deleted[p]);
        }

        store.AttachMappedPages(pages, slots);
        store.RebuildKeyMap(collectFreeSlots: false);
        return store;
    }

    /// <summary>
    /// Starts section <paramref name="tag"/> of <paramref name="length"/> bytes and moves past its payload and checksum
    /// without reading or checking them; returns the payload's file offset (a mapped graph reads it in place).
    /// </summary>
    public long SkipSection(uint tag, long length)
    {
        BeginSection(tag, length);
        long at = _stream.Position;
        SkipPayload();
        return at;
    }

    /// <summary>Moves past the current section's payload and its checksum without reading or checking them (seekable streams).</summary>
    private void SkipPayload()
    {
        _stream.Seek(_remaining, SeekOrigin.Current);
        Span<byte> c = stackalloc byte[4];
        ReadRaw(c, "the checksum of section " + IndexFile.TagName(_tag));
        _remaining = -1;
    }

    /// <summary>
    /// Checks the header and every section of the file in <paramref name="file"/> against their CRC-32C, from the first
    /// section to <c>END!</c>, whatever their tags; reads the whole file. Throws <see cref="InvalidDataException"/>
    /// naming the first section that fails, or saying where the file ends early.
    /// </summary>
    public static void VerifyChecksums(MappedFile file)
    {
        if (file.Length < IndexFile.HeaderSize || Crc32C.Compute(file.Bytes(0, 44)) != BinaryPrimitives.ReadUInt32LittleEndian(file.Bytes(44, 4)))
        {
            throw new InvalidDataException("The index file header is corrupt: checksum mismatch.");
        }

        const int Chunk = 1 << 24; // spans are int-sized; 16 MB at a time
        long at = IndexFile.HeaderSize;
        while (true)
        {
            if (file.Length - at < 20)
            {
                throw new InvalidDataException($"The index file is truncated: it ends at byte {file.Length} inside a section header, before END!.");
            }

            ReadOnlySpan<byte> h = file.Bytes(at, 16);
            uint tag = BinaryPrimitives.ReadUInt32LittleEndian(h);
            long length = BinaryPrimitives.ReadInt64LittleEndian(h[8..]);
            if (length < 0 || length > file.Length - at - 20)
            {
                throw new InvalidDataException($"The index file is truncated in section {IndexFile.TagName(tag)} (at byte {at}): it declares {length} bytes, fewer remain.");
            }

            uint crc = Crc32C.Append(Crc32C.Seed, h);
            for (long done = 0; done < length; done += Chunk)
            {
                crc = Crc32C.Append(crc, file.Bytes(at + 16 + done, (int)Math.Min(Chunk, length - done)));
            }

            if (Crc32C.Finish(crc) != BinaryPrimitives.ReadUInt32LittleEndian(file.Bytes(at + 16 + length, 4)))
            {
                throw new InvalidDataException($"Section {IndexFile.TagName(tag)} (at byte {at}) is corrupt: checksum mismatch.");
            }

            if (tag == SectionTags.End)
            {
                return;
            }

            at += 20 + length;
        }
    }
}
