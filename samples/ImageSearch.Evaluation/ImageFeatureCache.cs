using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace ImageSearch.Evaluation;

/// <summary>
/// Image embeddings kept on disk so a data set is embedded once: path -> vector for one model, in a versioned,
/// SHA-256-checksummed binary file written atomically (temporary file, flush, rename). Each entry remembers the
/// image file's length and last-write time; a changed or new image is re-embedded, the rest are reused.
/// </summary>
/// <remarks>
/// Typical use: <c>var cache = await ImageFeatureCache.GetOrCreateAsync(embedder, dataset.Paths, Path.Combine(folder, ImageFeatureCache.FileName(embedder.Descriptor.Name)));</c>
/// (the repository keeps them in <see cref="RepositoryData.FeatureCacheFolder"/>). Instances are immutable and thread-safe.
/// </remarks>
public sealed class ImageFeatureCache
{
    private static ReadOnlySpan<byte> Magic => "ISFEATS\x1A"u8;
    private const int FormatVersion = 1;

    private readonly string[] _paths;
    private readonly float[] _vectors;
    private readonly Dictionary<string, int> _index;

    private ImageFeatureCache(string modelName, int dimension, string[] paths, long[] lengths, long[] ticks, float[] vectors,
        IReadOnlyList<EmbeddingResult> failures)
    {
        ModelName = modelName;
        Dimension = dimension;
        _paths = paths;
        FileLengths = lengths;
        FileTimes = ticks;
        _vectors = vectors;
        Failures = failures;
        _index = new Dictionary<string, int>(paths.Length, StringComparer.Ordinal);
        for (int i = 0; i < paths.Length; i++)
        {
            _index[paths[i]] = i;
        }
    }

    /// <summary>The model's descriptor name.</summary>
    public string ModelName { get; }

    /// <summary>Vector dimension.</summary>
    public int Dimension { get; }

    /// <summary>Number of embedded images.</summary>
    public int Count => _paths.Length;

    /// <summary>Full paths of the embedded images, in the order they were requested (failed ones left out).</summary>
    public IReadOnlyList<string> Paths => _paths;

    /// <summary>All vectors, row-major [<see cref="Count"/> x <see cref="Dimension"/>], row i for <c>Paths[i]</c>.</summary>
    public ReadOnlySpan<float> Vectors => _vectors;

    /// <summary>Images that could not be embedded by the call that produced this instance (each with its error).</summary>
    public IReadOnlyList<EmbeddingResult> Failures { get; }

    private long[] FileLengths { get; }

    private long[] FileTimes { get; }

    /// <summary>The vector of entry <paramref name="index"/>.</summary>
    /// <param name="index">0 to <see cref="Count"/> - 1.</param>
    /// <returns><see cref="Dimension"/> values.</returns>
    public ReadOnlySpan<float> GetVector(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return _vectors.AsSpan(index * Dimension, Dimension);
    }

    /// <summary>The vector of an image by its path (made absolute).</summary>
    /// <param name="path">The image path.</param>
    /// <param name="vector">Its vector, or empty.</param>
    /// <returns>Whether the image is in the cache.</returns>
    public bool TryGetVector(string path, out ReadOnlySpan<float> vector)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (_index.TryGetValue(Path.GetFullPath(path), out int i))
        {
            vector = GetVector(i);
            return true;
        }

        vector = default;
        return false;
    }

    /// <summary>Row index of an image by its path, or -1.</summary>
    /// <param name="path">The image path.</param>
    /// <returns>The index or -1.</returns>
    public int IndexOf(string path) => _index.TryGetValue(Path.GetFullPath(path), out int i) ? i : -1;

    /// <summary>The cache file name of a model: <c>&lt;model&gt;.bin</c>, with characters other than ASCII letters, digits, '-' and '.' replaced by '_'.</summary>
    /// <param name="modelName">The descriptor name.</param>
    /// <returns>A file name.</returns>
    public static string FileName(string modelName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelName);
        var safe = new StringBuilder(modelName.Length);
        foreach (char c in modelName)
        {
            safe.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '_');
        }

        return safe + ".bin";
    }

    /// <summary>
    /// Returns the vectors of <paramref name="imagePaths"/>, reading them from <paramref name="cacheFile"/> where it holds
    /// an up-to-date entry and embedding the rest with <paramref name="embedder"/>; the file is rewritten (atomically)
    /// when anything was embedded. Failed images are left out and listed in <see cref="Failures"/>, never silently.
    /// </summary>
    /// <param name="embedder">The embedder (its descriptor name and dimension must match the file's, else the file is rebuilt).</param>
    /// <param name="imagePaths">Image files; made absolute; duplicates are embedded once.</param>
    /// <param name="cacheFile">The cache file (see <see cref="FileName"/>); created when absent.</param>
    /// <param name="progress">Told as images are embedded; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels embedding; the file is then left as it was.</param>
    /// <returns>The vectors, in the order of <paramref name="imagePaths"/>.</returns>
    public static async Task<ImageFeatureCache> GetOrCreateAsync(
        OnnxImageEmbedder embedder,
        IReadOnlyList<string> imagePaths,
        string cacheFile,
        IProgress<EmbeddingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        ArgumentNullException.ThrowIfNull(imagePaths);
        ArgumentException.ThrowIfNullOrWhiteSpace(cacheFile);
        string modelName = embedder.Descriptor.Name;
        int dim = embedder.Dimension;

        var old = File.Exists(cacheFile) ? TryLoad(cacheFile) : null;
        if (old is not null && (old.ModelName != modelName || old.Dimension != dim))
        {
            old = null;
        }

        var wanted = new List<string>(imagePaths.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string p in imagePaths)
        {
            ArgumentNullException.ThrowIfNull(p, nameof(imagePaths));
            string full = Path.GetFullPath(p);
            if (seen.Add(full))
            {
                wanted.Add(full);
            }
        }

        int n = wanted.Count;
        var lengths = new long[n];
        var ticks = new long[n];
        var vectors = new float[(long)n * dim];
        var have = new bool[n];
        var missing = new List<int>();
        for (int i = 0; i < n; i++)
        {
            var info = new FileInfo(wanted[i]);
            if (info.Exists)
            {
                lengths[i] = info.Length;
                ticks[i] = info.LastWriteTimeUtc.Ticks;
            }

            int j = old?.IndexOf(wanted[i]) ?? -1;
            if (j >= 0 && info.Exists && old!.FileLengths[j] == lengths[i] && old.FileTimes[j] == ticks[i])
            {
                old.GetVector(j).CopyTo(vectors.AsSpan(i * dim, dim));
                have[i] = true;
            }
            else
            {
                missing.Add(i);
            }
        }

        var failures = new List<EmbeddingResult>();
        if (missing.Count > 0)
        {
            var toEmbed = new ImageInput[missing.Count];
            for (int k = 0; k < toEmbed.Length; k++)
            {
                toEmbed[k] = ImageInput.FromFile(wanted[missing[k]]);
            }

            var results = await embedder.EmbedBatchAsync(toEmbed, progress, cancellationToken).ConfigureAwait(false);
            for (int k = 0; k < results.Count; k++)
            {
                int i = missing[k];
                if (results[k].Vector is { } v)
                {
                    v.CopyTo(vectors.AsSpan(i * dim, dim));
                    have[i] = true;
                }
                else
                {
                    failures.Add(results[k] with { Index = i });
                }
            }
        }

        // Keep only successes, in request order.
        int kept = 0;
        for (int i = 0; i < n; i++)
        {
            if (!have[i])
            {
                continue;
            }

            if (kept != i)
            {
                wanted[kept] = wanted[i];
                lengths[kept] = lengths[i];
                ticks[kept] = ticks[i];
                vectors.AsSpan(i * dim, dim).CopyTo(vectors.AsSpan(kept * dim, dim));
            }

            kept++;
        }

        var cache = new ImageFeatureCache(modelName, dim, [.. wanted.GetRange(0, kept)], lengths[..kept], ticks[..kept],
            vectors[..(kept * dim)], failures);
        if (missing.Count > 0 || old is null || old.Count != kept)
        {
            cache.Save(cacheFile);
        }

        return cache;
    }

    /// <summary>Reads a cache file, or returns <see langword="null"/> when it is missing, of another format version, or fails its checksum.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The cache, or null.</returns>
    public static ImageFeatureCache? TryLoad(string path)
    {
        try
        {
            return Load(path);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Reads a cache file and checks its checksum.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The cache.</returns>
    /// <exception cref="InvalidDataException">The file is not a cache file, is of an unknown version, or is corrupt.</exception>
    public static ImageFeatureCache Load(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < Magic.Length + 4 + 32 || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw new InvalidDataException($"'{path}' is not an image feature cache.");
        }

        var body = bytes.AsSpan(0, bytes.Length - 32);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - 32)))
        {
            throw new InvalidDataException($"Image feature cache '{path}' fails its checksum (corrupt or truncated).");
        }

        using var reader = new BinaryReader(new MemoryStream(bytes, Magic.Length, body.Length - Magic.Length), Encoding.UTF8);
        int version = reader.ReadInt32();
        if (version != FormatVersion)
        {
            throw new InvalidDataException($"Image feature cache '{path}' has format version {version}; {FormatVersion} is supported.");
        }

        string model = reader.ReadString();
        int dim = reader.ReadInt32();
        int count = reader.ReadInt32();
        if (dim <= 0 || count < 0 || (long)count * dim * 4 > bytes.Length)
        {
            throw new InvalidDataException($"Image feature cache '{path}' has an invalid header ({count} x {dim}).");
        }

        var paths = new string[count];
        var lengths = new long[count];
        var ticks = new long[count];
        for (int i = 0; i < count; i++)
        {
            paths[i] = reader.ReadString();
            lengths[i] = reader.ReadInt64();
            ticks[i] = reader.ReadInt64();
        }

        var vectors = new float[(long)count * dim];
        reader.Read(MemoryMarshal.AsBytes(vectors.AsSpan()));
        return new ImageFeatureCache(model, dim, paths, lengths, ticks, vectors, []);
    }

    /// <summary>Writes the cache to <paramref name="path"/> atomically (temporary file beside it, flushed, then renamed).</summary>
    /// <param name="path">The file to create or replace; its folder is created if needed.</param>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = full + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            using var ms = new MemoryStream();
            using (var writer = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
            {
                writer.Write(Magic);
                writer.Write(FormatVersion);
                writer.Write(ModelName);
                writer.Write(Dimension);
                writer.Write(Count);
                for (int i = 0; i < Count; i++)
                {
                    writer.Write(_paths[i]);
                    writer.Write(FileLengths[i]);
                    writer.Write(FileTimes[i]);
                }

                writer.Write(MemoryMarshal.AsBytes(_vectors.AsSpan()));
            }

            byte[] hash = SHA256.HashData(ms.GetBuffer().AsSpan(0, (int)ms.Length));
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                file.Write(ms.GetBuffer(), 0, (int)ms.Length);
                file.Write(hash);
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
