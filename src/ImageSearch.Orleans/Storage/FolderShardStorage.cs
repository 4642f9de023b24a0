namespace ImageSearch;

/// <summary>
/// The default <see cref="IShardStorage"/>: one file per object under a root folder (a local disk for one machine, or a
/// network file system that every silo mounts, such as NFS or Azure Files, for a cluster).
/// </summary>
/// <remarks>
/// <para>What is fsynced when: <see cref="WriteAtomicAsync"/> writes a temporary file, fsyncs it, renames it over the
/// object and fsyncs the folder; <see cref="CreateAppendAsync"/> creates the file and fsyncs its folder (so the new log
/// segment is listed after a crash); every <see cref="IShardLogAppender.AppendAsync"/> writes and then fsyncs the file
/// (<c>fsync</c>, through <see cref="FileStream.Flush(bool)"/>) before it returns, so an acknowledged add is on disk;
/// <see cref="DeleteAsync"/> deletes and fsyncs the folder. On a network file system these guarantees are the file
/// system's: use one that honours fsync (NFS with <c>sync</c> exports, not <c>async</c>).</para>
/// <para>Thread-safety: thread-safe; the calls are synchronous file I/O wrapped in completed tasks.</para>
/// </remarks>
public sealed class FolderShardStorage : IShardStorage
{
    private readonly string _root;

    /// <summary>Uses (and creates when needed) <paramref name="rootFolder"/>.</summary>
    /// <param name="rootFolder">The folder that holds every index's objects.</param>
    /// <exception cref="ArgumentException"><paramref name="rootFolder"/> is empty.</exception>
    public FolderShardStorage(string rootFolder)
    {
        ArgumentException.ThrowIfNullOrEmpty(rootFolder);
        _root = Path.GetFullPath(rootFolder);
        Directory.CreateDirectory(_root);
    }

    /// <summary>The root folder, as a full path.</summary>
    public string RootFolder => _root;

    /// <inheritdoc/>
    public Task<Stream?> OpenReadAsync(string name, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        string path = PathOf(name);
        try
        {
            return Task.FromResult<Stream?>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 20, FileOptions.SequentialScan));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<Stream?>(null);
        }
    }

    /// <inheritdoc/>
    public Task WriteAtomicAsync(string name, Action<Stream> write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        cancellationToken.ThrowIfCancellationRequested();
        IndexFile.SaveAtomic(PathOf(name), write);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task<IShardLogAppender> CreateAppendAsync(string name, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        string path = PathOf(name);
        string folder = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(folder);
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read | FileShare.Delete, 1, FileOptions.None);
        DirectorySync.Flush(folder);
        return Task.FromResult<IShardLogAppender>(new Appender(stream));
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        cancellationToken.ThrowIfCancellationRequested();
        // Search from the deepest folder named by the prefix, then keep the names that match it whole.
        int slash = prefix.LastIndexOf('/');
        string folder = slash < 0 ? _root : PathOf(prefix[..slash]);
        var names = new List<string>();
        if (Directory.Exists(folder))
        {
            foreach (string file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
            {
                string name = Path.GetRelativePath(_root, file).Replace(Path.DirectorySeparatorChar, '/');
                if (name.StartsWith(prefix, StringComparison.Ordinal) && !Path.GetFileName(name).StartsWith('.'))
                {
                    names.Add(name);
                }
            }
        }

        return Task.FromResult<IReadOnlyList<string>>(names);
    }

    /// <inheritdoc/>
    public Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        string path = PathOf(name);
        if (File.Exists(path))
        {
            File.Delete(path);
            string folder = Path.GetDirectoryName(path)!;
            DirectorySync.Flush(folder);
            // Empty shard and index folders go too, so a deleted index leaves nothing behind.
            while (!string.Equals(folder, _root, StringComparison.Ordinal) && !Directory.EnumerateFileSystemEntries(folder).Any())
            {
                Directory.Delete(folder);
                folder = Path.GetDirectoryName(folder)!;
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>The file of an object; names are checked so that none escapes the root.</summary>
    private string PathOf(string name)
    {
        ShardStorageNames.CheckObjectName(name, nameof(name));
        return Path.Combine(_root, name.Replace('/', Path.DirectorySeparatorChar));
    }

    private sealed class Appender(FileStream stream) : IShardLogAppender
    {
        public Task AppendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            stream.Write(data.Span);
            stream.Flush(flushToDisk: true);
            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync() => stream.DisposeAsync();
    }
}
