using System.Buffers;
using System.Globalization;
using System.Text;

namespace ImageSearch;

/// <summary>
/// The GloVe text format: one word per line, <c>word v1 v2 ... vN</c>, separated by spaces (tabs are accepted too),
/// UTF-8, LF or CRLF line ends. A word2vec-style first line <c>count dimension</c> is recognised and skipped; blank
/// lines are ignored. Parsing is parallel: the stream is cut into blocks of whole lines, parsed on the thread pool.
/// </summary>
internal static class GloveTextFormat
{
    private const int BlockSize = 4 << 20;

    internal static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    private sealed class Block(string[] words, float[] vectors, int rows)
    {
        public string[] Words { get; } = words;
        public float[] Vectors { get; } = vectors;
        public int Rows { get; } = rows;
    }

    // blockSize is a parameter only so that tests can cut small inputs into many blocks.
    public static async Task<WordVectors> ReadAsync(Stream stream, string source, CancellationToken cancellationToken, int blockSize = BlockSize)
    {
        int maxPending = Math.Max(2, Environment.ProcessorCount + 1);
        var pending = new Queue<Task<Block>>();
        var blocks = new List<Block>();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(blockSize);
        int carried = 0;          // bytes of an unfinished line at the start of buffer
        long nextLine = 1;        // line number of buffer[0]
        int dimension = -1;
        bool first = true;
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int read = await stream.ReadAtLeastAsync(buffer.AsMemory(carried), buffer.Length - carried, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                int filled = carried + read;
                bool end = filled < buffer.Length;
                int start = 0;
                if (first && filled > 0)
                {
                    first = false;
                    start = SkipPreamble(buffer.AsSpan(0, filled), end, source, ref nextLine, out dimension);
                }

                int cut = end ? filled : buffer.AsSpan(start, filled - start).LastIndexOf((byte)'\n') + start + 1;
                if (cut == start && !end)
                {
                    // One line longer than the buffer: grow it and read on.
                    byte[] bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, filled).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                    carried = filled;
                    continue;
                }

                if (cut > start)
                {
                    if (dimension < 0)
                    {
                        throw new InvalidDataException($"{source}: no word vectors found.");
                    }

                    // Hand the block to a worker; the unfinished tail moves to a fresh buffer.
                    byte[] next = ArrayPool<byte>.Shared.Rent(Math.Max(blockSize, (filled - cut) * 2));
                    buffer.AsSpan(cut, filled - cut).CopyTo(next);
                    byte[] owned = buffer;
                    int blockStart = start, blockEnd = cut, dim = dimension;
                    long line = nextLine;
                    nextLine += owned.AsSpan(blockStart, blockEnd - blockStart).Count((byte)'\n');
                    buffer = next;
                    carried = filled - cut;
                    pending.Enqueue(Task.Run(() =>
                    {
                        try
                        {
                            return ParseBlock(owned.AsSpan(blockStart, blockEnd - blockStart), line, dim, source);
                        }
                        finally
                        {
                            ArrayPool<byte>.Shared.Return(owned);
                        }
                    }, cancellationToken));
                    while (pending.Count >= maxPending)
                    {
                        blocks.Add(await pending.Dequeue().ConfigureAwait(false));
                    }
                }
                else
                {
                    carried = filled - cut;
                }

                if (end)
                {
                    break;
                }
            }

            while (pending.Count > 0)
            {
                blocks.Add(await pending.Dequeue().ConfigureAwait(false));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            // On failure, let the other workers finish so they return their buffers; their errors are secondary.
            foreach (var task in pending)
            {
                try { await task.ConfigureAwait(false); } catch { /* the first error is already propagating */ }
            }
        }

        long total = 0;
        foreach (var b in blocks)
        {
            total += b.Rows;
        }

        if (total == 0 || dimension < 0)
        {
            throw new InvalidDataException($"{source}: no word vectors found.");
        }

        if (total * dimension > Array.MaxLength)
        {
            throw new InvalidDataException($"{source}: {total} x {dimension} vectors are too many for one table.");
        }

        var words = new string[total];
        var vectors = GC.AllocateUninitializedArray<float>((int)(total * dimension));
        int row = 0;
        foreach (var b in blocks)
        {
            Array.Copy(b.Words, 0, words, row, b.Rows);
            b.Vectors.AsSpan(0, b.Rows * dimension).CopyTo(vectors.AsSpan(row * dimension));
            row += b.Rows;
        }

        return WordVectors.FromValidated(words, vectors, dimension, source);
    }

    // Skips a BOM and a word2vec header; finds the dimension from the first data line. Returns where data starts.
    private static int SkipPreamble(ReadOnlySpan<byte> data, bool end, string source, ref long nextLine, out int dimension)
    {
        int start = data.StartsWith(Utf8Bom) ? 3 : 0;
        dimension = -1;
        int pos = start;
        while (pos < data.Length)
        {
            int nl = data[pos..].IndexOf((byte)'\n');
            if (nl < 0 && !end)
            {
                throw new InvalidDataException($"{source}: line {nextLine} is longer than {data.Length} bytes.");
            }

            int lineEnd = nl < 0 ? data.Length : pos + nl;
            ReadOnlySpan<byte> line = TrimEnd(data[pos..lineEnd]);
            int tokens = CountTokens(line);
            if (tokens == 0)
            {
                // Blank leading line: part of the data region (skipped by the parser), so keep scanning for the dimension.
                pos = lineEnd + 1;
                continue;
            }

            if (tokens == 2 && pos == start && IsWord2VecHeader(line))
            {
                nextLine++;
                start = lineEnd + 1;
                pos = start;
                continue;
            }

            dimension = tokens - 1;
            if (dimension == 0)
            {
                throw new InvalidDataException($"{source}: line {nextLine + CountNewlines(data[start..pos])}: a word with no vector.");
            }

            break;
        }

        return Math.Min(start, data.Length);
    }

    private static int CountNewlines(ReadOnlySpan<byte> data) => data.Count((byte)'\n');

    private static bool IsWord2VecHeader(ReadOnlySpan<byte> line)
    {
        int space = line.IndexOfAny((byte)' ', (byte)'\t');
        return int.TryParse(line[..space], NumberStyles.None, CultureInfo.InvariantCulture, out _)
            && int.TryParse(line[(space + 1)..].Trim(" \t"u8), NumberStyles.None, CultureInfo.InvariantCulture, out _);
    }

    private static Block ParseBlock(ReadOnlySpan<byte> data, long firstLine, int dimension, string source)
    {
        int lines = data.Count((byte)'\n') + 1;
        var words = new string[lines];
        var vectors = GC.AllocateUninitializedArray<float>(lines * dimension);
        int rows = 0;
        long lineNumber = firstLine;
        while (!data.IsEmpty)
        {
            int nl = data.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = nl < 0 ? data : data[..nl];
            data = nl < 0 ? default : data[(nl + 1)..];
            line = TrimEnd(line);
            int wordStart = IndexOfNonSeparator(line);
            if (wordStart < 0)
            {
                lineNumber++;
                continue;
            }

            line = line[wordStart..];
            int wordEnd = line.IndexOfAny((byte)' ', (byte)'\t');
            if (wordEnd < 0)
            {
                throw new InvalidDataException($"{source}: line {lineNumber}: expected a word and {dimension} numbers, found only a word.");
            }

            Span<float> row = vectors.AsSpan(rows * dimension, dimension);
            ReadOnlySpan<byte> rest = line[wordEnd..];
            for (int j = 0; j < dimension; j++)
            {
                int s = IndexOfNonSeparator(rest);
                if (s < 0)
                {
                    throw new InvalidDataException($"{source}: line {lineNumber}: expected {dimension} numbers after the word, found {j}.");
                }

                rest = rest[s..];
                int e = rest.IndexOfAny((byte)' ', (byte)'\t');
                ReadOnlySpan<byte> token = e < 0 ? rest : rest[..e];
                rest = e < 0 ? default : rest[e..];
                if (!float.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) || !float.IsFinite(value))
                {
                    throw new InvalidDataException(
                        $"{source}: line {lineNumber}: value {j + 1} '{Encoding.UTF8.GetString(token)}' is not a finite number.");
                }

                row[j] = value;
            }

            if (IndexOfNonSeparator(rest) >= 0)
            {
                throw new InvalidDataException(
                    $"{source}: line {lineNumber}: expected {dimension} numbers after the word, found {dimension + CountTokens(rest)}.");
            }

            words[rows++] = Encoding.UTF8.GetString(line[..wordEnd]);
            lineNumber++;
        }

        return new Block(words, vectors, rows);
    }

    private static ReadOnlySpan<byte> TrimEnd(ReadOnlySpan<byte> line) => line.TrimEnd(" \t\r"u8);

    private static int IndexOfNonSeparator(ReadOnlySpan<byte> s) => s.IndexOfAnyExcept((byte)' ', (byte)'\t');

    private static int CountTokens(ReadOnlySpan<byte> line)
    {
        int count = 0;
        while (true)
        {
            int s = IndexOfNonSeparator(line);
            if (s < 0)
            {
                return count;
            }

            count++;
            line = line[s..];
            int e = line.IndexOfAny((byte)' ', (byte)'\t');
            if (e < 0)
            {
                return count;
            }

            line = line[e..];
        }
    }

    public static async Task WriteAsync(WordVectors vectors, Stream stream, CancellationToken cancellationToken)
    {
        // Shortest round-trip formatting ("R" semantics), so reading back gives the identical floats.
        var buffer = new ArrayBufferWriter<byte>(1 << 20);
        int dimension = vectors.Dimension;
        for (int i = 0; i < vectors.Count; i++)
        {
            Encoding.UTF8.GetBytes(vectors.Words[i], buffer);
            ReadOnlySpan<float> row = vectors.GetVector(i);
            for (int j = 0; j < dimension; j++)
            {
                Span<byte> dest = buffer.GetSpan(32);
                dest[0] = (byte)' ';
                row[j].TryFormat(dest[1..], out int written, default, CultureInfo.InvariantCulture);
                buffer.Advance(written + 1);
            }

            buffer.GetSpan(1)[0] = (byte)'\n';
            buffer.Advance(1);
            if (buffer.WrittenCount >= (1 << 20) - 4096)
            {
                await stream.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
                buffer.ResetWrittenCount();
            }
        }

        await stream.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
