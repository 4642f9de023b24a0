using System.Text;
using MetadataExtractor.Formats.Exif;
using MetadataExtractor.Formats.Jpeg;
using MetadataExtractor.Formats.Xmp;
using XmpCore;

namespace ImageSearch;

/// <summary>
/// Finds what was written about a photo (a caption, a title, alt text: its description), for training DeViSE on it
/// (<see cref="DescriptionTargets"/>) and for showing it. Looked up in this order:
/// <list type="number">
/// <item>a mapping given in code (absolute photo path -> text), for descriptions kept elsewhere;</item>
/// <item>a sidecar text file next to the photo: <c>photo.jpg.txt</c>, else <c>photo.txt</c> (UTF-8);</item>
/// <item>a mapping file <see cref="MappingFileName"/> in the photo's folder, then in each folder above it up to the
/// synced root: one photo per line, <c>name&lt;TAB&gt;text</c>, the name relative to that file's folder with
/// <c>/</c> between folders; several lines for one name are joined with newlines; blank lines and lines starting with
/// <c>#</c> are skipped.</item>
/// <item>the description embedded in the photo (unless turned off with the constructor's <c>readEmbedded</c>): the
/// EXIF ImageDescription (IFD0 tag 0x010E), else the XMP <c>dc:description</c> (its <c>x-default</c> text, else its first
/// alternative); JPEG only, read by <see cref="ReadEmbedded"/> (see there for the bounds, the texts ignored and what a
/// malformed photo does: never an exception).</item>
/// </list>
/// Text is trimmed and cut to <see cref="MaxLength"/> characters. Reads are bounded: a sidecar is read up to
/// 4 x <see cref="MaxLength"/> bytes, a mapping file over <see cref="MaxFileBytes"/> bytes is refused, a photo's embedded
/// description is looked for in its first <see cref="MaxEmbeddedBytes"/> bytes only.
/// </summary>
/// <remarks>Thread-safety: an instance caches the mapping files it has read; its members are not safe to call concurrently.</remarks>
public sealed class PhotoDescriptions
{
    /// <summary>Name of a folder's mapping file.</summary>
    public const string MappingFileName = "descriptions.tsv";

    /// <summary>Longest description kept, in characters (longer ones are cut).</summary>
    public const int MaxLength = 16 * 1024;

    /// <summary>Largest mapping file read (a larger one is refused); a sidecar is read up to 4 x <see cref="MaxLength"/> bytes.</summary>
    public const int MaxFileBytes = 64 * 1024 * 1024;

    /// <summary>
    /// The most bytes of a photo read for its embedded description (2 MiB). A JPEG's metadata segments come before its
    /// image data and the reader stops there, so a photo is read only that far (usually a few KiB; a sync does it for
    /// every photo); a photo whose metadata segments go past this limit has no embedded description.
    /// </summary>
    public const int MaxEmbeddedBytes = 2 * 1024 * 1024;

    // Texts that cameras and tools write into ImageDescription by default: not a description (compared ignoring case,
    // after trimming). Kept in the XML docs of ReadEmbedded too.
    private static readonly HashSet<string> Placeholders = new(StringComparer.OrdinalIgnoreCase)
    {
        "OLYMPUS DIGITAL CAMERA", "SONY DSC", "DIGITAL CAMERA", "MINOLTA DIGITAL CAMERA", "KONICA MINOLTA DIGITAL CAMERA",
        "SAMSUNG CAMERA PICTURES", "DCIM", "Default", "Untitled", "Created with GIMP",
    };

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly string? _root;
    private readonly IReadOnlyDictionary<string, string>? _given;
    private readonly bool _readEmbedded;
    private readonly Dictionary<string, IReadOnlyDictionary<string, string>?> _mappingFiles = new(StringComparer.Ordinal);

    /// <summary>Creates a lookup.</summary>
    /// <param name="root">The folder whose photos are looked up (mapping files are searched up to it); <see langword="null"/> for the photo's own folder only.</param>
    /// <param name="mapping">Absolute photo path -> description, consulted first; <see langword="null"/> for none.</param>
    /// <param name="readEmbedded">Whether the photo's embedded description (EXIF / XMP, <see cref="ReadEmbedded"/>) is the
    /// last fallback; <see langword="true"/> by default.</param>
    public PhotoDescriptions(string? root = null, IReadOnlyDictionary<string, string>? mapping = null, bool readEmbedded = true)
    {
        _root = root is null ? null : Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        _given = mapping;
        _readEmbedded = readEmbedded;
    }

    /// <summary>The description of a photo, or <see langword="null"/> when none is found.</summary>
    /// <param name="photoPath">The photo's path.</param>
    /// <returns>The trimmed text (at most <see cref="MaxLength"/> characters), or <see langword="null"/>.</returns>
    /// <exception cref="IOException">A sidecar or mapping file exists but cannot be read (a photo that cannot be read
    /// for its embedded description has none: its own read reports it).</exception>
    /// <exception cref="InvalidDataException">A sidecar or mapping file is not valid UTF-8, or a mapping file is malformed or too large.</exception>
    public string? Get(string photoPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(photoPath);
        string full = Path.GetFullPath(photoPath);
        if (_given is not null && _given.TryGetValue(full, out string? given))
        {
            return Clean(given);
        }

        foreach (string sidecar in (string[])[full + ".txt", Path.ChangeExtension(full, ".txt")])
        {
            if (File.Exists(sidecar) && !string.Equals(sidecar, full, StringComparison.Ordinal))
            {
                return Clean(ReadSidecar(sidecar));
            }
        }

        string? folder = Path.GetDirectoryName(full);
        string relative = Path.GetFileName(full);
        while (folder is not null)
        {
            if (MappingIn(folder) is { } map && map.TryGetValue(relative, out string? text))
            {
                return Clean(text);
            }

            if (_root is null || string.Equals(folder, _root, StringComparison.Ordinal) || !folder.StartsWith(_root, StringComparison.Ordinal))
            {
                break;
            }

            relative = Path.GetFileName(folder) + "/" + relative;
            folder = Path.GetDirectoryName(folder);
        }

        return _readEmbedded ? ReadEmbeddedFile(full) : null;
    }

    /// <summary>
    /// The description embedded in a JPEG: its EXIF ImageDescription (IFD0 tag 0x010E, decoded as UTF-8), else its XMP
    /// <c>dc:description</c> (the <c>x-default</c> text, else the first alternative), read with MetadataExtractor.
    /// </summary>
    /// <remarks>
    /// The stream is read from its position up to the image data (the start of scan), never past
    /// <see cref="MaxEmbeddedBytes"/> bytes (a stream that cannot seek is first copied, up to that limit); only the APP1
    /// (EXIF, XMP) segments are parsed (each at most 64 KiB). NULs and surrounding whitespace are removed and the text is cut to
    /// <see cref="MaxLength"/>. Texts that cameras write by default are ignored, compared ignoring case:
    /// "OLYMPUS DIGITAL CAMERA", "SONY DSC", "DIGITAL CAMERA", "MINOLTA DIGITAL CAMERA", "KONICA MINOLTA DIGITAL CAMERA",
    /// "SAMSUNG CAMERA PICTURES", "DCIM", "Default", "Untitled", "Created with GIMP". Input that is not a JPEG, and
    /// malformed or truncated metadata, give <see langword="null"/>, never an exception: a broken photo's metadata must
    /// not fail a sync (the photo itself is embedded, or reported, by the embedder).
    /// </remarks>
    /// <param name="stream">The photo's bytes, read from the stream's position (where the JPEG starts); it is not closed.</param>
    /// <returns>The description, or <see langword="null"/> when there is none.</returns>
    public static string? ReadEmbedded(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        IReadOnlyList<MetadataExtractor.Directory> directories;
        try
        {
            // Up to the image data (MetadataExtractor stops at the start of scan), never past the limit. Its reader needs
            // a stream that can seek: one that cannot is copied first (up to the limit).
            Stream head = stream.CanSeek
                ? new HeadStream(stream, MaxEmbeddedBytes)
                : new MemoryStream(ReadBounded(stream, MaxEmbeddedBytes, refuse: false), writable: false);
            directories = JpegMetadataReader.ReadMetadata(head, [new ExifReader(), new XmpReader()]);
        }
#pragma warning disable CA1031 // any exception from parsing malformed metadata (or reading the photo) means "no description" (documented)
        catch (Exception e) when (e is not OutOfMemoryException)
#pragma warning restore CA1031
        {
            return null;
        }

        string? exif = null, xmp = null;
        foreach (var directory in directories)
        {
            try
            {
                if (exif is null && directory is ExifIfd0Directory ifd0 && ifd0.GetObject(ExifDirectoryBase.TagImageDescription) is { } value)
                {
                    exif = Embedded(value is MetadataExtractor.StringValue sv ? Encoding.UTF8.GetString(sv.Bytes) : value as string);
                }
                else if (xmp is null && directory is XmpDirectory { XmpMeta: { } meta })
                {
                    xmp = Embedded(meta.GetLocalizedText(XmpConstants.NsDC, "description", "", "x-default")?.Value);
                }
            }
#pragma warning disable CA1031 // as above
            catch (Exception e) when (e is not OutOfMemoryException)
#pragma warning restore CA1031
            {
                // A malformed directory: look at the others.
            }
        }

        return exif ?? xmp;
    }

    private static string? ReadEmbeddedFile(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            return ReadEmbedded(stream);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The first <c>limit</c> bytes of a seekable stream, from its position: a view that ends there.</summary>
    private sealed class HeadStream : Stream
    {
        private readonly Stream _inner;
        private readonly long _start;
        private readonly long _length;

        public HeadStream(Stream inner, long limit)
        {
            _inner = inner;
            _start = inner.Position;
            _length = Math.Max(0, Math.Min(inner.Length - _start, limit));
        }

        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => _length;

        public override long Position
        {
            get => _inner.Position - _start;
            set => Seek(value, SeekOrigin.Begin);
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            long left = _length - Position;
            return left <= 0 ? 0 : _inner.Read(buffer[..(int)Math.Min(buffer.Length, left)]);
        }

        public override long Seek(long offset, SeekOrigin origin)
        {
            long target = origin switch
            {
                SeekOrigin.Begin => offset,
                SeekOrigin.Current => Position + offset,
                _ => _length + offset,
            };
            if (target < 0)
            {
                throw new IOException("Seek before the start of the photo.");
            }

            _inner.Position = _start + Math.Min(target, _length);
            return Position;
        }

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static string? Embedded(string? text)
    {
        string? t = Clean(text?.Replace("\0", "", StringComparison.Ordinal));
        return t is null || Placeholders.Contains(t) ? null : t;
    }

    /// <summary>Reads a mapping file's lines (see the class remarks) from a stream.</summary>
    /// <param name="stream">The file's bytes (UTF-8, at most <see cref="MaxFileBytes"/>).</param>
    /// <returns>Name -> text (texts of repeated names joined by newlines, each cut to <see cref="MaxLength"/>).</returns>
    /// <exception cref="InvalidDataException">Not UTF-8, a line without a tab or with an empty name, or too large.</exception>
    public static IReadOnlyDictionary<string, string> ReadMapping(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        byte[] bytes = ReadBounded(stream, MaxFileBytes, refuse: true);
        string text;
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"The description mapping is not valid UTF-8: {e.Message}", e);
        }

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        int lineNumber = 0;
        foreach (string raw in text.TrimStart('\uFEFF').Split('\n'))
        {
            lineNumber++;
            string line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            int tab = line.IndexOf('\t', StringComparison.Ordinal);
            string name = tab < 0 ? "" : line[..tab].Trim();
            if (name.Length == 0)
            {
                throw new InvalidDataException($"Description mapping line {lineNumber}: expected 'name<TAB>text'.");
            }

            string value = line[(tab + 1)..].Trim();
            string joined = map.TryGetValue(name, out string? before) ? before + "\n" + value : value;
            map[name] = joined.Length > MaxLength ? joined[..MaxLength] : joined;
        }

        return map;
    }

    private IReadOnlyDictionary<string, string>? MappingIn(string folder)
    {
        if (!_mappingFiles.TryGetValue(folder, out var map))
        {
            string path = Path.Combine(folder, MappingFileName);
            if (File.Exists(path))
            {
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
                try
                {
                    map = ReadMapping(stream);
                }
                catch (InvalidDataException e)
                {
                    throw new InvalidDataException($"'{path}': {e.Message}", e);
                }
            }

            _mappingFiles[folder] = map;
        }

        return map;
    }

    private static string ReadSidecar(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        // Four bytes per character at most: enough for MaxLength characters; a cut file may end inside a character.
        byte[] bytes = ReadBounded(stream, MaxLength * 4, refuse: false);
        try
        {
            return (bytes.Length == MaxLength * 4 ? Encoding.UTF8.GetString(bytes) : StrictUtf8.GetString(bytes)).TrimStart('\uFEFF');
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"'{path}' is not valid UTF-8: {e.Message}", e);
        }
    }

    private static byte[] ReadBounded(Stream stream, int max, bool refuse)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, max + 1L - buffer.Length))) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > max)
            {
                if (refuse)
                {
                    throw new InvalidDataException($"The description mapping is larger than {max} bytes.");
                }

                buffer.SetLength(max);
                break;
            }
        }

        return buffer.ToArray();
    }

    private static string? Clean(string? text)
    {
        if (text is null)
        {
            return null;
        }

        string t = text.Trim();
        if (t.Length > MaxLength)
        {
            t = t[..MaxLength];
        }

        return t.Length == 0 ? null : t;
    }
}
