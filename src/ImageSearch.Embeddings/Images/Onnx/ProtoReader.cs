using System.Buffers.Binary;
using System.Text;

namespace ImageSearch;

/// <summary>Protocol-buffer wire types used by the ONNX format.</summary>
internal enum WireType
{
    Varint = 0,
    Fixed64 = 1,
    LengthDelimited = 2,
    Fixed32 = 5,
}

/// <summary>
/// One field of a protocol-buffer message as found on the wire: the number, the wire type, and either the integer
/// value or the raw bytes (length-delimited fields are kept as slices of the original buffer, so nothing is copied).
/// </summary>
internal readonly record struct ProtoField(int Number, WireType Type, ulong Value, ReadOnlyMemory<byte> Bytes)
{
    public string AsString() => Encoding.UTF8.GetString(Bytes.Span);

    public long AsInt64() => unchecked((long)Value);
}

/// <summary>
/// A minimal protocol-buffer reader/writer, just enough to read ONNX initializers and rewrite graph inputs and
/// outputs without generated classes (and without a protobuf dependency). Unknown fields are kept byte for byte.
/// </summary>
internal static class Proto
{
    /// <summary>Splits a message into its fields, in wire order.</summary>
    public static List<ProtoField> Parse(ReadOnlyMemory<byte> message)
    {
        var fields = new List<ProtoField>();
        var span = message.Span;
        int pos = 0;
        while (pos < span.Length)
        {
            ulong tag = ReadVarint(span, ref pos);
            int number = (int)(tag >> 3);
            var type = (WireType)(tag & 7);
            if (number <= 0)
            {
                throw new InvalidDataException($"Invalid protobuf field number {number} at offset {pos}.");
            }

            switch (type)
            {
                case WireType.Varint:
                    fields.Add(new ProtoField(number, type, ReadVarint(span, ref pos), default));
                    break;
                case WireType.Fixed64:
                    RequireBytes(span, pos, 8);
                    fields.Add(new ProtoField(number, type, BinaryPrimitives.ReadUInt64LittleEndian(span[pos..]), default));
                    pos += 8;
                    break;
                case WireType.Fixed32:
                    RequireBytes(span, pos, 4);
                    fields.Add(new ProtoField(number, type, BinaryPrimitives.ReadUInt32LittleEndian(span[pos..]), default));
                    pos += 4;
                    break;
                case WireType.LengthDelimited:
                    ulong length = ReadVarint(span, ref pos);
                    if (length > (ulong)(span.Length - pos))
                    {
                        throw new InvalidDataException($"Truncated protobuf field {number}: length {length} at offset {pos}.");
                    }

                    fields.Add(new ProtoField(number, type, length, message.Slice(pos, (int)length)));
                    pos += (int)length;
                    break;
                default:
                    throw new InvalidDataException($"Unsupported protobuf wire type {(int)type} for field {number} at offset {pos}.");
            }
        }

        return fields;
    }

    /// <summary>Reads a repeated int64 field that may be packed or not.</summary>
    public static void ReadInt64s(List<ProtoField> fields, int number, List<long> destination)
    {
        foreach (var f in fields)
        {
            if (f.Number != number)
            {
                continue;
            }

            if (f.Type == WireType.Varint)
            {
                destination.Add(f.AsInt64());
            }
            else if (f.Type == WireType.LengthDelimited)
            {
                var span = f.Bytes.Span;
                int pos = 0;
                while (pos < span.Length)
                {
                    destination.Add(unchecked((long)ReadVarint(span, ref pos)));
                }
            }
        }
    }

    public static string? GetString(List<ProtoField> fields, int number)
    {
        foreach (var f in fields)
        {
            if (f.Number == number && f.Type == WireType.LengthDelimited)
            {
                return f.AsString();
            }
        }

        return null;
    }

    public static ulong? GetVarint(List<ProtoField> fields, int number)
    {
        ulong? value = null;
        foreach (var f in fields)
        {
            if (f.Number == number && f.Type == WireType.Varint)
            {
                value = f.Value; // last one wins, as in protobuf
            }
        }

        return value;
    }

    public static ProtoField? GetMessage(List<ProtoField> fields, int number)
    {
        ProtoField? found = null;
        foreach (var f in fields)
        {
            if (f.Number == number && f.Type == WireType.LengthDelimited)
            {
                found = f;
            }
        }

        return found;
    }

    public static ulong ReadVarint(ReadOnlySpan<byte> span, ref int pos)
    {
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (pos >= span.Length)
            {
                throw new InvalidDataException("Truncated protobuf varint.");
            }

            byte b = span[pos++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }

        throw new InvalidDataException("Malformed protobuf varint.");
    }

    /// <summary>Serialises fields back to wire format.</summary>
    public static byte[] Write(IEnumerable<ProtoField> fields)
    {
        using var ms = new MemoryStream();
        foreach (var f in fields)
        {
            WriteField(ms, f);
        }

        return ms.ToArray();
    }

    public static ProtoField Bytes(int number, ReadOnlyMemory<byte> bytes) => new(number, WireType.LengthDelimited, (ulong)bytes.Length, bytes);

    public static ProtoField String(int number, string value) => Bytes(number, Encoding.UTF8.GetBytes(value));

    public static ProtoField Varint(int number, ulong value) => new(number, WireType.Varint, value, default);

    private static void WriteField(Stream s, ProtoField f)
    {
        WriteVarint(s, ((ulong)f.Number << 3) | (ulong)f.Type);
        Span<byte> buf = stackalloc byte[8];
        switch (f.Type)
        {
            case WireType.Varint:
                WriteVarint(s, f.Value);
                break;
            case WireType.Fixed64:
                BinaryPrimitives.WriteUInt64LittleEndian(buf, f.Value);
                s.Write(buf[..8]);
                break;
            case WireType.Fixed32:
                BinaryPrimitives.WriteUInt32LittleEndian(buf, (uint)f.Value);
                s.Write(buf[..4]);
                break;
            case WireType.LengthDelimited:
                WriteVarint(s, (ulong)f.Bytes.Length);
                s.Write(f.Bytes.Span);
                break;
            default:
                throw new InvalidOperationException($"Unsupported wire type {f.Type}.");
        }
    }

    private static void WriteVarint(Stream s, ulong value)
    {
        while (value >= 0x80)
        {
            s.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        s.WriteByte((byte)value);
    }

    private static void RequireBytes(ReadOnlySpan<byte> span, int pos, int count)
    {
        if (span.Length - pos < count)
        {
            throw new InvalidDataException($"Truncated protobuf fixed-width field at offset {pos}.");
        }
    }
}
