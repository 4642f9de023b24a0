using System.Buffers.Binary;

namespace ImageSearch;

/// <summary>
/// The write-ahead log format of one shard's segment. A segment is a sequence of records, each
/// <c>payload length (4) | CRC-32C of the payload (4) | CRC-32C of the first 8 bytes (4) | payload</c>, little-endian.
/// The first record is the segment header (magic <c>"ISWAL\0\0\x1A"</c>, version, generation); then
/// <c>add</c> (op 1, count, keys, vectors) and <c>remove</c> (op 2, count, keys) records.
/// </summary>
/// <remarks>
/// Reading: a record that runs past the end of the segment, or a bad record after which the segment holds only zeros,
/// is a torn tail (an append cut short by a crash, never acknowledged) and is ignored; a bad record followed by
/// anything else is corruption and throws <see cref="InvalidDataException"/>.
/// </remarks>
internal static class ShardLog
{
    public const int RecordHeaderSize = 12;
    private const int Version = 1;
    private const byte OpHeader = 0, OpAdd = 1, OpRemove = 2;
    private static ReadOnlySpan<byte> Magic => "ISWAL\0\0\x1A"u8;

    public static byte[] HeaderRecord(long generation)
    {
        var payload = new byte[1 + 8 + 4 + 8];
        payload[0] = OpHeader;
        Magic.CopyTo(payload.AsSpan(1));
        BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(9), Version);
        BinaryPrimitives.WriteInt64LittleEndian(payload.AsSpan(13), generation);
        return Frame(payload);
    }

    public static byte[] AddRecord(ReadOnlySpan<long> keys, ReadOnlySpan<float> vectors)
    {
        var payload = new byte[1 + 4 + (keys.Length * 8) + (vectors.Length * 4)];
        payload[0] = OpAdd;
        BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(1), keys.Length);
        WriteLittleEndian(keys, payload.AsSpan(5));
        WriteLittleEndian(vectors, payload.AsSpan(5 + (keys.Length * 8)));
        return Frame(payload);
    }

    public static byte[] RemoveRecord(ReadOnlySpan<long> keys)
    {
        var payload = new byte[1 + 4 + (keys.Length * 8)];
        payload[0] = OpRemove;
        BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(1), keys.Length);
        WriteLittleEndian(keys, payload.AsSpan(5));
        return Frame(payload);
    }

    /// <summary>Applies every record of a segment to <paramref name="index"/>, in order.</summary>
    /// <returns>The number of operation records applied.</returns>
    /// <exception cref="InvalidDataException">A corrupt record in the middle, a wrong header, or a record the index refuses.</exception>
    public static int Replay(ReadOnlySpan<byte> segment, long generation, IVectorIndex index, string name)
    {
        int p = 0, applied = 0;
        bool first = true;
        while (p < segment.Length)
        {
            ReadOnlySpan<byte> rest = segment[p..];
            if (rest.Length < RecordHeaderSize)
            {
                return TornTail(rest, applied, name, p);
            }

            int length = BinaryPrimitives.ReadInt32LittleEndian(rest);
            uint payloadCrc = BinaryPrimitives.ReadUInt32LittleEndian(rest[4..]);
            bool headerOk = BinaryPrimitives.ReadUInt32LittleEndian(rest[8..]) == Crc32C.Compute(rest[..8]) && length > 0;
            if (!headerOk)
            {
                return TornTail(rest, applied, name, p);
            }

            if ((long)RecordHeaderSize + length > rest.Length)
            {
                return applied; // the last append was cut short: never acknowledged
            }

            ReadOnlySpan<byte> payload = rest.Slice(RecordHeaderSize, length);
            if (Crc32C.Compute(payload) != payloadCrc)
            {
                return RecordHeaderSize + length == rest.Length || rest[(RecordHeaderSize + length)..].IndexOfAnyExcept((byte)0) < 0
                    ? applied
                    : throw new InvalidDataException($"{name}: the record at byte {p} fails its checksum and is followed by more records (the log is corrupt).");
            }

            if (first)
            {
                CheckHeader(payload, generation, name);
                first = false;
            }
            else
            {
                Apply(payload, index, name, p);
                applied++;
            }

            p += RecordHeaderSize + length;
        }

        return applied;
    }

    private static int TornTail(ReadOnlySpan<byte> rest, int applied, string name, int position)
        => rest.IndexOfAnyExcept((byte)0) < 0 || rest.Length < RecordHeaderSize
            ? applied
            : throw new InvalidDataException($"{name}: the record header at byte {position} fails its checksum and is followed by more data (the log is corrupt).");

    private static void CheckHeader(ReadOnlySpan<byte> payload, long generation, string name)
    {
        if (payload.Length != 21 || payload[0] != OpHeader || !payload.Slice(1, 8).SequenceEqual(Magic))
        {
            throw new InvalidDataException($"{name} is not an ImageSearch shard log segment.");
        }

        int version = BinaryPrimitives.ReadInt32LittleEndian(payload[9..]);
        long stored = BinaryPrimitives.ReadInt64LittleEndian(payload[13..]);
        if (version != Version || stored != generation)
        {
            throw new InvalidDataException($"{name}: log version {version} generation {stored}; expected version {Version} generation {generation}.");
        }
    }

    private static void Apply(ReadOnlySpan<byte> payload, IVectorIndex index, string name, int position)
    {
        int count = payload.Length >= 5 ? BinaryPrimitives.ReadInt32LittleEndian(payload[1..]) : -1;
        long keyBytes = (long)count * 8;
        switch (payload[0])
        {
            case OpAdd when count >= 0 && payload.Length == 5 + keyBytes + ((long)count * index.Dimension * 4):
                {
                    long[] keys = ReadLongs(payload.Slice(5, (int)keyBytes));
                    float[] vectors = new float[count * index.Dimension];
                    ReadOnlySpan<byte> vectorBytes = payload[(5 + (int)keyBytes)..];
                    for (int i = 0; i < vectors.Length; i++)
                    {
                        vectors[i] = BinaryPrimitives.ReadSingleLittleEndian(vectorBytes[(i * 4)..]);
                    }

                    index.AddRange(keys, vectors);
                    return;
                }

            case OpRemove when count >= 0 && payload.Length == 5 + keyBytes:
                foreach (long key in ReadLongs(payload.Slice(5, (int)keyBytes)))
                {
                    index.Remove(key);
                }

                return;
            default:
                throw new InvalidDataException($"{name}: the record at byte {position} is not a valid add or remove (op {payload[0]}, count {count}, {payload.Length} bytes).");
        }
    }

    private static long[] ReadLongs(ReadOnlySpan<byte> bytes)
    {
        var values = new long[bytes.Length / 8];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes[(i * 8)..]);
        }

        return values;
    }

    private static void WriteLittleEndian(ReadOnlySpan<long> values, Span<byte> destination)
    {
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(destination[(i * 8)..], values[i]);
        }
    }

    private static void WriteLittleEndian(ReadOnlySpan<float> values, Span<byte> destination)
    {
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(destination[(i * 4)..], values[i]);
        }
    }

    private static byte[] Frame(byte[] payload)
    {
        var record = new byte[RecordHeaderSize + payload.Length];
        BinaryPrimitives.WriteInt32LittleEndian(record, payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(4), Crc32C.Compute(payload));
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), Crc32C.Compute(record.AsSpan(0, 8)));
        payload.CopyTo(record, RecordHeaderSize);
        return record;
    }
}
