using Microsoft.AspNetCore.Http;

namespace ImageSearch.Cli.Web;

/// <summary>
/// The served index: opened on first use, opened again when an <c>index</c>/<c>sync</c>/<c>train-devise</c> run saves a
/// new manifest (the engine writes it last), and absent while the folder holds no index yet ("being built").
/// </summary>
public sealed class IndexState(ServeOptions options) : IAsyncDisposable
{
    private static readonly TimeSpan RecheckEvery = TimeSpan.FromSeconds(2);
    private readonly SemaphoreSlim _open = new(1, 1);
    private readonly List<ImageSearchEngine> _opened = [];
    private IndexSnapshot? _current;
    private DateTime _checkedAt = DateTime.MinValue;

    /// <summary>The index folder, made absolute.</summary>
    public string Directory { get; } = Path.GetFullPath(options.IndexDirectory);

    /// <summary>The current index, or <see langword="null"/> while the folder holds none.</summary>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <returns>The snapshot.</returns>
    public async Task<IndexSnapshot?> TryGetAsync(CancellationToken cancellationToken)
    {
        if (_current is { } c && DateTime.UtcNow - _checkedAt < RecheckEvery)
        {
            return c;
        }

        await _open.WaitAsync(cancellationToken);
        try
        {
            _checkedAt = DateTime.UtcNow;
            var manifest = new FileInfo(Path.Combine(Directory, "manifest.json"));
            if (!ImageSearchEngine.Exists(Directory) || !manifest.Exists)
            {
                return _current;
            }

            DateTime stamp = manifest.LastWriteTimeUtc;
            if (_current is null || _current.ManifestTime != stamp)
            {
                // Engines already handed to running requests stay open until shutdown; reopening is rare (after a save).
                var engine = await ImageSearchEngine.OpenAsync(Directory, options.EngineOptions, cancellationToken);
                _opened.Add(engine);
                _current = new IndexSnapshot(engine, stamp);
            }

            return _current;
        }
        finally
        {
            _open.Release();
        }
    }

    /// <summary>The current index, or 503 while there is none.</summary>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <returns>The snapshot.</returns>
    public async Task<IndexSnapshot> GetAsync(CancellationToken cancellationToken)
        => await TryGetAsync(cancellationToken)
           ?? throw new ApiException(StatusCodes.Status503ServiceUnavailable, $"No index in '{Directory}' yet: it is being built (imagesearch index <folder> --out <dir>).");

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        foreach (var e in _opened)
        {
            await e.DisposeAsync();
        }

        _opened.Clear();
        _open.Dispose();
    }
}

/// <summary>One opened index and the exact paths of its photos.</summary>
public sealed class IndexSnapshot
{
    private readonly Dictionary<string, (long Key, PhotoInfo Photo)> _byPath;

    /// <summary>Wraps an opened engine.</summary>
    /// <param name="engine">The engine.</param>
    /// <param name="manifestTime">When its manifest was written.</param>
    public IndexSnapshot(ImageSearchEngine engine, DateTime manifestTime)
    {
        ArgumentNullException.ThrowIfNull(engine);
        Engine = engine;
        ManifestTime = manifestTime;
        _byPath = engine.Photos.ToDictionary(p => p.Value.Path, p => (p.Key, p.Value), StringComparer.Ordinal);
    }

    /// <summary>The engine.</summary>
    public ImageSearchEngine Engine { get; }

    /// <summary>When its manifest was written.</summary>
    public DateTime ManifestTime { get; }

    /// <summary>
    /// The indexed photo stored under exactly <paramref name="path"/>, or 404. The path is only ever a key into the
    /// catalog: it is never normalised, resolved or joined to a folder, so <c>..</c> or another root finds nothing.
    /// </summary>
    /// <param name="path">The photo's path as stored in the index.</param>
    /// <returns>Its key and record.</returns>
    public (long Key, PhotoInfo Photo) Find(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            throw new ApiException(StatusCodes.Status400BadRequest, "'path' is required: a photo's path as stored in the index.");
        }

        return _byPath.TryGetValue(path, out var hit)
            ? hit
            : throw new ApiException(StatusCodes.Status404NotFound, "No photo with that path in the index.");
    }

    /// <summary>
    /// The indexed photo under <paramref name="path"/> as a file that may be read: a regular file still on disk, not a
    /// symbolic link (a link could lead out of the photo folder, or have been swapped in after indexing).
    /// </summary>
    /// <param name="path">The photo's path as stored in the index.</param>
    /// <returns>Its key, record and file.</returns>
    public (long Key, PhotoInfo Photo, FileInfo File) FindFile(string? path)
    {
        var (key, photo) = Find(path);
        var file = new FileInfo(photo.Path);
        if (!file.Exists || file.LinkTarget is not null)
        {
            throw new ApiException(StatusCodes.Status404NotFound, "That photo is no longer a readable file in the photo folder.");
        }

        return (key, photo, file);
    }
}
