namespace ImageSearch;

/// <summary>
/// A saved index searched in place from its file through a read-only memory mapping: opening reads the header and the
/// small sections (keys, live flags, Int8 quantiser; for HNSW also the levels and upper layers) and does not read the
/// rows or the HNSW layer-0 links, so an index opens in milliseconds whatever the file's size and the first search can start at once; the operating system
/// pages rows in as searches touch them. Searches return exactly what <see cref="VectorIndex.Load(string)"/> of the
/// same file returns (same keys, bit-identical distances, same tie order), since they run the same code over the same
/// bytes.
/// </summary>
/// <remarks>
/// <para>Checksums: <see cref="Open"/> checks the header and every section except the rows (<c>VECS</c>) and, for
/// HNSW, the layer-0 links (<c>LNK0</c>) and the spanning tree (<c>TREE</c>, unused by a read-only index), whose
/// lengths it checks against the header, and the end marker. Those checksums are checked only on request:
/// <see cref="VerifyChecksums"/>, or <c>verifyChecksums: true</c> at open, reads the whole file and checks every
/// section. Searches never check them: a corrupt row gives wrong distances, and a corrupt layer-0 list misroutes a
/// search (searches bound every count and neighbour they read, so it never reads outside the file's rows), not an
/// exception, until <see cref="VerifyChecksums"/> is called. Use <see cref="VectorIndex.Load(string)"/> where every byte must be checked
/// before use.</para>
/// <para>Read-only: there is no add or remove; load the file with <see cref="VectorIndex.Load(string)"/> to change it.
/// Supported: <see cref="ExactIndex"/> files with <see cref="VectorElementType.Float32"/>,
/// <see cref="VectorElementType.Float16"/> or <see cref="VectorElementType.Int8"/> rows (not Int8 that keeps f32 rows),
/// and <see cref="HnswIndex"/> files with f32 or f16 rows, whose levels and upper layers are read (and checked) at open
/// as <see cref="HnswIndex.Load(string)"/> reads them, and whose layer-0 lists are read in place; see
/// <see cref="Open"/>.</para>
/// <para>The file underneath: the index keeps the file open and mapped until <see cref="Dispose"/>. Saving over the
/// path (this library's saves write a new file and rename it over the old one) or deleting it does not affect an open
/// index on Linux and macOS: it keeps reading the old file's data (tested on Linux). Windows does not let a mapped file
/// be replaced or deleted, so there such a save or delete fails until <see cref="Dispose"/> (not tested here). Writing into the file in place (no ImageSearch API does) changes what searches read;
/// truncating it makes the next read of a lost page fault (SIGBUS on Unix), which ends the process.</para>
/// <para>Thread-safety: all members are thread-safe; searches run concurrently, and a search's callbacks (a filter,
/// progress) may call the index again. <see cref="Dispose"/> waits for running calls (calls that start meanwhile
/// throw), then unmaps the file and closes its handle; the members that read the index then throw
/// <see cref="ObjectDisposedException"/> (<see cref="Dimension"/>, <see cref="Metric"/>, <see cref="ElementType"/>,
/// <see cref="Count"/>, <see cref="DeletedCount"/> and <see cref="Path"/> stay readable).</para>
/// <para>Limits: those of <see cref="VectorIndex.Load(Stream)"/>; memory is the keys and flags (9 bytes a slot, plus
/// the key map), an HNSW graph's levels and upper-layer links, and the pages of the file the operating system keeps cached.</para>
/// </remarks>
public sealed class MappedIndex : IReadOnlyVectorIndex, IDisposable
{
    // Calls in flight, counted instead of locked: a call made from a callback of a running search (a filter that
    // asks Contains, on the same thread or a SearchBatch worker) just counts once more, and once Dispose has begun
    // every new call fails fast with ObjectDisposedException instead of queueing behind it.
    private readonly object _drained = new();
    private int _inFlight;
    private int _disposing; // 1 once Dispose began (set with a full fence: Dispose then reads _inFlight)
    private readonly IVectorIndex _index; // an ExactIndex or HnswIndex over a mapped store; only its reading members are exposed
    private readonly MappedFile _file;
    private bool _disposed; // written under _drained once no call is in flight

    private MappedIndex(string path, MappedFile file, IVectorIndex index)
    {
        Path = path;
        _file = file;
        _index = index;
    }

    /// <summary>
    /// Opens an index file saved by <see cref="VectorIndexExtensions.Save(IVectorIndex, string)"/> without reading its rows.
    /// </summary>
    /// <param name="path">The index file.</param>
    /// <param name="verifyChecksums"><see langword="true"/> to check every section's checksum before returning (reads
    /// the whole file, as <see cref="VerifyChecksums"/>); <see langword="false"/> (the default) to check all but the
    /// rows', the HNSW layer-0 links' and the tree's (see the remarks of <see cref="MappedIndex"/>).</param>
    /// <returns>The index; dispose it to release the file.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IOException">The file cannot be opened or mapped (for example, locked by another process).</exception>
    /// <exception cref="UnauthorizedAccessException">The path is a folder, or the file may not be read.</exception>
    /// <exception cref="InvalidDataException">The file is empty, not an index file, from an unsupported version,
    /// truncated, or fails a checked checksum; the message names the file and the problem. Nothing stays open.</exception>
    /// <exception cref="NotSupportedException">The file holds an Int8 index that keeps f32 rows (loading recomputes a
    /// bound per row from every row), or an Int8 HNSW index (its graph reads codes from managed pages); use
    /// <see cref="VectorIndex.Load(string)"/>.</exception>
    /// <exception cref="PlatformNotSupportedException">The process is not x64 or Arm64: rows are read in place at
    /// offsets that are not aligned to their element size.</exception>
    public static MappedIndex Open(string path, bool verifyChecksums = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        // FileShare.Delete: atomic saves (rename over the path) and deletes go ahead on Unix; the mapping keeps the old data.
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1);
        MappedFile file;
        try
        {
            file = MappedFile.Open(stream);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{path}': {e.Message}", e);
        }

        try
        {
            IVectorIndex index;
            using (UnmanagedMemoryStream view = file.OpenStream())
            {
                var reader = new IndexFileReader(view);
                if (reader.Header.Kind == IndexKind.Hnsw)
                {
                    if (reader.Header.ElementType == VectorElementType.Int8)
                    {
                        throw new NotSupportedException($"'{path}' holds an Int8 HNSW index, which cannot be mapped (its graph reads codes from managed pages). Use VectorIndex.Load.");
                    }

                    index = HnswIndex.ReadMapped(reader, file); // reads the end marker
                }
                else
                {
                    index = ExactIndex.Over(reader.ReadMappedStore(file));
                    reader.ReadEnd();
                }
            }

            if (verifyChecksums)
            {
                IndexFileReader.VerifyChecksums(file);
            }

            return new MappedIndex(path, file, index);
        }
        catch (InvalidDataException e)
        {
            file.Dispose();
            throw new InvalidDataException($"'{path}': {e.Message}", e);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The path the index was opened from.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    public int Dimension => _index.Dimension;

    /// <inheritdoc/>
    public DistanceMetric Metric => _index.Metric;

    /// <inheritdoc/>
    public VectorElementType ElementType => _index.ElementType;

    /// <inheritdoc/>
    public int Count => _index.Count;

    /// <inheritdoc/>
    /// <remarks>Here: the removed vectors saved in the file (a mapped index cannot compact them).</remarks>
    public int DeletedCount => _index.DeletedCount;

    /// <summary>Most threads <see cref="SearchBatch"/> may use; <see langword="null"/> (the default) means every core.</summary>
    public int? MaxDegreeOfParallelism
    {
        get => _index.MaxDegreeOfParallelism;
        set => _index.MaxDegreeOfParallelism = value;
    }

    /// <inheritdoc/>
    /// <exception cref="ObjectDisposedException">The index was disposed.</exception>
    public bool Contains(long key)
    {
        EnterRead();
        try
        {
            return _index.Contains(key);
        }
        finally
        {
            ExitRead();
        }
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="Dimension"/>.</exception>
    /// <exception cref="ObjectDisposedException">The index was disposed.</exception>
    public bool TryGetVector(long key, Span<float> destination)
    {
        EnterRead();
        try
        {
            return _index.TryGetVector(key, destination);
        }
        finally
        {
            ExitRead();
        }
    }

    /// <inheritdoc/>
    /// <exception cref="ObjectDisposedException">The index was disposed.</exception>
    public long[] GetKeys()
    {
        EnterRead();
        try
        {
            return _index.GetKeys();
        }
        finally
        {
            ExitRead();
        }
    }

    /// <inheritdoc/>
    /// <exception cref="ObjectDisposedException">The index was disposed.</exception>
    public int Search(ReadOnlySpan<float> query, Span<SearchResult> destination, SearchOptions? options = null)
    {
        EnterRead();
        try
        {
            return _index.Search(query, destination, options);
        }
        finally
        {
            ExitRead();
        }
    }

    /// <inheritdoc/>
    /// <exception cref="ObjectDisposedException">The index was disposed.</exception>
    public SearchResult[][] SearchBatch(ReadOnlySpan<float> queries, int k, SearchOptions? options = null,
        IProgress<IndexProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        EnterRead();
        try
        {
            return _index.SearchBatch(queries, k, options, progress, cancellationToken);
        }
        finally
        {
            ExitRead();
        }
    }

    /// <summary>
    /// Reads the whole file and checks the header and every section against its CRC-32C, as the file is now (a file
    /// changed in place since <see cref="Open"/> is checked as changed). Runs concurrently with searches.
    /// </summary>
    /// <exception cref="InvalidDataException">A checksum fails or the file ends early; the message names the file,
    /// the section and its offset. The index stays open.</exception>
    /// <exception cref="ObjectDisposedException">The index was disposed.</exception>
    public void VerifyChecksums()
    {
        EnterRead();
        try
        {
            IndexFileReader.VerifyChecksums(_file);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{Path}': {e.Message}", e);
        }
        finally
        {
            ExitRead();
        }
    }

    /// <summary>
    /// Waits for running calls, then unmaps the file and closes its handle. Idempotent. Calls that start once Dispose
    /// has begun throw <see cref="ObjectDisposedException"/>. Do not call it from a callback (a filter or progress) of
    /// a search on this same index: it would wait for that search, which waits for the callback.
    /// </summary>
    public void Dispose()
    {
        lock (_drained)
        {
            if (_disposed)
            {
                return;
            }

            Interlocked.Exchange(ref _disposing, 1);
            while (Volatile.Read(ref _inFlight) > 0)
            {
                Monitor.Wait(_drained);
            }

            _disposed = true;
            _file.Dispose();
        }
    }

    private void EnterRead()
    {
        Interlocked.Increment(ref _inFlight);
        if (Volatile.Read(ref _disposing) != 0)
        {
            ExitRead();
            throw new ObjectDisposedException(nameof(MappedIndex), $"The mapped index '{Path}' was disposed.");
        }
    }

    private void ExitRead()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0 && Volatile.Read(ref _disposing) != 0)
        {
            lock (_drained)
            {
                Monitor.PulseAll(_drained);
            }
        }
    }
}
