namespace ImageSearch.Tests.Storage;

public class DirectorySyncTests
{
    [Fact]
    public void Flush_BindsToLibc_AndIgnoresAMissingFolder()
    {
        // Throws DllNotFoundException or EntryPointNotFoundException if the open/fsync/close imports do not bind.
        string dir = Directory.CreateTempSubdirectory("imagesearch-fsync-").FullName;
        try
        {
            DirectorySync.Flush(dir);
            DirectorySync.Flush(Path.Combine(dir, "missing"));
        }
        finally
        {
            Directory.Delete(dir);
        }
    }
}
