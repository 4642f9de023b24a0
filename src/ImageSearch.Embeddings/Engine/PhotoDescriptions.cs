using System.Text;

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
/// </list>
/// Text is trimmed and cut to <see cref="MaxLength"/> characters. Reads are bounded: a sidecar is read up to
/// 4 x <see cref="MaxLength"/> bytes, a mapping file over <see cref="MaxFileBytes"/> bytes is refused.
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

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly string? _root;
    private readonly IReadOnlyDictionary<string, string>? _given;
    private readonly Dictionary<string, IReadOnlyDictionary<string, string>?> _mappingFiles = new(StringComparer.Ordinal);

    /// <summary>Creates a lookup.</summary>
    /// <param name="root">The folder whose photos are looked up (mapping files are searched up to it); <see langword="null"/> for the photo's own folder only.</param>
    /// <param name="mapping">Absolute photo path -> description, consulted first; <see langword="null"/> for none.</param>
    public PhotoDescriptions(string? root = null, IReadOnlyDictionary<string, string>? mapping = null)
    {
        _root = root is null ? null : Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        _given = mapping;
    }

    /// <summary>The description of a photo, or <see langword="null"/> when none is found.</summary>
    /// <param name="photoPath">The photo's path.</param>
    /// <returns>The trimmed text (at most <see cref="MaxLength"/> characters), or <see langword="null"/>.</returns>
    /// <exception cref="IOException">A sidecar or mapping file exists but cannot be read.</exception>
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

        return null;
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
