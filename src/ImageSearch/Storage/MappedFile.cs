using System.IO.MemoryMappedFiles;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ImageSearch;

/// <summary>
/// A whole file mapped read-only into memory, handed out as spans. The only type that turns the mapping's pointer
/// into spans: every span is bounds-checked against the file's length here, so callers stay in safe code; the one
/// exception is <see cref="UncheckedRef{T}"/>, for a hot path whose ranges were checked once through a span.
/// </summary>
/// <remarks>
/// <para>Spans are not aligned to their element size in general (index rows start where the format puts them); x64
/// and Arm64 load unaligned data, and <see cref="Open"/> refuses other architectures.</para>
/// <para>Thread-safety: <see cref="Span{T}"/> and <see cref="Bytes"/> may be called from any thread. A span must not
/// be used after <see cref="Dispose"/> (the memory is unmapped); owners take a lock so no span outlives it.</para>
/// </remarks>
internal sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private byte* _base;
    private volatile bool _disposed;

    private MappedFile(MemoryMappedFile map, MemoryMappedViewAccessor view, long length)
    {
        _map = map;
        _view = view;
        Length = length;
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _base = p + _view.PointerOffset;
    }

    /// <summary>The file's length in bytes when it was mapped.</summary>
    public long Length { get; }

    /// <summary>
    /// Maps the whole of <paramref name="file"/> read-only; the mapping owns the handle from then on and closes it on
    /// <see cref="Dispose"/>. Opening the file with <see cref="FileShare.Read"/> | <see cref="FileShare.Delete"/> lets
    /// atomic saves (rename over the path) and deletes go ahead: the mapping keeps the old file's contents.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is empty.</exception>
    /// <exception cref="PlatformNotSupportedException">The process is not x64 or Arm64 (see the remarks).</exception>
    public static MappedFile Open(FileStream file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64))
        {
            file.Dispose();
            throw new PlatformNotSupportedException($"Mapped indexes read unaligned rows in place, which needs x64 or Arm64; this process is {RuntimeInformation.ProcessArchitecture}. Use VectorIndex.Load.");
        }

        long length = file.Length;
        if (length == 0)
        {
            file.Dispose();
            throw new InvalidDataException("The index file is empty.");
        }

        MemoryMappedFile? map = null;
        try
        {
            map = MemoryMappedFile.CreateFromFile(file, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            return new MappedFile(map, view, length);
        }
        catch
        {
            if (map is null)
            {
                file.Dispose();
            }

            map?.Dispose();
            throw;
        }
    }

    /// <summary><paramref name="count"/> values of <typeparamref name="T"/> starting at byte <paramref name="offset"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the file.</exception>
    /// <exception cref="ObjectDisposedException">The mapping was released.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<T> Span<T>(long offset, int count) where T : unmanaged
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (offset < 0 || count < 0 || offset > Length || (ulong)count * (ulong)sizeof(T) > (ulong)(Length - offset))
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"Bytes {offset} + {count} x {sizeof(T)} are not inside the mapped file of {Length} bytes.");
        }

        return new ReadOnlySpan<T>(_base + offset, count);
    }

    /// <summary>
    /// A reference to the value at byte <paramref name="offset"/>, not checked: for a hot path (the HNSW graph's
    /// distances) whose caller checked the range once, through <see cref="Span{T}"/>, and holds the lock under which
    /// the mapping stays alive.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref T UncheckedRef<T>(long offset) where T : unmanaged => ref Unsafe.AsRef<T>(_base + offset);

    /// <summary><paramref name="length"/> bytes starting at <paramref name="offset"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the file.</exception>
    /// <exception cref="ObjectDisposedException">The mapping was released.</exception>
    public ReadOnlySpan<byte> Bytes(long offset, int length) => Span<byte>(offset, length);

    /// <summary>A read-only stream over the whole mapping (for parsing the header and small sections in place).</summary>
    public UnmanagedMemoryStream OpenStream()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new UnmanagedMemoryStream(_base, Length, Length, FileAccess.Read);
    }

    /// <summary>Unmaps the file and closes its handle. Idempotent.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _base = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
