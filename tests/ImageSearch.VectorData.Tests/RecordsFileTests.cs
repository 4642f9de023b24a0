namespace ImageSearch.VectorData.Tests;

/// <summary>The records file reader against the id mark a corrupt (checksum-valid) file can declare.</summary>
public sealed class RecordsFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("isvd-records-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly CollectionSchema Schema = new("Key", StoredType.Int64, [new DataSchema("Text", StoredType.String)], [new VectorSchema("V", 3, "CosineSimilarity", "Flat")]);

    [Fact]
    public void The_id_mark_follows_the_stored_records_not_the_declared_mark()
    {
        // The store sizes its id table from the mark: int.MaxValue used to be an OutOfMemoryException on opening.
        string path = Path.Combine(_folder, "collection.isvd");
        RecordsFile.Write(path, 1, Schema, int.MaxValue, [(0, new StoredRecord(10L, ["a"], [1f])), (5, new StoredRecord(11L, [null], [1f]))]);
        RecordsFile.Contents contents = RecordsFile.Read(path);
        Assert.Equal(6, contents.HighWater);
        Assert.Equal([0, 5], contents.Records.Select(r => r.Id));

        RecordsFile.Write(path, 1, Schema, 1000, []);
        Assert.Equal(0, RecordsFile.Read(path).HighWater);
    }
}
