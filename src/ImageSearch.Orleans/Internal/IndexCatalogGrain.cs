namespace ImageSearch;

/// <summary>Creates, reads and deletes one index's manifest; a single activation per index name serialises them.</summary>
internal sealed class IndexCatalogGrain(IShardStorage storage) : Grain, IIndexCatalogGrain
{
    private string Index => this.GetPrimaryKeyString();

    public Task<IndexManifest?> Get() => ManifestStore.ReadAsync(storage, Index, CancellationToken.None);

    public async Task<IndexManifest> CreateOrOpen(IndexManifest asked, bool mustCreate)
    {
        IndexManifest? stored = await Get();
        if (stored is null)
        {
            byte[] bytes = asked.Encode();
            await storage.WriteAtomicAsync(ShardStorageNames.Manifest(Index), s => s.Write(bytes), CancellationToken.None);
            return asked;
        }

        if (mustCreate)
        {
            throw new InvalidOperationException($"Distributed index '{Index}' already exists.");
        }

        IReadOnlyList<string> differences = stored.Differences(asked);
        return differences.Count == 0
            ? stored
            : throw new InvalidOperationException($"Distributed index '{Index}' exists with another configuration ({string.Join("; ", differences)}); open it with its own configuration or delete it first.");
    }

    /// <summary>Closes a shard's log; a shard that cannot activate (a corrupt log) has none open, and must not stop the delete.</summary>
    private async Task CloseShardAsync(int shard)
    {
        try
        {
            await GrainFactory.GetGrain<IIndexShardGrain>(IndexShardGrain.KeyOf(Index, shard)).Close();
        }
        catch (InvalidDataException)
        {
        }
    }

    public async Task<bool> Delete()
    {
        IndexManifest? stored = await Get();
        if (stored is null)
        {
            return false;
        }

        // Close the shards first (their logs), then the manifest (no shard activates without it), then the rest.
        await Task.WhenAll(Enumerable.Range(0, stored.ShardCount).Select(CloseShardAsync));
        await storage.DeleteAsync(ShardStorageNames.Manifest(Index), CancellationToken.None);
        foreach (string name in await storage.ListAsync(Index + "/", CancellationToken.None))
        {
            await storage.DeleteAsync(name, CancellationToken.None);
        }

        return true;
    }
}
