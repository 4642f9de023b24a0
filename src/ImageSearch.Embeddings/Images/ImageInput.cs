using Microsoft.Extensions.AI;

namespace ImageSearch;

/// <summary>
/// One image to embed: a file, encoded bytes (JPEG, PNG, WebP, GIF, BMP, ...), a stream's content or a
/// Microsoft.Extensions.AI <see cref="DataContent"/>. Image embedders take this type and word embedders take strings,
/// so a word cannot be sent where a photo is expected (or the reverse): the compiler refuses it.
/// </summary>
/// <remarks>
/// <para>There is deliberately no conversion from <see cref="string"/>: say <see cref="FromFile"/>.</para>
/// <para>Files are read when the image is embedded (each time it is), so a missing or unreadable file surfaces as an
/// <see cref="EmbeddingException"/> naming it, per item of a batch. Bytes, streams and data content are held in
/// memory from creation.</para>
/// <para>Immutable and thread-safe, as long as the memory given to <see cref="FromBytes"/> is not changed.</para>
/// </remarks>
public sealed class ImageInput
{
    private readonly ReadOnlyMemory<byte> _encoded;

    private ImageInput(string name, string? filePath, ReadOnlyMemory<byte> encoded)
    {
        Name = name;
        FilePath = filePath;
        _encoded = encoded;
    }

    /// <summary>Names the image in error messages: the path for files, else the name given (or a description).</summary>
    public string Name { get; }

    /// <summary>The file path for an image made by <see cref="FromFile"/> (as given, not made absolute); otherwise
    /// <see langword="null"/>.</summary>
    public string? FilePath { get; }

    /// <summary>An image file, read when embedded.</summary>
    /// <param name="path">The file's path.</param>
    /// <returns>The input.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null, empty or white space.</exception>
    public static ImageInput FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return new ImageInput(path, path, default);
    }

    /// <summary>An encoded image in memory. The memory is referenced, not copied: do not change it while the input is in use.</summary>
    /// <param name="encoded">The image file's bytes.</param>
    /// <param name="name">Name for error messages; <see langword="null"/> for "N-byte image".</param>
    /// <returns>The input.</returns>
    public static ImageInput FromBytes(ReadOnlyMemory<byte> encoded, string? name = null)
        => new(name ?? $"{encoded.Length}-byte image", null, encoded);

    /// <summary>
    /// Reads <paramref name="stream"/> from its current position to its end now, at creation, and holds the bytes:
    /// the input can be embedded any number of times and the stream is no longer needed. The stream is left open; the
    /// caller disposes it. For a network or other slow stream prefer <see cref="FromStreamAsync"/>.
    /// </summary>
    /// <param name="stream">A readable stream.</param>
    /// <param name="name">Name for error messages; <see langword="null"/> for the file name of a
    /// <see cref="FileStream"/>, else "stream".</param>
    /// <returns>The input.</returns>
    /// <exception cref="ArgumentException">The stream cannot be read.</exception>
    /// <exception cref="IOException">Reading failed.</exception>
    public static ImageInput FromStream(Stream stream, string? name = null)
    {
        CheckReadable(stream);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return FromBuffer(buffer, name ?? StreamName(stream));
    }

    /// <summary>Like <see cref="FromStream"/>, reading the stream asynchronously (now, not at embed time; left open).</summary>
    /// <param name="stream">A readable stream.</param>
    /// <param name="name">Name for error messages; <see langword="null"/> as in <see cref="FromStream"/>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The input.</returns>
    /// <exception cref="ArgumentException">The stream cannot be read.</exception>
    /// <exception cref="IOException">Reading failed.</exception>
    public static async Task<ImageInput> FromStreamAsync(Stream stream, string? name = null, CancellationToken cancellationToken = default)
    {
        CheckReadable(stream);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return FromBuffer(buffer, name ?? StreamName(stream));
    }

    /// <summary>
    /// A Microsoft.Extensions.AI <see cref="DataContent"/> holding an image (media type <c>image/*</c>). Its data is
    /// referenced, not copied. Its <see cref="DataContent.Name"/>, when set, names it in error messages.
    /// </summary>
    /// <param name="content">The content.</param>
    /// <returns>The input.</returns>
    /// <exception cref="ArgumentException">The media type is not an image type (the message gives it).</exception>
    public static ImageInput FromDataContent(DataContent content)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (!content.HasTopLevelMediaType("image"))
        {
            throw new ArgumentException($"Only image content can be embedded as an image; this DataContent has media type '{content.MediaType}'.", nameof(content));
        }

        return new ImageInput(content.Name ?? $"{content.MediaType} data ({content.Data.Length} bytes)", null, content.Data);
    }

    /// <summary>Returns <see cref="Name"/>.</summary>
    /// <returns>The name.</returns>
    public override string ToString() => Name;

    /// <summary>The encoded bytes: read from the file now, or the held bytes.</summary>
    /// <exception cref="EmbeddingException">The file cannot be read (the message names it).</exception>
    internal ReadOnlyMemory<byte> ReadEncoded()
    {
        if (FilePath is null)
        {
            return _encoded;
        }

        try
        {
            return File.ReadAllBytes(FilePath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new EmbeddingException($"Cannot read image file '{FilePath}': {ex.Message}", ex);
        }
    }

    /// <summary>As a <see cref="DataContent"/> (media type from the bytes' signature), for generators that take images.</summary>
    /// <exception cref="EmbeddingException">The file cannot be read.</exception>
    internal DataContent ToDataContent()
    {
        ReadOnlyMemory<byte> bytes = ReadEncoded();
        return new DataContent(bytes, MediaTypeOf(bytes.Span)) { Name = Name };
    }

    /// <summary>The image media type a file signature shows; <c>application/octet-stream</c> when unknown.</summary>
    internal static string MediaTypeOf(ReadOnlySpan<byte> b) =>
        b.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]) ? "image/jpeg"
        : b.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G']) ? "image/png"
        : b.StartsWith("GIF8"u8) ? "image/gif"
        : b.Length >= 12 && b.StartsWith("RIFF"u8) && b.Slice(8, 4).SequenceEqual("WEBP"u8) ? "image/webp"
        : b.StartsWith("BM"u8) ? "image/bmp"
        : "application/octet-stream";

    private static void CheckReadable(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead)
        {
            throw new ArgumentException("The stream cannot be read.", nameof(stream));
        }
    }

    private static string StreamName(Stream stream) => stream is FileStream fs ? fs.Name : "stream";

    private static ImageInput FromBuffer(MemoryStream buffer, string name)
        => new(name, null, buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
}
