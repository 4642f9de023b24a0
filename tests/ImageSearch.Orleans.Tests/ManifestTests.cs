namespace ImageSearch.Orleans.Tests;

/// <summary>Create, open and delete: the manifest records the configuration, and another configuration is refused.</summary>
[Collection(ClusterCollection.Name)]
public class ManifestTests(ClusterFixture fixture)
{
    [Fact]
    public async Task AnotherConfigurationIsRefusedNamingTheDifferences()
    {
        string name = Data.NewName("manifest");
        var options = new DistributedIndexOptions { ShardCount = 2, Dimension = 8, Kind = DistributedIndexKind.Exact };
        var created = await DistributedIndex.CreateAsync(fixture.Grains, name, options);
        await created.AddAsync(7, new float[] { 1, 2, 3, 4, 5, 6, 7, 8 });

        var same = await DistributedIndex.CreateOrOpenAsync(fixture.Grains, name, options);
        Assert.Equal(options, same.Options);
        var opened = await DistributedIndex.OpenAsync(fixture.Grains, name);
        Assert.Equal(options, opened.Options);
        Assert.Equal(1, await opened.CountAsync());

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => DistributedIndex.CreateOrOpenAsync(fixture.Grains, name,
            options with { ShardCount = 3, Metric = DistanceMetric.SquaredL2 }));
        Assert.Contains("ShardCount: stored 2, asked 3", e.Message, StringComparison.Ordinal);
        Assert.Contains("Metric: stored Cosine, asked SquaredL2", e.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => DistributedIndex.CreateAsync(fixture.Grains, name, options));

        Assert.True(await DistributedIndex.DeleteAsync(fixture.Grains, name));
        Assert.False(Directory.Exists(Path.Combine(fixture.Folder, name)));
        Assert.False(await DistributedIndex.DeleteAsync(fixture.Grains, name));
        await Assert.ThrowsAsync<InvalidOperationException>(() => DistributedIndex.OpenAsync(fixture.Grains, name));
    }

    [Fact]
    public async Task BadArgumentsAreRefusedBeforeAnythingIsCreated()
    {
        string name = Data.NewName("bad");
        await Assert.ThrowsAsync<ArgumentException>(() => DistributedIndex.CreateAsync(fixture.Grains, name, new DistributedIndexOptions { Dimension = 0 }));
        await Assert.ThrowsAsync<ArgumentException>(() => DistributedIndex.CreateAsync(fixture.Grains, name, new DistributedIndexOptions { Dimension = 4, ShardCount = 0 }));
        await Assert.ThrowsAsync<ArgumentException>(() => DistributedIndex.CreateAsync(fixture.Grains, "../x", new DistributedIndexOptions { Dimension = 4 }));
        await Assert.ThrowsAsync<ArgumentException>(() => DistributedIndex.CreateAsync(fixture.Grains, name,
            new DistributedIndexOptions { Dimension = 4, Hnsw = new HnswOptions { M = 0 } }));
        var int8 = await Assert.ThrowsAsync<ArgumentException>(() => DistributedIndex.CreateAsync(fixture.Grains, name,
            new DistributedIndexOptions { Dimension = 4, ElementType = VectorElementType.Int8 }));
        Assert.Contains("Int8", int8.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(fixture.Folder, name)));
    }
}
