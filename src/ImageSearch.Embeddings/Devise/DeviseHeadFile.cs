using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace ImageSearch;

/// <summary>
/// The DeViSE head file (little-endian):
/// <code>
/// "DVSEHEAD" (8 bytes) | version u32 (=2) | input i32 | hidden i32 | output i32 | bnEpsilon f32
/// | input normalisation u32 (0 none, 1 L2; version 2 only) | 12 float tensors in fixed order (W1, b1, gamma1, beta1, mean1, var1, W2, b2, gamma2, beta2, mean2, var2),
///   sizes implied by the shapes | CRC-32C u32 of every byte before it
/// </code>
/// Version 1 files (no normalisation field) still load, as heads without input normalisation: what they were.
/// </summary>
internal static class DeviseHeadFile
{
    private static ReadOnlySpan<byte> Magic => "DVSEHEAD"u8;
    public const uint Version = 2;
    private const int HeaderSizeV1 = 8 + 4 + 4 * 4;
    private const int HeaderSize = HeaderSizeV1 + 4;
    // Refuses absurd shapes from a corrupt header before allocating anything.
    private const int MaxDimension = 1 << 16;

    private static long[] Sizes(int i, int h, int o) =>
        [(long)i * h, h, h, h, h, h, (long)h * o, o, o, o, o, o];

    public static void Write(DeviseHead head, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        uint crc = ~0u;
        Span<byte> header = stackalloc byte[HeaderSize];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Version);
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], head.InputDimension);
        BinaryPrimitives.WriteInt32LittleEndian(header[16..], head.HiddenDimension);
        BinaryPrimitives.WriteInt32LittleEndian(header[20..], head.OutputDimension);
        BinaryPrimitives.WriteSingleLittleEndian(header[24..], head.BatchNormEpsilon);
        BinaryPrimitives.WriteUInt32LittleEndian(header[28..], (uint)head.InputNormalization);
        stream.Write(header);
        crc = Crc(crc, header);
        byte[] buf = new byte[1 << 16];
        foreach (float[] t in head.State)
        {
            for (int off = 0; off < t.Length; off += buf.Length / 4)
            {
                int n = Math.Min(buf.Length / 4, t.Length - off);
                Span<byte> b = buf.AsSpan(0, n * 4);
                if (BitConverter.IsLittleEndian) MemoryMarshal.AsBytes(t.AsSpan(off, n)).CopyTo(b);
                else for (int k = 0; k < n; k++) BinaryPrimitives.WriteSingleLittleEndian(b[(k * 4)..], t[off + k]);
                stream.Write(b);
                crc = Crc(crc, b);
            }
        }
        Span<byte> tail = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(tail, ~crc);
        stream.Write(tail);
    }

    public static DeviseHead Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> header = stackalloc byte[HeaderSize];
        int got = ReadFully(stream, header[..HeaderSizeV1]);
        if (got < 8 || !header[..8].SequenceEqual(Magic))
            throw new InvalidDataException("Not a DeViSE head file: the magic bytes \"DVSEHEAD\" are missing.");
        if (got < HeaderSizeV1) throw new InvalidDataException($"DeViSE head file is truncated: header has {got} of {HeaderSizeV1} bytes.");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        if (version is not (1 or Version)) throw new InvalidDataException($"Unsupported DeViSE head file version {version} (this library reads versions 1 and {Version}).");
        var normalization = DeviseInputNormalization.None;
        if (version >= 2)
        {
            if (ReadFully(stream, header[HeaderSizeV1..]) < HeaderSize - HeaderSizeV1)
                throw new InvalidDataException($"DeViSE head file is truncated: the version {version} header has fewer than {HeaderSize} bytes.");
            uint n = BinaryPrimitives.ReadUInt32LittleEndian(header[HeaderSizeV1..]);
            if (!Enum.IsDefined((DeviseInputNormalization)n))
                throw new InvalidDataException($"DeViSE head file has an unknown input normalisation {n}.");
            normalization = (DeviseInputNormalization)n;
        }
        else
        {
            header = header[..HeaderSizeV1];
        }
        int inputs = BinaryPrimitives.ReadInt32LittleEndian(header[12..]);
        int hidden = BinaryPrimitives.ReadInt32LittleEndian(header[16..]);
        int outputs = BinaryPrimitives.ReadInt32LittleEndian(header[20..]);
        float eps = BinaryPrimitives.ReadSingleLittleEndian(header[24..]);
        if (inputs is <= 0 or > MaxDimension || hidden is <= 0 or > MaxDimension || outputs is <= 0 or > MaxDimension || !(eps > 0f && float.IsFinite(eps)))
            throw new InvalidDataException($"DeViSE head file has an invalid header (shapes {inputs} x {hidden} x {outputs}, epsilon {eps}).");
        long[] sizes = Sizes(inputs, hidden, outputs);
        long payload = 0;
        foreach (long s in sizes) payload += s * 4;
        if (sizes[0] > Array.MaxLength || sizes[6] > Array.MaxLength)
            throw new InvalidDataException($"DeViSE head file declares {inputs} x {hidden} x {outputs}: a weight matrix larger than {Array.MaxLength} elements.");
        if (stream.CanSeek && stream.Length - stream.Position < payload + 4)
            throw new InvalidDataException($"DeViSE head file is truncated: expected {header.Length + payload + 4} bytes, found {stream.Length - stream.Position + header.Length}.");
        uint crc = Crc(~0u, header);
        var state = new float[sizes.Length][];
        for (int i = 0; i < sizes.Length; i++)
        {
            // A seekable stream was checked to hold the tensors; from another one the header's sizes are not trusted:
            // the tensor grows as its bytes arrive, so memory follows the bytes present.
            float[] t = stream.CanSeek ? new float[sizes[i]] : ReadGrowing(stream, (int)sizes[i], i, sizes.Length);
            Span<byte> bytes = MemoryMarshal.AsBytes(t.AsSpan());
            if (stream.CanSeek && ReadFully(stream, bytes) < bytes.Length)
                throw new InvalidDataException($"DeViSE head file is truncated inside tensor {i} of {sizes.Length}.");
            crc = Crc(crc, bytes);
            if (!BitConverter.IsLittleEndian)
                for (int k = 0; k < t.Length; k++) t[k] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(k * 4)..]);
            state[i] = t;
        }
        Span<byte> tail = stackalloc byte[4];
        if (ReadFully(stream, tail) < 4) throw new InvalidDataException("DeViSE head file is truncated: the checksum is missing.");
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(tail);
        if (stored != ~crc)
            throw new InvalidDataException($"DeViSE head file is corrupt: CRC-32C mismatch (stored 0x{stored:X8}, computed 0x{~crc:X8}).");
        return new DeviseHead(inputs, hidden, outputs, eps, state, normalization);
    }

    public static void SaveAtomic(DeviseHead head, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        IndexFile.SaveAtomic(path, stream => Write(head, stream));
    }

    /// <summary>CRC-32C running state over <paramref name="data"/> (no final inversion): the core's hardware-accelerated one.</summary>
    internal static uint Crc(uint crc, ReadOnlySpan<byte> data) => Crc32C.Append(crc, data);

    /// <summary>Reads a tensor of <paramref name="count"/> floats, doubling its array from 64K floats as bytes arrive.</summary>
    private static float[] ReadGrowing(Stream stream, int count, int index, int tensors)
    {
        var t = new float[Math.Min(count, 1 << 16)];
        int filled = 0;
        while (true)
        {
            int want = t.Length - filled;
            int got = ReadFully(stream, MemoryMarshal.AsBytes(t.AsSpan(filled, want)));
            if (got % 4 != 0 || got < want * 4)
                throw new InvalidDataException($"DeViSE head file is truncated inside tensor {index} of {tensors}.");
            filled += want;
            if (filled == count) return t;
            Array.Resize(ref t, (int)Math.Min(count, 2L * t.Length));
        }
    }

    private static int ReadFully(Stream s, Span<byte> buf)
    {
        int total = 0;
        while (total < buf.Length)
        {
            int n = s.Read(buf[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}
