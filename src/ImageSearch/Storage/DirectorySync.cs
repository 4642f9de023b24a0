using System.Runtime.InteropServices;

namespace ImageSearch;

/// <summary>
/// Flushes a folder's entries to disk after a rename: on Linux and macOS a rename is durable only once the folder itself
/// is fsynced (ext4, XFS and APFS may otherwise lose the new name, or keep the old file, after a power cut). .NET cannot
/// open a folder as a file handle, so this calls <c>open</c> and <c>fsync</c> from libc. On Windows it does nothing:
/// there is no folder fsync, and NTFS journals the rename as metadata.
/// </summary>
internal static partial class DirectorySync
{
    /// <summary>Fsyncs <paramref name="directory"/>; a failure to open or sync is ignored (best effort, as in SQLite:
    /// some file systems refuse to open or fsync a folder, and the data file itself is already flushed).</summary>
    /// <param name="directory">The folder whose entries to flush.</param>
    public static void Flush(string directory)
    {
        if (OperatingSystem.IsWindows() || !(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD()))
        {
            return;
        }

        // O_RDONLY is 0 everywhere; O_DIRECTORY and O_CLOEXEC differ by platform and are not needed to fsync.
        int fd = Open(directory, 0);
        if (fd < 0)
        {
            return;
        }

        try
        {
            _ = Fsync(fd);
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
