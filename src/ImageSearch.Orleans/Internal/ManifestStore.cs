namespace ImageSearch;

/// <summary>Reads a manifest from storage (outside grain code, so it may leave the grain's scheduler).</summary>
internal static class ManifestStore
{
    public static async Task<IndexManifest?> ReadAsync(IShardStorage storage, string index, CancellationToken cancellationToken)
    {
        string name = ShardStorageNames.Manifest(index);
        Stream? stream = await storage.OpenReadAsync(name, cancellationToken).ConfigureAwait(false);
        if (stream is null)
        {
            return null;
        }

        await using (stream.ConfigureAwait(false))
        {
            var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            return IndexManifest.Decode(buffer.ToArray(), name);
        }
    }
}
