
namespace ImageSearch.Embeddings.Tests.Engine;

public sealed class EngineSyncTests
{
    [Fact]
    public async Task Sync_AddsNewFiles_WithFolderLabels()
    {
        using var tmp = new TempFolder();
        tmp.Write("photos/cat/a.jpg", "v:1,0,0,0");
        tmp.Write("photos/cat/b.png", "v:0.9,0.1,0,0");
        tmp.Write("photos/dog/c.jpeg", "v:0,1,0,0");
        tmp.Write("photos/dog/notes.txt", "not an image");
        var fake = new FakeImageEmbedder();
        using var engine = ImageSearchEngine.Create(fake, "fake-4");

        var report = await engine.SyncFolderAsync(tmp.Path("photos"));

        Assert.Equal((3, 0, 0, 0), (report.Added, report.Updated, report.Removed, report.Unchanged));
        Assert.Empty(report.Failures);
        Assert.Equal(3, engine.Count);
        Assert.Equal(3, fake.Calls);
        Assert.Equal(["cat", "dog"], engine.Labels);
        Assert.True(engine.TryGetKey(tmp.Path("photos", "dog", "c.jpeg"), out long key));
        PhotoInfo info = engine.Photos[key];
        Assert.Equal("dog", info.Label);
        Assert.Equal(new FileInfo(info.Path).Length, info.Size);
        Assert.Equal(64, info.ContentHash!.Length);
    }

    [Fact]
    public async Task Sync_Again_DoesNotReembedUnchangedFiles()
    {
        using var tmp = new TempFolder();
        for (int i = 0; i < 5; i++)
        {
            tmp.Write($"p/x/{i}.jpg", $"v:{i + 1},1,0,0");
        }

        var fake = new FakeImageEmbedder();
        using var engine = ImageSearchEngine.Create(fake, "fake-4");
        await engine.SyncFolderAsync(tmp.Path("p"));
        Assert.Equal(5, fake.Calls);

        var again = await engine.SyncFolderAsync(tmp.Path("p"));

        Assert.Equal(5, fake.Calls);
        Assert.Equal(5, again.Unchanged);
        Assert.False(again.Changed);
    }

    [Fact]
    public async Task Sync_TouchedButSameContent_IsNotReembedded_ButRestamped()
    {
        using var tmp = new TempFolder();
        string a = tmp.Write("p/x/a.jpg", "v:1,2,3,4");
        var fake = new FakeImageEmbedder();
        using var engine = ImageSearchEngine.Create(fake, "fake-4");
        await engine.SyncFolderAsync(tmp.Path("p"));
        var later = File.GetLastWriteTimeUtc(a).AddMinutes(5);
        File.SetLastWriteTimeUtc(a, later);

        var report = await engine.SyncFolderAsync(tmp.Path("p"));

        Assert.Equal(1, fake.Calls);
        Assert.Equal((0, 0, 1), (report.Added, report.Updated, report.Unchanged));
        Assert.True(engine.TryGetKey(a, out long key));
        Assert.Equal(later, engine.Photos[key].LastWriteUtc);
    }

    [Fact]
    public async Task Sync_ChangedFile_IsReembedded_AndItsVectorReplaced()
    {
        using var tmp = new TempFolder();
        string a = tmp.Write("p/x/a.jpg", "v:1,0,0,0");
        tmp.Write("p/x/b.jpg", "v:0,1,0,0");
        var fake = new FakeImageEmbedder();
        using var engine = ImageSearchEngine.Create(fake, "fake-4");
        await engine.SyncFolderAsync(tmp.Path("p"));
        engine.TryGetKey(a, out long oldKey);

        File.WriteAllText(a, "v:0,0,1,0");
        File.SetLastWriteTimeUtc(a, DateTime.UtcNow.AddMinutes(1));
        var report = await engine.SyncFolderAsync(tmp.Path("p"));

        Assert.Equal((0, 1, 0, 1), (report.Added, report.Updated, report.Removed, report.Unchanged));
        Assert.Equal(2, fake.CallsFor(a));
        Assert.Equal(1, fake.CallsFor(tmp.Path("p", "x", "b.jpg")));
        Assert.Equal(2, engine.Count);
        Assert.False(engine.Index.Contains(oldKey));
        Assert.True(engine.TryGetKey(a, out long newKey));
        var v = new float[4];
        Assert.True(engine.Index.TryGetVector(newKey, v));
        Assert.Equal([0f, 0f, 1f, 0f], v);
    }

    [Fact]
    public async Task Sync_DeletedFile_IsRemoved_OnlyBelowTheSyncedFolder()
    {
        using var tmp = new TempFolder();
        string c = tmp.Write("one/x/c.jpg", "v:1,1,0,0");
        tmp.Write("one/x/d.jpg", "v:1,0,1,0");
        tmp.Write("two/y/e.jpg", "v:0,1,1,0");
        var fake = new FakeImageEmbedder();
        using var engine = ImageSearchEngine.Create(fake, "fake-4");
        await engine.SyncFolderAsync(tmp.Path("one"));
        await engine.SyncFolderAsync(tmp.Path("two"));
        Assert.Equal(3, engine.Count);

        File.Delete(c);
        var report = await engine.SyncFolderAsync(tmp.Path("one"));

        Assert.Equal((0, 0, 1, 1), (report.Added, report.Updated, report.Removed, report.Unchanged));
        Assert.Equal(2, engine.Count);
        Assert.Equal(2, engine.Index.Count);
        Assert.False(engine.TryGetKey(c, out _));
        Assert.True(engine.TryGetKey(tmp.Path("two", "y", "e.jpg"), out _)); // another folder's photo stays
    }

    [Fact]
    public async Task Sync_CorruptFile_IsReportedPerFile_OthersIndexed_AndRetriedNextTime()
    {
        using var tmp = new TempFolder();
        tmp.Write("p/x/good1.jpg", "v:1,0,0,0");
        string bad = tmp.Write("p/x/broken.jpg", "BAD jpeg bytes");
        tmp.Write("p/y/good2.jpg", "v:0,1,0,0");
        var fake = new FakeImageEmbedder();
        using var engine = ImageSearchEngine.Create(fake, "fake-4");

        var report = await engine.SyncFolderAsync(tmp.Path("p"));

        Assert.Equal(2, report.Added);
        var failure = Assert.Single(report.Failures);
        Assert.Equal(Path.GetFullPath(bad), failure.Path);
        Assert.Contains("not a valid image", failure.Message, StringComparison.Ordinal);
        Assert.Equal(2, engine.Count);
        Assert.False(engine.TryGetKey(bad, out _));

        var again = await engine.SyncFolderAsync(tmp.Path("p"));
        Assert.Single(again.Failures);
        Assert.Equal(2, fake.CallsFor(bad));
        Assert.Equal(1, fake.CallsFor(tmp.Path("p", "x", "good1.jpg")));
    }

    [Fact]
    public async Task Sync_ChangedFileThatNowFails_IsRemovedAndReported()
    {
        using var tmp = new TempFolder();
        string a = tmp.Write("p/x/a.jpg", "v:1,0,0,0");
        var fake = new FakeImageEmbedder();
        using var engine = ImageSearchEngine.Create(fake, "fake-4");
        await engine.SyncFolderAsync(tmp.Path("p"));

        File.WriteAllText(a, "BAD now");
        File.SetLastWriteTimeUtc(a, DateTime.UtcNow.AddMinutes(1));
        var report = await engine.SyncFolderAsync(tmp.Path("p"));

        Assert.Single(report.Failures);
        Assert.Equal(1, report.Removed);
        Assert.Equal(0, engine.Count);
        Assert.Equal(0, engine.Index.Count);
    }

    [Fact]
    public async Task Sync_ReportsProgress_AndMissingFolderThrows()
    {
        using var tmp = new TempFolder();
        tmp.Write("p/x/a.jpg", "v:1,0,0,0");
        tmp.Write("p/x/b.jpg", "v:0,1,0,0");
        using var engine = ImageSearchEngine.Create(new FakeImageEmbedder(), "fake-4");
        var seen = new List<SyncProgress>();

        await engine.SyncFolderAsync(tmp.Path("p"), new SyncProgressRecorder(seen));

        Assert.Contains(seen, p => p.Stage == SyncStage.Embedding && p.Completed == 2 && p.Total == 2);
        await Assert.ThrowsAsync<DirectoryNotFoundException>(() => engine.SyncFolderAsync(tmp.Path("nope")));
    }

    [Fact]
    public async Task Similar_ReturnsPayloads_LeavesTheQueryOut_AndFindsFolderClasses()
    {
        using var tmp = new TempFolder();
        string q = tmp.Write("p/cat/q.jpg", "v:1,0.1,0,0");
        tmp.Write("p/cat/a.jpg", "v:1,0.2,0,0");
        tmp.Write("p/cat/b.jpg", "v:0.9,0,0.1,0");
        tmp.Write("p/dog/c.jpg", "v:0,1,0,0.1");
        tmp.Write("p/dog/d.jpg", "v:0.1,1,0,0");
        using var engine = ImageSearchEngine.Create(new FakeImageEmbedder(), "fake-4");
        await engine.SyncFolderAsync(tmp.Path("p"));

        var hits = await engine.SimilarAsync(ImageInput.FromFile(q), k: 3);

        Assert.Equal([1, 2, 3], hits.Select(h => h.Rank));
        Assert.DoesNotContain(hits, h => h.Payload.Path == Path.GetFullPath(q));
        Assert.Equal(["cat", "cat", "dog"], hits.Select(h => h.Payload.Label));
        Assert.True(hits[0].Distance <= hits[1].Distance);

        ClassChoice dog = await engine.FindClassAsync("dog");
        Assert.Equal(("dog", "folder labels", 4), (dog.Name, dog.Source, dog.Weights.Length));
        var weighted = await engine.SimilarAsync(ImageInput.FromFile(q), 3, dog.Weights);
        Assert.Equal(3, weighted.Count);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => engine.FindClassAsync("horse"));
    }

    private sealed class SyncProgressRecorder(List<SyncProgress> seen) : IProgress<SyncProgress>
    {
        public void Report(SyncProgress value)
        {
            lock (seen)
            {
                seen.Add(value);
            }
        }
    }
}

/// <summary>Removed and changed photos must not leave HNSW tombstones forever.</summary>
public sealed class EngineTombstoneTests
{
    [Fact]
    public async Task Sync_that_changes_and_deletes_many_photos_leaves_bounded_tombstones()
    {
        using var tmp = new TempFolder();
        var files = new List<string>();
        for (int i = 0; i < 40; i++)
        {
            files.Add(tmp.Write($"p/x/{i}.jpg", $"v:{i + 1},1,{i % 3},0.5"));
        }

        var options = new ImageSearchEngineOptions { IndexFactory = d => new HnswIndex(d, DistanceMetric.Cosine) };
        using var engine = ImageSearchEngine.Create(new FakeImageEmbedder(), "fake-4", options);
        await engine.SyncFolderAsync(tmp.Path("p"));
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < 12; i++)
            {
                tmp.Write($"p/x/{i}.jpg", $"v:{i + 1},{round + 2},{i % 3},0.{round + 1}"); // changed content
            }

            foreach (string f in files.Skip(30 - round * 5).Take(5))
            {
                File.Delete(f);
            }

            var report = await engine.SyncFolderAsync(tmp.Path("p"));
            Assert.Equal((12, 5), (report.Updated, report.Removed));
            Assert.True(engine.Index.DeletedCount <= 0.2 * engine.Index.Count, $"round {round}: {engine.Index.DeletedCount} deleted vectors for {engine.Index.Count} live ones");
        }

        Assert.Equal(25, engine.Count);
        Assert.IsType<HnswIndex>(engine.Index);

        // Compaction keeps every photo findable under its key.
        var vector = new float[engine.Dimension];
        foreach (long key in engine.Photos.Keys)
        {
            Assert.True(engine.Index.TryGetVector(key, vector));
            Assert.Equal(key, engine.Index.Search(vector, 1)[0].Key);
        }
    }
}
