using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace ImageSearch;

/// <summary>
/// Reads the entries of a tar stream (ustar and V7 headers, PAX extended headers, GNU long names) for the npm package
/// reader. Replaces the BCL <c>TarReader</c>, which allocates a PAX header's declared size (up to 1 GiB) before reading
/// it: here metadata entries (PAX, GNU long names) may hold at most <see cref="MaxMetadataBytes"/>, and entry data is
/// never buffered (it is streamed or skipped in small chunks). Every malformed header is an
/// <see cref="InvalidDataException"/>.
/// </summary>
internal sealed class BoundedTarReader(Stream stream, string source)
{
    /// <summary>The largest PAX extended header or GNU long name accepted (the npm package's are a few hundred bytes).</summary>
    public const int MaxMetadataBytes = 1 << 20;

    private const int Block = 512;
    private readonly Stream _stream = stream;
    private readonly string _source = source;
    private readonly byte[] _header = new byte[Block];
    private long _unread; // data and padding of the current entry not yet consumed
    private bool _ended;

    /// <summary>One entry: its name, its type flag (<c>'0'</c> or NUL for a regular file) and its data.</summary>
    public sealed record Entry(string Name, char Type, long Size, Stream Data);

    /// <summary>The next file entry (metadata entries are applied, not returned), or null at the end of the archive.</summary>
    public async Task<Entry?> NextAsync(CancellationToken cancellationToken)
    {
        string? longName = null;
        long? paxSize = null;
        while (!_ended)
        {
            await SkipAsync(_unread, cancellationToken).ConfigureAwait(false);
            _unread = 0;
            int read = await _stream.ReadAtLeastAsync(_header, Block, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (read == 0 || (read == Block && _header.AsSpan().IndexOfAnyExcept((byte)0) < 0))
            {
                _ended = true; // end of the stream, or the zero block that marks the end of the archive
                break;
            }

            if (read < Block)
            {
                throw Corrupt($"it ends inside an entry header ({read} of {Block} bytes)");
            }

            CheckChecksum();
            char type = (char)_header[156];
            long size = paxSize ?? ParseNumber(_header.AsSpan(124, 12), "size");
            long padded = size + ((Block - (size % Block)) % Block);
            if (type is 'x' or 'g' or 'L' or 'K')
            {
                if (size > MaxMetadataBytes)
                {
                    throw Corrupt($"a metadata entry (type '{type}') declares {size} bytes, more than the limit of {MaxMetadataBytes}");
                }

                byte[] data = await ReadMetadataAsync((int)size, padded, cancellationToken).ConfigureAwait(false);
                if (type == 'x')
                {
                    ParsePax(data, ref longName, ref paxSize);
                }
                else if (type == 'L')
                {
                    longName = Encoding.UTF8.GetString(data).TrimEnd('\0');
                }

                continue;
            }

            string name = longName ?? HeaderName();
            _unread = padded;
            return new Entry(name, type, size, new DataStream(this, size));
        }

        return null;
    }

    private InvalidDataException Corrupt(string what) => new($"{_source}: the package is not a valid gzip tar: {what}.");

    private void CheckChecksum()
    {
        long declared = ParseNumber(_header.AsSpan(148, 8), "checksum");
        long sum = 8 * ' ';
        for (int i = 0; i < Block; i++)
        {
            sum += i is >= 148 and < 156 ? 0 : _header[i];
        }

        if (declared != sum)
        {
            throw Corrupt($"an entry header has checksum {declared}, its bytes sum to {sum}");
        }
    }

    private string HeaderName()
    {
        string name = Field(_header.AsSpan(0, 100));
        bool ustar = _header.AsSpan(257, 6).SequenceEqual("ustar\0"u8); // POSIX; GNU's "ustar  " uses the prefix field otherwise
        string prefix = ustar ? Field(_header.AsSpan(345, 155)) : "";
        return prefix.Length > 0 ? prefix + "/" + name : name;
    }

    private static string Field(ReadOnlySpan<byte> field)
    {
        int end = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? field : field[..end]);
    }

    /// <summary>An octal number (NUL or space terminated), or GNU base-256 (high bit set); never negative.</summary>
    private long ParseNumber(ReadOnlySpan<byte> field, string what)
    {
        if ((field[0] & 0x80) != 0)
        {
            // Base-256: the rest of the field, big-endian. Sizes past 2^62 are corrupt anyway.
            if (field.Length < 9 || (field[0] & 0x7F) != 0 || field[1..^8].IndexOfAnyExcept((byte)0) >= 0)
            {
                throw Corrupt($"the {what} field holds an out-of-range binary number");
            }

            long big = BinaryPrimitives.ReadInt64BigEndian(field[^8..]);
            return big is >= 0 and <= 1L << 62 ? big : throw Corrupt($"the {what} field holds an out-of-range binary number");
        }

        long value = 0;
        int i = 0;
        while (i < field.Length && field[i] == ' ')
        {
            i++;
        }

        int digits = 0;
        for (; i < field.Length && field[i] is >= (byte)'0' and <= (byte)'7'; i++, digits++)
        {
            value = (value << 3) | (uint)(field[i] - '0'); // at most 12 digits: 36 bits, no overflow
        }

        for (; i < field.Length; i++)
        {
            if (field[i] is not (0 or (byte)' '))
            {
                throw Corrupt($"the {what} field is not an octal number");
            }
        }

        return digits > 0 ? value : throw Corrupt($"the {what} field is empty");
    }

    /// <summary>PAX records: "length key=value\n". Only path and size matter here.</summary>
    private void ParsePax(byte[] data, ref string? path, ref long? size)
    {
        var span = data.AsSpan();
        while (!span.IsEmpty && span[0] != 0)
        {
            int space = span.IndexOf((byte)' ');
            if (space <= 0 || !int.TryParse(span[..space], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int length)
                || length <= space + 1 || length > span.Length || span[length - 1] != '\n')
            {
                throw Corrupt("a PAX record has an invalid length");
            }

            ReadOnlySpan<byte> record = span[(space + 1)..(length - 1)];
            int eq = record.IndexOf((byte)'=');
            if (eq <= 0)
            {
                throw Corrupt("a PAX record has no key");
            }

            ReadOnlySpan<byte> key = record[..eq], value = record[(eq + 1)..];
            if (key.SequenceEqual("path"u8))
            {
                path = Encoding.UTF8.GetString(value);
            }
            else if (key.SequenceEqual("size"u8))
            {
                size = long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long s) && s <= 1L << 62
                    ? s : throw Corrupt("a PAX size record is not a number");
            }

            span = span[length..];
        }
    }

    private async Task<byte[]> ReadMetadataAsync(int size, long padded, CancellationToken cancellationToken)
    {
        // size <= MaxMetadataBytes; the stream is read, not trusted: a short stream ends in an exception before more is kept.
        byte[] data = new byte[size];
        int read = await _stream.ReadAtLeastAsync(data, size, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read < size)
        {
            throw Corrupt($"it ends inside a metadata entry ({read} of {size} bytes)");
        }

        await SkipAsync(padded - size, cancellationToken).ConfigureAwait(false);
        return data;
    }

    private async Task SkipAsync(long count, CancellationToken cancellationToken)
    {
        if (count <= 0)
        {
            return;
        }

        byte[] scratch = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (count > 0)
            {
                int n = await _stream.ReadAsync(scratch.AsMemory(0, (int)Math.Min(count, scratch.Length)), cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    throw Corrupt("it ends inside an entry's data");
                }

                count -= n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>An entry's data: reads at most its size from the archive, and fails if the archive ends first.</summary>
    private sealed class DataStream(BoundedTarReader owner, long size) : Stream
    {
        private long _left = size;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_left == 0 || buffer.IsEmpty)
            {
                return 0;
            }

            int n = owner._stream.Read(buffer[..(int)Math.Min(buffer.Length, _left)]);
            return Consumed(n);
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_left == 0 || buffer.IsEmpty)
            {
                return 0;
            }

            int n = await owner._stream.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _left)], cancellationToken).ConfigureAwait(false);
            return Consumed(n);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private int Consumed(int n)
        {
            if (n == 0)
            {
                throw owner.Corrupt("it ends inside an entry's data");
            }

            _left -= n;
            owner._unread -= n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
