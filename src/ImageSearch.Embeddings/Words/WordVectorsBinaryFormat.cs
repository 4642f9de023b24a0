using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text;

namespace ImageSearch;

/// <summary>
/// Our compact binary cache of a <see cref="WordVectors"/> table (all integers little-endian):
/// <code>
/// offset 0   8 bytes  magic "ISWORDV\x1A"
///        8   u32      format version (1)
///       12   i32      dimension (&gt; 0)
///       16   i32      count of words (&gt; 0)
///       20   u32      reserved, 0
///       24   i64      byte length of the word section
///       32   words    count x (u16 UTF-8 byte length, UTF-8 bytes), in rank order
///            padding  zero bytes up to a multiple of 8 from the file start
///            vectors  count x dimension f32, row after row
///            u32      CRC-32C of every byte before it
/// </code>
/// Opening reads the vectors in one bulk read straight into the final <see cref="float"/> array.
/// </summary>
internal static class WordVectorsBinaryFormat
{
    public const int Version = 1;
    public const int HeaderSize = 32;

    // Vectors are read and checksummed in slices of this size, each still in cache when checked.
    private const int SliceBytes = 1 << 20;
    private const int FirstChunk = 1 << 20; // bytes first allocated for words or vectors read from a non-seekable stream

    public static ReadOnlySpan<byte> Magic => "ISWORDV\x1A"u8;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static bool HasMagic(ReadOnlySpan<byte> start) => start.StartsWith(Magic);

    public static void Write(WordVectors table, Stream stream, CancellationToken cancellationToken)
    {
        int dimension = table.Dimension, count = table.Count;
        var head = new MemoryStream();
        Span<byte> header = stackalloc byte[HeaderSize];
        header.Clear();
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Version);
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], dimension);
        BinaryPrimitives.WriteInt32LittleEndian(header[16..], count);
        head.Write(header);

        Span<byte> length = stackalloc byte[2];
        byte[] word = new byte[256];
        for (int i = 0; i < count; i++)
        {
            string w = table.Words[i];
            int max = Encoding.UTF8.GetMaxByteCount(w.Length);
            if (word.Length < max)
            {
                word = new byte[max];
            }

            int n = Encoding.UTF8.GetBytes(w, word);
            if (n > ushort.MaxValue)
            {
                throw new InvalidOperationException($"Word {i} is longer than {ushort.MaxValue} UTF-8 bytes; the binary cache cannot hold it.");
            }

            BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)n);
            head.Write(length);
            head.Write(word, 0, n);
        }

        long wordBytes = head.Length - HeaderSize;
        while (head.Length % 8 != 0)
        {
            head.WriteByte(0);
        }

        byte[] headBytes = head.GetBuffer();
        BinaryPrimitives.WriteInt64LittleEndian(headBytes.AsSpan(24), wordBytes);
        ReadOnlySpan<byte> headSpan = headBytes.AsSpan(0, (int)head.Length);
        uint crc = Crc32C.Append(Crc32C.Seed, headSpan);
        stream.Write(headSpan);
        cancellationToken.ThrowIfCancellationRequested();

        ReadOnlySpan<float> vectors = table.Vectors.Span;
        if (BitConverter.IsLittleEndian)
        {
            ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(vectors);
            crc = Crc32C.Append(crc, bytes);
            stream.Write(bytes);
        }
        else
        {
            var swapped = new uint[vectors.Length];
            BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<float, uint>(vectors), swapped);
            ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(swapped.AsSpan());
            crc = Crc32C.Append(crc, bytes);
            stream.Write(bytes);
        }

        Span<byte> trailer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, Crc32C.Finish(crc));
        stream.Write(trailer);
    }

    public static WordVectors Read(Stream stream, string source, CancellationToken cancellationToken)
    {
        long available = stream.CanSeek ? stream.Length - stream.Position : -1;
        Span<byte> header = stackalloc byte[HeaderSize];
        int got = stream.ReadAtLeast(header, HeaderSize, throwOnEndOfStream: false);
        int compared = Math.Min(got, Magic.Length);
        if (compared > 0 && !header[..compared].SequenceEqual(Magic[..compared]))
        {
            throw Corrupt(source, "bad magic (not an ImageSearch word-vector cache)");
        }

        if (got < HeaderSize)
        {
            throw Corrupt(source, $"truncated: {got} bytes, shorter than the {HeaderSize}-byte header");
        }

        uint version = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        if (version != Version)
        {
            throw Corrupt(source, $"unsupported version {version} (this library reads version {Version})");
        }

        int dimension = BinaryPrimitives.ReadInt32LittleEndian(header[12..]);
        int count = BinaryPrimitives.ReadInt32LittleEndian(header[16..]);
        uint reserved = BinaryPrimitives.ReadUInt32LittleEndian(header[20..]);
        long wordBytes = BinaryPrimitives.ReadInt64LittleEndian(header[24..]);
        if (dimension <= 0 || count <= 0 || reserved != 0 || (long)dimension * count > Array.MaxLength
            || wordBytes < 3L * count || wordBytes > (2L + ushort.MaxValue) * count || wordBytes > Array.MaxLength - 8)
        {
            throw Corrupt(source, $"bad header (dimension {dimension}, count {count}, word bytes {wordBytes})");
        }

        int headLength = (int)((HeaderSize + wordBytes + 7) / 8 * 8);
        long vectorBytes = (long)dimension * count * sizeof(float);
        long expected = headLength + vectorBytes + 4;
        if (available >= 0 && available < expected)
        {
            throw Corrupt(source, $"truncated: {available} bytes, expected {expected}");
        }

        if (available > expected)
        {
            throw Corrupt(source, $"{available - expected} unexpected bytes after the checksum");
        }

        // From a stream that cannot seek, the header's sizes are not trusted: the arrays grow as bytes arrive.
        bool trusted = available >= 0;
        byte[] head = GC.AllocateUninitializedArray<byte>(trusted ? headLength : Math.Min(headLength, FirstChunk));
        header.CopyTo(head);
        for (int filled = HeaderSize; ; )
        {
            ReadOrTruncated(stream, head.AsSpan(filled), source, expected);
            filled = head.Length;
            if (filled == headLength)
            {
                break;
            }

            Array.Resize(ref head, (int)Math.Min(headLength, 2L * head.Length));
        }

        cancellationToken.ThrowIfCancellationRequested();

        // Two things at once: this thread reads the vectors in slices, checksumming and checking each slice while it is
        // still in cache; another decodes the words and builds the lookup table. Corruption is judged by the checksum
        // first, so a damaged file reports "checksum mismatch" rather than whatever the damaged words look like.
        var wordsTask = Task.Run(() =>
        {
            string[] words = DecodeWords(head.AsSpan(HeaderSize, (int)wordBytes), count, source);
            return (words, ranks: WordVectors.BuildRanksOrThrow(words, source));
        }, CancellationToken.None);

        float[] vectors;
        uint crc, stored;
        bool finite = true;
        try
        {
            int total = dimension * count;
            vectors = GC.AllocateUninitializedArray<float>(trusted ? total : Math.Min(total, FirstChunk / sizeof(float)));
            crc = Crc32C.Append(Crc32C.Seed, head);
            const int sliceFloats = SliceBytes / sizeof(float);
            for (int offset = 0; offset < total; offset += sliceFloats)
            {
                int n = Math.Min(sliceFloats, total - offset);
                if (offset + n > vectors.Length)
                {
                    float[] bigger = GC.AllocateUninitializedArray<float>((int)Math.Min(total, Math.Max(offset + n, 2L * vectors.Length)));
                    vectors.AsSpan(0, offset).CopyTo(bigger);
                    vectors = bigger;
                }

                // Per slice: a table over 2 GB cannot be viewed as one span of bytes.
                Span<byte> slice = MemoryMarshal.AsBytes(vectors.AsSpan(offset, n));
                ReadOrTruncated(stream, slice, source, expected);
                crc = Crc32C.Append(crc, slice);
                if (BitConverter.IsLittleEndian)
                {
                    finite &= TensorPrimitives.IsFiniteAll(MemoryMarshal.Cast<byte, float>(slice));
                }

                cancellationToken.ThrowIfCancellationRequested();
            }

            Span<byte> trailer = stackalloc byte[4];
            ReadOrTruncated(stream, trailer, source, expected);
            if (available < 0 && stream.ReadByte() >= 0)
            {
                throw Corrupt(source, "unexpected bytes after the checksum");
            }

            crc = Crc32C.Finish(crc);
            stored = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        }
        catch
        {
            // Let the word decoder finish (its result or error is moot now).
            try { wordsTask.Wait(CancellationToken.None); } catch (AggregateException) { }
            throw;
        }

        if (crc != stored)
        {
            try { wordsTask.Wait(CancellationToken.None); } catch (AggregateException) { }
            throw Corrupt(source, $"checksum mismatch (stored {stored:x8}, computed {crc:x8}): the file is damaged");
        }

        var (decoded, ranks) = wordsTask.GetAwaiter().GetResult();
        if (!BitConverter.IsLittleEndian)
        {
            Span<uint> raw = MemoryMarshal.Cast<float, uint>(vectors.AsSpan());
            BinaryPrimitives.ReverseEndianness(raw, raw);
            finite = TensorPrimitives.IsFiniteAll<float>(vectors);
        }

        if (!finite)
        {
            int bad = WordVectors.FindNonFinite(vectors);
            throw Corrupt(source, $"the vector of '{decoded[bad / dimension]}' has a NaN or infinite element");
        }

        return WordVectors.FromValidated(decoded, vectors, dimension, ranks);
    }

    private static string[] DecodeWords(ReadOnlySpan<byte> section, int count, string source)
    {
        var words = new string[count];
        int pos = 0;
        try
        {
            for (int i = 0; i < count; i++)
            {
                if (section.Length - pos < 2)
                {
                    throw Corrupt(source, $"the word section ends at word {i} of {count}");
                }

                int n = BinaryPrimitives.ReadUInt16LittleEndian(section[pos..]);
                pos += 2;
                if (n == 0 || n > section.Length - pos)
                {
                    throw Corrupt(source, $"word {i} has a bad length {n}");
                }

                words[i] = StrictUtf8.GetString(section.Slice(pos, n));
                pos += n;
            }
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{source}: corrupt word-vector cache: a word is not valid UTF-8.", e);
        }

        if (pos != section.Length)
        {
            throw Corrupt(source, $"{section.Length - pos} unexpected bytes after the last word");
        }

        return words;
    }

    private static void ReadOrTruncated(Stream stream, Span<byte> destination, string source, long expected)
    {
        int got = stream.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
        if (got < destination.Length)
        {
            throw Corrupt(source, $"truncated: the file ends before its expected {expected} bytes");
        }
    }

    private static InvalidDataException Corrupt(string source, string what) => new($"{source}: corrupt word-vector cache: {what}.");
}
