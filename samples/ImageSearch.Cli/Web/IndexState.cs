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
    private IndexSnapshot? _current;
    private DateTime _checkedAt = DateTime.MinValue;

    /// <summary>The index folder, made absolute.</summary>
    public string Directory { get; } = Path.GetFullPath(options.IndexDirectory);

    /// <summary>
    /// A lease on the current index (its <see cref="IndexLease.Snapshot"/> is <see langword="null"/> while the folder
    /// holds none). A replaced index's engine is disposed when its last lease ends, so memory does not grow with re-saves
    /// and no request loses its engine mid-way.
    /// </summary>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <returns>The lease; dispose it when the request is done with the engine.</returns>
    public async Task<IndexLease> AcquireAsync(CancellationToken cancellationToken)
    {
        if (_current is { } c && DateTime.UtcNow - _checkedAt < RecheckEvery && c.TryAcquire())
        {
            return new IndexLease(c, Directory);
        }

        await _open.WaitAsync(cancellationToken);
        try
        {
            _checkedAt = DateTime.UtcNow;
            var manifest = new FileInfo(Path.Combine(Directory, "manifest.json"));
            if (ImageSearchEngine.Exists(Directory) && manifest.Exists)
            {
                DateTime stamp = manifest.LastWriteTimeUtc;
                if (_current is null || _current.ManifestTime != stamp)
                {
                    var engine = await ImageSearchEngine.OpenAsync(Directory, options.EngineOptions, cancellationToken);
                    IndexSnapshot? old = _current;
                    _current = new IndexSnapshot(engine, stamp);
                    old?.Retire();
                }
            }

            // The current snapshot is never retired, so it cannot have been disposed.
            return _current is { } current && current.TryAcquire() ? new IndexLease(current, Directory) : new IndexLease(null, Directory);
        }
        finally
        {
            _open.Release();
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        _current?.Retire();
        _current = null;
        _open.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>A request's hold on one opened index: the engine stays open until every lease on it ends.</summary>
/// <param name="snapshot">The index, or <see langword="null"/> while the folder holds none.</param>
/// <param name="directory">The index folder (for the "being built" message).</param>
public sealed class IndexLease(IndexSnapshot? snapshot, string directory) : IDisposable
{
    private IndexSnapshot? _snapshot = snapshot;

    /// <summary>The index, or <see langword="null"/> while the folder holds none.</summary>
    public IndexSnapshot? Snapshot => _snapshot;

    /// <summary>The index, or 503 while there is none.</summary>
    /// <returns>The snapshot.</returns>
    public IndexSnapshot Require()
        => _snapshot ?? throw new ApiException(StatusCodes.Status503ServiceUnavailable, $"No index in '{directory}' yet: it is being built (imagesearch index <folder> --out <dir>).");

    /// <inheritdoc/>
    public void Dispose() => Interlocked.Exchange(ref _snapshot, null)?.Release();
}

/// <summary>One opened index and the exact paths of its photos.</summary>
public sealed class IndexSnapshot
{
    private readonly Dictionary<string, (long Key, PhotoInfo Photo)> _byPath;
    private readonly Lock _gate = new();
    private int _leases;
    private bool _retired;
    private bool _disposed;

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

    /// <summary>Whether its engine has been disposed (retired and no lease left).</summary>
    public bool IsDisposed
    {
        get
        {
            lock (_gate)
            {
                return _disposed;
            }
        }
    }

    /// <summary>Takes a lease unless the engine is already disposed.</summary>
    /// <returns>Whether a lease was taken.</returns>
    internal bool TryAcquire()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return false;
            }

            _leases++;
            return true;
        }
    }

    /// <summary>Ends a lease; the last one on a retired snapshot disposes its engine.</summary>
    internal void Release() => Update(release: true);

    /// <summary>Marks the snapshot replaced; its engine is disposed once no lease is left.</summary>
    internal void Retire() => Update(release: false);

    private void Update(bool release)
    {
        bool dispose;
        lock (_gate)
        {
            if (release)
            {
                _leases--;
            }
            else
            {
                _retired = true;
            }

            dispose = _retired && _leases == 0 && !_disposed;
            _disposed |= dispose;
        }

        if (dispose)
        {
            Engine.Dispose();
        }
    }

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
