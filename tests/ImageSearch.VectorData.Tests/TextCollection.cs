namespace ImageSearch.VectorData.Tests;

/// <summary>
/// A collection whose only vector is generated from text, seen through row indexes, so that
/// <see cref="CollectionContract{TKey, TRecord}"/> can run embedding generation for every record flavour and key type.
/// It owns its store.
/// </summary>
public interface ITextCollection : IDisposable
{
    Task EnsureExistsAsync();

    Task UpsertAsync(IEnumerable<(int Index, string Text)> rows);

    Task<List<(int Index, double Score)>> SearchAsync(string text, int top);

    /// <summary>The index of the record with row <paramref name="index"/>'s key; <see langword="null"/> when there is none.</summary>
    Task<int?> GetAsync(int index, bool includeVectors = false);

    Task DeleteAsync(int index);
}

/// <summary>An <see cref="ITextCollection"/> over any collection, given how its keys and records are made and read.</summary>
public sealed class TextCollection<TKey, TRecord>(VectorStore store, VectorStoreCollection<TKey, TRecord> collection,
    Func<int, TKey> key, Func<TKey, int, string, TRecord> make, Func<TRecord, int> indexOf) : ITextCollection
    where TKey : notnull
    where TRecord : class
{
    public Task EnsureExistsAsync() => collection.EnsureCollectionExistsAsync();

    public Task UpsertAsync(IEnumerable<(int Index, string Text)> rows) => collection.UpsertAsync(rows.Select(r => make(key(r.Index), r.Index, r.Text)));

    public async Task<List<(int Index, double Score)>> SearchAsync(string text, int top)
        => await collection.SearchAsync(text, top).Select(h => (indexOf(h.Record), h.Score!.Value)).ToListAsync();

    public async Task<int?> GetAsync(int index, bool includeVectors = false)
        => await collection.GetAsync(key(index), new RecordRetrievalOptions { IncludeVectors = includeVectors }) is { } r ? indexOf(r) : null;

    public Task DeleteAsync(int index) => collection.DeleteAsync(key(index));

    public void Dispose() => store.Dispose();
}
