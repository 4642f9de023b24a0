namespace ImageSearch.Storage;
/// <summary>Placeholder.</summary>
public static class IndexFile
{
    /// <summary>Placeholder.</summary>
    public static void SaveAtomic(string path, Action<Stream> write) => throw new NotImplementedException();
    /// <summary>Placeholder.</summary>
    public static Task SaveAtomicAsync(string path, Action<Stream> write, CancellationToken ct) => throw new NotImplementedException();
}
