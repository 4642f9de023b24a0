using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace ImageSearch;

/// <summary>Writes the header and checksummed sections of an index file (see <see cref="IndexFile"/>).</summary>
internal sealed class IndexFileWriter
{
    private readonly Stream _stream;
    private uint _crc;
    private long _remaining = -1;
    private uint _tag;

    public IndexFileWriter(Stream stream, IndexFileHeader header)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("The stream is not writable.", nameof(stream));
        }

        _stream = stream;
        Span<byte> h = stackalloc byte[IndexFile.HeaderSize];
        h.Clear();
        IndexFile.Magic.CopyTo(h);
        BinaryPrimitives.WriteUInt16LittleEndian(h[8..], IndexFile.FormatVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(h[10..], (ushort)header.Kind);
        h[12] = (byte)header.Metric;
        h[13] = (byte)header.ElementType;
        BinaryPrimitives.WriteUInt16LittleEndian(h[14..], header.KeepFloat32Rows ? IndexFile.FlagFloat32Rows : (ushort)0);
        BinaryPrimitives.WriteInt32LittleEndian(h[16..], header.Dimension);
        BinaryPrimitives.WriteInt64LittleEndian(h[24..], header.SlotCount);
        BinaryPrimitives.WriteInt64LittleEndian(h[32..], header.LiveCount);
        BinaryPrimitives.WriteUInt32LittleEndian(h[44..], Crc32C.Compute(h[..44]));
        _stream.Write(h);
    }

    /// <summary>Starts a section of exactly <paramref name="length"/> payload bytes, written with <see cref="Write"/>.</summary>
    public void BeginSection(uint tag, long length)
    {
        if (_remaining >= 0)
        {
            throw new InvalidOperationException("The previous section is not finished.");
        }

        Span<byte> h = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(h, tag);
        BinaryPrimitives.WriteUInt32LittleEndian(h[4..], 0);
        BinaryPrimitives.WriteInt64LittleEndian(h[8..], length);
        _stream.Write(h);
        _crc = Crc32C.Append(Crc32C.Seed, h);
        _remaining = length;
        _tag = tag;
    }

    /// <summary>Writes part of the current section's payload.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        if (data.Length > _remaining)
        {
            throw new InvalidOperationException($"Section {IndexFile.TagName(_tag)} is longer than declared.");
        }

        _stream.Write(data);
        _crc = Crc32C.Append(_crc, data);
        _remaining -= data.Length;
    }

    /// <summary>Writes part of the payload from a span of unmanaged values.</summary>
    public void Write<T>(ReadOnlySpan<T> data) where T : unmanaged => Write(MemoryMarshal.AsBytes(data));

    /// <summary>Ends the current section with its checksum.</summary>
    public void EndSection()
    {
        if (_remaining != 0)
        {
            throw new InvalidOperationException($"Section {IndexFile.TagName(_tag)} is shorter than declared.");
        }

        Span<byte> c = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(c, Crc32C.Finish(_crc));
        _stream.Write(c);
        _remaining = -1;
    }

    /// <summary>Writes a whole section from one buffer.</summary>
    public void WriteSection(uint tag, ReadOnlySpan<byte> payload)
    {
        BeginSection(tag, payload.Length);
        Write(payload);
        EndSection();
    }

    /// <summary>Writes the common sections (keys, live flags, vectors) of the first <paramref name="slots"/> slots.</summary>
    public void WriteStore(VectorStore store, int slots)
    {
        int rowsPerPage = store.RowsPerPage;
        BeginSection(SectionTags.Keys, (long)slots * sizeof(long));
        ForEachPage(store, slots, (page, rows) => Write<long>(page.Keys.AsSpan(0, rows)));
        EndSection();

        BeginSection(SectionTags.Live, slots);
        byte[] live = new byte[rowsPerPage];
        ForEachPage(store, slots, (page, rows) =>
        {
            for (int i = 0; i < rows; i++)
            {
                live[i] = page.Deleted[i] ? (byte)0 : (byte)1;
            }

            Write(live.AsSpan(0, rows));
        });
        EndSection();

        int dim = store.Dimension;
        if (store.ElementType == VectorElementType.Int8)
        {
            // The quantiser (empty while untrained), the codes, then the f32 rows when kept. The per-row bound terms are
            // not saved: loading recomputes them from the rows, so a file cannot carry wrong ones.
            ScalarQuantizer? q = store.Quantizer;
            BeginSection(SectionTags.Quantizer, q is null ? 0 : 8L * dim);
            if (q is not null)
            {
                Write<float>(q.Offset);
                Write<float>(q.Step);
            }

            EndSection();
            BeginSection(SectionTags.Vectors, (long)slots * dim);
            ForEachPage(store, slots, (page, rows) => Write(page.I8[..(rows * dim)]));
            EndSection();
            if (store.KeepFloat32Rows)
            {
                BeginSection(SectionTags.Float32Rows, (long)slots * dim * 4);
                ForEachPage(store, slots, (page, rows) => Write<float>(page.F32[..(rows * dim)]));
                EndSection();
            }

            return;
        }

        int elementSize = store.ElementType == VectorElementType.Float32 ? 4 : 2;
        BeginSection(SectionTags.Vectors, (long)slots * dim * elementSize);
        ForEachPage(store, slots, (page, rows) =>
        {
            if (page.HasF32)
            {
                Write<float>(page.F32[..(rows * dim)]);
            }
            else
            {
                Write<Half>(page.F16[..(rows * dim)]);
            }
        });
        EndSection();
    }

    /// <summary>Writes the end marker.</summary>
    public void Finish()
    {
        WriteSection(SectionTags.End, default);
        _stream.Flush();
    }

    private static void ForEachPage(VectorStore store, int slots, Action<VectorStore.Page, int> action)
    {
        for (int start = 0, p = 0; start < slots; start += store.RowsPerPage, p++)
        {
            action(store.GetPage(p), Math.Min(store.RowsPerPage, slots - start));
        }
    }
}
