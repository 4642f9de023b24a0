namespace ImageSearch.Orleans.Tests.Readme;

/// <summary>
/// The README's Orleans example, run on the three-silo test cluster. The region between "// README:orleans" and
/// "// END" appears verbatim in README.md and src/ImageSearch.Orleans/README.md (checked by ImageSearch.Tests' ReadmeSync
/// and by <see cref="PackageReadmeShowsIt"/>).
/// </summary>
[Collection(ClusterCollection.Name)]
public class ReadmeOrleansExamples(ClusterFixture fixture)
{
    [Fact]
    public async Task ShardedIndex()
    {
        IGrainFactory client = fixture.Grains;
        string name = Data.NewName("photos");
        long[] keys = Data.Keys(200);
        float[] vectors = Data.Vectors(200, 512, seed: 21);
        float[] query = vectors[..512];

        // README:orleans
        // Each silo: siloBuilder.AddImageSearchShards("/mnt/shared/shards") (storage every silo reaches).
        var index = await DistributedIndex.CreateOrOpenAsync(client, name,
            new DistributedIndexOptions { ShardCount = 8, Dimension = 512, Kind = DistributedIndexKind.Hnsw });
        await index.AddRangeAsync(keys, vectors);         // grouped by shard, sent in parallel; durable once it returns
        DistributedSearchResult hits = await index.SearchAsync(query, 10);   // each shard's top 10, merged
        // END

        Assert.Equal(keys[0], hits.Results[0].Key);
        Assert.Equal(10, hits.Results.Count);
        Assert.Equal(200, await index.CountAsync());
    }

    [Fact]
    public void PackageReadmeShowsIt()
    {
        string root = typeof(ReadmeOrleansExamples).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().Single(a => a.Key == "ImageSearch.RepositoryRoot").Value!;
        string source = File.ReadAllText(Path.Combine(root, "tests", "ImageSearch.Orleans.Tests", "Readme", "ReadmeOrleansExamples.cs")).Replace("\r\n", "\n");
        int start = source.IndexOf("// README:orleans\n", StringComparison.Ordinal) + "// README:orleans\n".Length;
        int end = source.IndexOf("        // END", start, StringComparison.Ordinal);
        string code = string.Join("\n", source[start..end].TrimEnd('\n').Split('\n').Select(l => l.Length >= 8 ? l[8..] : l.TrimStart()));
        string readme = File.ReadAllText(Path.Combine(root, "src", "ImageSearch.Orleans", "README.md")).Replace("\r\n", "\n");
        Assert.True(readme.Contains(code, StringComparison.Ordinal), $"src/ImageSearch.Orleans/README.md lacks the example verbatim:\n{code}");
    }
}
