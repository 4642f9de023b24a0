
namespace ImageSearch;

/// <summary>Opens index files of any type, as written by <see cref="IVectorIndex.Save(Stream)"/> (format: <c>docs/file-format.md</c>).</summary>
/// <remarks>
/// <para>Thread-safety: the static members are thread-safe; each call returns a new, independent index.</para>
/// <para>Loading is synchronous: it is bound by checksumming and copying into memory rather than by waiting on the disk.
/// Run it with <see cref="Task.Run(Action)"/> to keep a UI thread free.</para>
/// </remarks>
public static class VectorIndex
{
    /// <summary>Reads an index of any type from a stream.</summary>
    /// <param name="stream">A readable stream positioned at the start of an index.</param>
    /// <returns>An <see cref="ExactIndex"/> or <see cref="HnswIndex"/>.</returns>
    /// <exception cref="InvalidDataException">The data is not an index file, is from an unsupported version, is
    /// truncated, or fails a checksum; the message says which. From a seekable stream, a header whose slot count and
    /// dimension need more bytes than remain is refused before anything is allocated (limits: docs/reliability.md).</exception>
    /// <remarks>Limits: dimension 1 to 1,048,576; at most 2^31 - 1 slots (live and removed vectors); no limit on the file
    /// size beyond that. From a seekable stream, slots x (9 + the stored bytes of a row) must fit in the bytes that
    /// remain, so memory is about the file's size plus at most one partly used page (8 MB at most, or 64 rows where 64
    /// rows need more). From a non-seekable stream the header's counts are not trusted: memory grows with the rows and
    /// graph links actually read (a small multiple of their size, plus one page). Past any limit:
    /// <see cref="InvalidDataException"/>.</remarks>
    public static IVectorIndex Load(Stream stream)
    {
        var reader = new IndexFileReader(stream);
        return reader.Header.Kind switch
        {
            IndexKind.Exact => ExactIndex.Read(reader),
            IndexKind.Hnsw => LoadHnsw(reader),
            _ => throw new InvalidDataException($"Unknown index kind {reader.Header.Kind}."),
        };
    }

    /// <summary>Reads an index of any type from a file.</summary>
    /// <param name="path">The index file.</param>
    /// <returns>An <see cref="ExactIndex"/> or <see cref="HnswIndex"/>.</returns>
    /// <exception cref="InvalidDataException">See <see cref="Load(Stream)"/>; the message names the file.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <remarks>Limits: see <see cref="Load(Stream)"/>.</remarks>
    public static IVectorIndex Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        try
        {
            return Load(stream);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{path}': {e.Message}", e);
        }
    }

    private static IVectorIndex LoadHnsw(IndexFileReader reader)
        => HnswIndex.Read(reader);
}
