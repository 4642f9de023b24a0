namespace ImageSearch.Orleans.Tests;

/// <summary>Shards come back from their snapshot and log with the same answers; unavailable shards are waited for, then
/// reported (an exception, or partial results naming them).</summary>
[Collection(ClusterCollection.Name)]
public class DurabilityTests(ClusterFixture fixture)
{
    private const int Dim = 8;

    private async Task DeactivateAllAsync(DistributedIndex index)
    {
        for (int s = 0; s < index.ShardCount; s++)
        {
            await fixture.Cluster.DeactivateAsync(fixture.Grains.GetGrain<IIndexShardGrain>(IndexShardGrain.KeyOf(index.Name, s)));
        }
    }

    [Theory]
    [InlineData(DistributedIndexKind.Exact)]
    [InlineData(DistributedIndexKind.Hnsw)]
    public async Task AReactivatedShardServesTheSameResults(DistributedIndexKind kind)
    {
        long[] keys = Data.Keys(900);
        float[] vectors = Data.Vectors(900, Dim, seed: 11);
        var index = await DistributedIndex.CreateAsync(fixture.Grains, Data.NewName("reload"),
            new DistributedIndexOptions { ShardCount = 2, Dimension = Dim, Kind = kind, Hnsw = new HnswOptions { M = 8, EfConstruction = 50 } });
        await index.AddRangeAsync(keys.AsMemory(0, 500), vectors.AsMemory(0, 500 * Dim));
        await index.SnapshotAsync();
        await index.AddRangeAsync(keys.AsMemory(500), vectors.AsMemory(500 * Dim)); // in the log only
        Assert.Equal(60, await index.RemoveRangeAsync(keys.Where((_, i) => i % 15 == 0)));
        float[] queries = Data.Vectors(20, Dim, seed: 12, duplicateEvery: 0);
        DistributedSearchResult[] before = await index.SearchBatchAsync(queries, 10);
        IReadOnlyList<ShardStatistics> stats = await index.GetShardStatisticsAsync();
        Assert.All(stats, s => Assert.True(s.SnapshotGeneration >= 0 && s.LogBytes > 0 && s.MemoryBytes > 0));

        await DeactivateAllAsync(index);
        DistributedSearchResult[] after = await index.SearchBatchAsync(queries, 10);
        for (int q = 0; q < queries.Length / Dim; q++)
        {
            Assert.Equal(before[q].Results, after[q].Results);
        }

        Assert.Equal(840, await index.CountAsync());

        // A second snapshot truncates the log: one snapshot and one (new) segment per shard remain, and they load too.
        await index.SnapshotAsync();
        foreach (string shardFolder in Directory.GetDirectories(Path.Combine(fixture.Folder, index.Name)))
        {
            Assert.Equal(2, Directory.GetFiles(shardFolder).Length);
        }

        await DeactivateAllAsync(index);
        DistributedSearchResult[] again = await index.SearchBatchAsync(queries, 10);
        Assert.Equal(before.Select(r => r.Results.ToArray()), again.Select(r => r.Results.ToArray()));
    }

    [Fact]
    public async Task AShardThatDoesNotComeBackFailsTheSearchOrIsNamedInPartialResults()
    {
        long[] keys = Data.Keys(400);
        float[] vectors = Data.Vectors(400, Dim, seed: 13);
        string name = Data.NewName("partial");
        var options = new DistributedIndexOptions { ShardCount = 3, Dimension = Dim, Kind = DistributedIndexKind.Exact };
        var index = await DistributedIndex.CreateAsync(fixture.Grains, name, options);
        await index.AddRangeAsync(keys, vectors);
        var others = new ExactIndex(Dim);
        long[] notInShard1 = [.. keys.Where(k => index.ShardOf(k) != 1)];
        foreach (long k in notInShard1)
        {
            others.Add(k, vectors.AsSpan(Array.IndexOf(keys, k) * Dim, Dim));
        }

        await DeactivateAllAsync(index);
        var strict = await DistributedIndex.OpenAsync(fixture.Grains, name, new DistributedIndexClientOptions { ShardTimeout = TimeSpan.FromSeconds(1) });
        var lenient = await DistributedIndex.OpenAsync(fixture.Grains, name,
            new DistributedIndexClientOptions { ShardTimeout = TimeSpan.FromSeconds(1), AllowPartialResults = true });
        using (GatedStorage.Close(ShardStorageNames.ShardPrefix(name, 1)))
        {
            var e = await Assert.ThrowsAsync<ShardUnavailableException>(() => strict.SearchAsync(vectors.AsMemory(0, Dim), 5));
            Assert.Equal(new[] { 1 }, e.Shards);

            DistributedSearchResult partial = await lenient.SearchAsync(vectors.AsMemory(0, Dim), 5);
            Assert.Equal(new[] { 1 }, partial.MissingShards);
            var expected = new SearchResult[5];
            others.Search(vectors.AsSpan(0, Dim), expected);
            Assert.Equal(expected, partial.Results);
            DistributedSearchResult[] partialBatch = await lenient.SearchBatchAsync(vectors.AsMemory(0, 2 * Dim), 5);
            Assert.All(partialBatch, r => Assert.Equal(new[] { 1 }, r.MissingShards));
            Assert.Equal(others.SearchBatch(vectors.AsSpan(0, 2 * Dim), 5)[1], partialBatch[1].Results); // batch vs batch: same kernels
            var countError = await Assert.ThrowsAsync<ShardUnavailableException>(() => lenient.CountAsync()); // a count is never partial
            Assert.Equal(new[] { 1 }, countError.Shards);
        }

        // Once the shard can load, the same client gets whole answers again.
        DistributedSearchResult whole = await strict.SearchAsync(vectors.AsMemory(0, Dim), 5);
        Assert.False(whole.IsPartial);
        Assert.Equal(400, await strict.CountAsync());
    }

    [Fact]
    public async Task ACrashAtAnyStepOfASnapshotRecoversTheSameState()
    {
        long[] keys = Data.Keys(600);
        float[] vectors = Data.Vectors(600, Dim, seed: 14);
        string name = Data.NewName("crash");
        var index = await DistributedIndex.CreateAsync(fixture.Grains, name,
            new DistributedIndexOptions { ShardCount = 1, Dimension = Dim, Kind = DistributedIndexKind.Exact, Metric = DistanceMetric.SquaredL2 });
        await index.AddRangeAsync(keys.AsMemory(0, 300), vectors.AsMemory(0, 300 * Dim));
        await index.SnapshotAsync();
        await index.AddRangeAsync(keys.AsMemory(300), vectors.AsMemory(300 * Dim));
        float[] queries = Data.Vectors(10, Dim, seed: 15, duplicateEvery: 0);
        DistributedSearchResult[] before = await index.SearchBatchAsync(queries, 20);
        string shardFolder = Path.Combine(fixture.Folder, name, "shard-0000");
        string[] Files() => [.. Directory.GetFiles(shardFolder).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];
        async Task AssertSameAfterReactivationAsync(string step)
        {
            await DeactivateAllAsync(index);
            DistributedSearchResult[] after = await index.SearchBatchAsync(queries, 20);
            Assert.True(before.Select(r => r.Results.ToArray()).SequenceEqual(after.Select(r => r.Results.ToArray()), new ResultsComparer()), $"different results after a crash {step}");
            Assert.Equal(600, await index.CountAsync());
        }

        // Crash after step 1 (a new, empty segment, no snapshot yet): the old snapshot and every segment are replayed.
        await DeactivateAllAsync(index);
        string[] files = Files();
        long newest = files.Select(Generation).Max();
        var storage = new FolderShardStorage(fixture.Folder);
        await using (IShardLogAppender log = await storage.CreateAppendAsync(ShardStorageNames.Log(name, 0, newest + 1), default))
        {
            await log.AppendAsync(ShardLog.HeaderRecord(newest + 1), default);
        }

        await AssertSameAfterReactivationAsync("after starting a segment");

        // Crash after step 2 (new snapshot written, older files not yet deleted): the older segments must not be
        // replayed on top of the new snapshot (their adds would be refused as duplicates).
        await DeactivateAllAsync(index);
        string backup = shardFolder + ".old";
        CopyFolder(shardFolder, backup);
        await index.SnapshotAsync();
        await DeactivateAllAsync(index);
        foreach (string file in Directory.GetFiles(backup))
        {
            File.Copy(file, Path.Combine(shardFolder, Path.GetFileName(file)), overwrite: false);
        }

        Directory.Delete(backup, recursive: true);
        await AssertSameAfterReactivationAsync("after writing the snapshot");
        // The leftovers older than the newest snapshot were deleted on activation; every activation starts a segment.
        string[] left = Files();
        Assert.Single(left, f => f.StartsWith("snapshot-", StringComparison.Ordinal));
        long snapshot = Generation(left.Single(f => f.StartsWith("snapshot-", StringComparison.Ordinal)));
        Assert.All(left, f => Assert.True(Generation(f) >= snapshot, $"{f} is older than snapshot {snapshot}"));
    }

    [Fact]
    public async Task ACorruptLogIsAnErrorNotAnEmptyShard()
    {
        string name = Data.NewName("corrupt");
        var index = await DistributedIndex.CreateAsync(fixture.Grains, name,
            new DistributedIndexOptions { ShardCount = 1, Dimension = Dim, Kind = DistributedIndexKind.Exact },
            new DistributedIndexClientOptions { ShardTimeout = TimeSpan.FromSeconds(2) });
        await index.AddRangeAsync(Data.Keys(10), Data.Vectors(10, Dim, seed: 16));
        await index.AddRangeAsync(Data.Keys(10, first: 1000), Data.Vectors(10, Dim, seed: 17));
        await DeactivateAllAsync(index);
        string log = Directory.GetFiles(Path.Combine(fixture.Folder, name, "shard-0000"), "log-*").Order(StringComparer.Ordinal).First();
        byte[] bytes = File.ReadAllBytes(log);
        bytes[ShardLog.RecordHeaderSize + 21 + ShardLog.RecordHeaderSize + 20] ^= 0x01; // inside the first add
        File.WriteAllBytes(log, bytes);

        Exception e = await Assert.ThrowsAnyAsync<Exception>(() => index.SearchAsync(new float[Dim].Select((_, i) => i + 1f).ToArray(), 3));
        Assert.Contains("corrupt", e.ToString(), StringComparison.Ordinal);
        Assert.IsNotType<ShardUnavailableException>(e); // corruption is not retried as if the shard were moving
        Assert.True(await DistributedIndex.DeleteAsync(fixture.Grains, name)); // a corrupt index can still be deleted
        Assert.False(Directory.Exists(Path.Combine(fixture.Folder, name)));
    }

    [Fact]
    public async Task ABackgroundSnapshotTruncatesTheLog()
    {
        const int N = 3000, Dim32 = 32;
        var index = await DistributedIndex.CreateAsync(fixture.Grains, Data.NewName("background"),
            new DistributedIndexOptions { ShardCount = 1, Dimension = Dim32, Kind = DistributedIndexKind.Exact });
        long[] keys = Data.Keys(N);
        float[] vectors = Data.Vectors(N, Dim32, seed: 18);
        await index.AddRangeAsync(keys, vectors); // 3000 x 32 x 4 bytes: past the fixture's 256 KiB
        ShardStatistics stats = (await index.GetShardStatisticsAsync())[0];
        Assert.Equal(-1, stats.SnapshotGeneration);
        Assert.True(stats.LogBytes >= ClusterFixture.HostOptions.SnapshotAfterLogBytes);

        // The check runs every second; allow a generous while on a loaded machine (this waits, it does not time).
        for (int i = 0; i < 300 && stats.SnapshotGeneration < 0; i++)
        {
            await Task.Delay(100);
            stats = (await index.GetShardStatisticsAsync())[0];
        }

        Assert.True(stats.SnapshotGeneration >= 0, "no background snapshot within 30 s");
        Assert.True(stats.LogBytes < ClusterFixture.HostOptions.SnapshotAfterLogBytes);
        string[] files = [.. Directory.GetFiles(Path.Combine(fixture.Folder, index.Name, "shard-0000")).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];
        Assert.DoesNotContain("log-000000000000", files); // the segment before the snapshot was deleted
        await DeactivateAllAsync(index);
        var expected = new ExactIndex(Dim32);
        expected.AddRange(keys, vectors);
        Assert.Equal(expected.SearchBatch(vectors.AsSpan(0, 5 * Dim32), 7), (await index.SearchBatchAsync(vectors.AsMemory(0, 5 * Dim32), 7)).Select(r => r.Results.ToArray()));
    }

    private static long Generation(string file) => long.Parse(file[(file.IndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }

    private sealed class ResultsComparer : IEqualityComparer<SearchResult[]>
    {
        public bool Equals(SearchResult[]? x, SearchResult[]? y) => x!.SequenceEqual(y!);

        public int GetHashCode(SearchResult[] obj) => obj.Length;
    }
}
