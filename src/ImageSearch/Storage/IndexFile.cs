using System.Buffers.Binary;

namespace ImageSearch;

/// <summary>
/// The ImageSearch index file format, shared by every index type, and atomic saving. Layout (little-endian):
/// a 48-byte header (magic <c>"ISINDEX\x1A"</c>, format version, index kind, metric, element type, dimension, slot count,
/// live count, CRC-32C of the header), then sections, each <c>tag (4 bytes), reserved (4), payload length (8), payload,
/// CRC-32C of tag+length+payload (4)</c>: <c>KEYS</c>, <c>LIVE</c>, <c>VECS</c>, the index type's own sections, and
/// <c>END!</c>. See <c>docs/file-format.md</c>.
/// </summary>
/// <remarks>
/// <para>Internal: users save through <see cref="VectorIndexExtensions.Save(IVectorIndex, string)"/>. ImageSearch.Embeddings
/// writes its own files with <see cref="SaveAtomic"/> (it sees the internals, see the project file).</para>
/// <para>Thread-safety: the static members are thread-safe; concurrent saves to the same path each replace it atomically.</para>
/// </remarks>
internal static class IndexFile
{
    /// <summary>The first eight bytes of every index file: <c>"ISINDEX"</c> followed by 0x1A.</summary>
    public static ReadOnlySpan<byte> Magic => "ISINDEX\x1A"u8;

    /// <summary>The format version this library writes; it reads this one and every earlier one.</summary>
    /// <remarks>Version 2 added the Int8 element type, the header's flags (bit 0: f32 rows kept) and the <c>QNTZ</c> and <c>VF32</c> sections.</remarks>
    public const int FormatVersion = 2;

    /// <summary>The oldest format version this library reads.</summary>
    public const int OldestReadableVersion = 1;

    /// <summary>Header flag: an Int8 index also keeps its f32 rows (section <c>VF32</c>).</summary>
    internal const ushort FlagFloat32Rows = 1;

    internal const int HeaderSize = 48;

    /// <summary>
    /// Writes a file atomically: <paramref name="write"/> fills a temporary file in the same folder, which is flushed to
    /// disk and then renamed over <paramref name="path"/>, and the folder is fsynced so the rename itself is durable. If
    /// anything fails, the temporary file is deleted and any existing file at <paramref name="path"/> is left untouched;
    /// a process killed mid-write leaves the old file and at most a hidden <c>.name.*.tmp</c> file beside it.
    /// </summary>
    /// <param name="path">The file to create or replace; its folder is created if needed.</param>
    /// <param name="write">Writes the content to the stream it is given.</param>
    public static void SaveAtomic(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = TempPathFor(full);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }

        DirectorySync.Flush(Path.GetDirectoryName(full)!);
    }

    internal static string TempPathFor(string fullPath)
        => Path.Combine(Path.GetDirectoryName(fullPath) ?? ".", "." + Path.GetFileName(fullPath) + "." + Guid.NewGuid().ToString("N")[..12] + ".tmp");

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    internal static uint Tag(ReadOnlySpan<byte> fourCc) => BinaryPrimitives.ReadUInt32LittleEndian(fourCc);

    internal static string TagName(uint tag)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, tag);
        var chars = new char[4];
        for (int i = 0; i < 4; i++)
        {
            chars[i] = b[i] is >= 0x20 and < 0x7F ? (char)b[i] : '?';
        }

        return new string(chars);
    }
}

/// <summary>The kinds of index a file can hold.</summary>
internal enum IndexKind : ushort
{
    Exact = 1,
    Hnsw = 2,
}

/// <summary>The fixed header every index file starts with.</summary>
internal readonly record struct IndexFileHeader(
    IndexKind Kind, DistanceMetric Metric, VectorElementType ElementType, int Dimension, long SlotCount, long LiveCount, bool KeepFloat32Rows = false);

/// <summary>Section tags of the common sections.</summary>
internal static class SectionTags
{
    public static readonly uint Keys = IndexFile.Tag("KEYS"u8);
    public static readonly uint Live = IndexFile.Tag("LIVE"u8);
    public static readonly uint Vectors = IndexFile.Tag("VECS"u8);
    public static readonly uint Quantizer = IndexFile.Tag("QNTZ"u8);
    public static readonly uint Float32Rows = IndexFile.Tag("VF32"u8);
    public static readonly uint End = IndexFile.Tag("END!"u8);
}
