using System.Text.Json;

namespace ImageSearch.Embeddings.Tests.Engine;

public sealed class EnginePersistenceTests
{
    [Fact]
    public async Task SaveOpen_RoundTrip_KeepsPhotosAndResults_AndSyncStaysIncremental()
    {
        using var tmp = new TempFolder();
        string q = tmp.Write("p/cat/a.jpg", "v:1,0.1,0,0");
        tmp.Write("p/cat/b.jpg", "v:0.8,0.2,0.1,0");
        tmp.Write("p/dog/c.jpg", "v:0,1,0.2,0");
        var fake = new FakeImageEmbedder();
        string dir = tmp.Path("index");
        IReadOnlyList<SearchHit<PhotoInfo>> before;
        using (var engine = ImageSearchEngine.Create(fake, "fake-4"))
        {
            await engine.SyncFolderAsync(tmp.Path("p"));
            before = await engine.SimilarAsync(ImageInput.FromFile(q), 5);
            await engine.SaveAsync(dir);
        }

        Assert.True(ImageSearchEngine.Exists(dir));
        using var manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "manifest.json")));
        Assert.Equal("fake-4", manifest.RootElement.GetProperty("modelId").GetString());
        Assert.Equal(4, manifest.RootElement.GetProperty("dimension").GetInt32());

        using var reopened = await ImageSearchEngine.OpenAsync(dir, fake, "fake-4");
        Assert.Equal(3, reopened.Count);
        Assert.Equal(Path.GetFullPath(dir), reopened.Directory);
        var after = await reopened.SimilarAsync(ImageInput.FromFile(q), 5);
        Assert.Equal(before.Select(h => (h.Key, h.Distance, h.Payload)), after.Select(h => (h.Key, h.Distance, h.Payload)));

        int calls = fake.Calls;
        var report = await reopened.SyncFolderAsync(tmp.Path("p"));
        Assert.Equal(calls, fake.Calls);
        Assert.Equal(3, report.Unchanged);

        // New keys after reopening never collide with saved ones.
        tmp.Write("p/dog/d.jpg", "v:0,1,0,0");
        await reopened.SyncFolderAsync(tmp.Path("p"));
        Assert.Equal(4, reopened.Count);
        Assert.Equal(4, reopened.Photos.Keys.Distinct().Count());
    }

    [Fact]
    public async Task FolderClassifier_IsSavedWithTheEngine_AndDroppedWhenPhotosChange()
    {
        using var tmp = new TempFolder();
        tmp.Write("p/cat/a.jpg", "v:1,0.1,0,0");
        tmp.Write("p/cat/b.jpg", "v:0.9,0,0.2,0");
        tmp.Write("p/dog/c.jpg", "v:0,1,0.1,0");
        tmp.Write("p/dog/d.jpg", "v:0.1,1,0,0.1");
        var fake = new FakeImageEmbedder();
        string dir = tmp.Path("index");
        ClassChoice before;
        using (var engine = ImageSearchEngine.Create(fake, "fake-4"))
        {
            await engine.SyncFolderAsync(tmp.Path("p"));
            before = await engine.FindClassAsync("dog");
            await engine.SaveAsync(dir);
        }

        Assert.Single(Directory.GetFiles(dir, "classes.*.json"));
        using var reopened = await ImageSearchEngine.OpenAsync(dir, fake, "fake-4");
        ClassChoice after = await reopened.FindClassAsync("dog");
        Assert.Equal(before.Weights.ToArray(), after.Weights.ToArray());

        // A sync that changes nothing (a re-stamped file included) keeps it valid.
        File.SetLastWriteTimeUtc(tmp.Path("p", "cat", "a.jpg"), DateTime.UtcNow.AddMinutes(3));
        await reopened.SyncFolderAsync(tmp.Path("p"));
        await reopened.SaveAsync(dir);
        using (var kept = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "manifest.json"))))
        {
            Assert.Equal(Path.GetFileName(Directory.GetFiles(dir, "classes.*.json").Single()), kept.RootElement.GetProperty("classes").GetString());
        }

        // New photos make the saved classifier stale: the next save leaves it out of the manifest.
        tmp.Write("p/bird/e.jpg", "v:0,0,1,1");
        await reopened.SyncFolderAsync(tmp.Path("p"));
        await reopened.SaveAsync(dir);
        using var manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "manifest.json")));
        Assert.False(manifest.RootElement.TryGetProperty("classes", out _));
        Assert.Empty(Directory.GetFiles(dir, "classes.*.json"));
        Assert.Equal("bird", (await reopened.FindClassAsync("bird")).Name);
    }

    [Fact]
    public async Task Open_WithAnotherModel_ThrowsAClearError()
    {
        using var tmp = new TempFolder();
        tmp.Write("p/x/a.jpg", "v:1,0,0,0");
        string dir = tmp.Path("index");
        using (var engine = ImageSearchEngine.Create(new FakeImageEmbedder(), "fake-4"))
        {
            await engine.SyncFolderAsync(tmp.Path("p"));
            await engine.SaveAsync(dir);
        }

        var e = await Assert.ThrowsAsync<IndexModelMismatchException>(() => ImageSearchEngine.OpenAsync(dir, new FakeImageEmbedder(), "other-model"));
        Assert.Contains("'fake-4'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'other-model'", e.Message, StringComparison.Ordinal);

        // Same id, other dimension.
        await Assert.ThrowsAsync<IndexModelMismatchException>(() => ImageSearchEngine.OpenAsync(dir, new FakeImageEmbedder(8), "fake-4"));

        // A built-in model is refused before it is loaded.
        var builtIn = await Assert.ThrowsAsync<IndexModelMismatchException>(() => ImageSearchEngine.OpenAsync(dir, ImageModelSpec.ResNet18));
        Assert.Equal("resnet18", builtIn.RequestedModel);
    }

    [Fact]
    public async Task Open_MissingFolder_OrCorruptPayloads_Throws()
    {
        using var tmp = new TempFolder();
        await Assert.ThrowsAsync<FileNotFoundException>(() => ImageSearchEngine.OpenAsync(tmp.Path("missing"), new FakeImageEmbedder(), "fake-4"));

        tmp.Write("p/x/a.jpg", "v:1,0,0,0");
        string dir = tmp.Path("index");
        using (var engine = ImageSearchEngine.Create(new FakeImageEmbedder(), "fake-4"))
        {
            await engine.SyncFolderAsync(tmp.Path("p"));
            await engine.SaveAsync(dir);
        }

        string catalog = Directory.GetFiles(dir, "photos.*.catalog").Single();
        byte[] bytes = File.ReadAllBytes(catalog);
        bytes[^3] ^= 0x20;
        File.WriteAllBytes(catalog, bytes);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => ImageSearchEngine.OpenAsync(dir, new FakeImageEmbedder(), "fake-4"));
        Assert.Contains("checksum", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Devise_TrainSearchTag_AndRoundTrip()
    {
        // Word space: four orthogonal words; photos: cats near e1, dogs near e2 in image space.
        var words = WordVectors.Create(["cat", "dog", "sofa", "car"], 4, [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
        var options = new ImageSearchEngineOptions { Words = words };
        using var tmp = new TempFolder();
        var rng = new Random(7);
        string F() => (rng.NextSingle() * 0.2f).ToString("F3", System.Globalization.CultureInfo.InvariantCulture);
        for (int i = 0; i < 12; i++)
        {
            tmp.Write($"p/cat/c{i}.jpg", $"v:1,{F()},{F()},0.5");
            tmp.Write($"p/dog/d{i}.jpg", $"v:{F()},1,{F()},0.5");
        }

        tmp.Write("p/zzqx/odd.jpg", "v:0.5,0.5,1,0.5"); // a label with no word vector: indexed, not trained on
        var fake = new FakeImageEmbedder();
        string dir = tmp.Path("index");
        using (var engine = ImageSearchEngine.Create(fake, "fake-4", options))
        {
            await engine.SyncFolderAsync(tmp.Path("p"));
            await Assert.ThrowsAsync<InvalidOperationException>(() => engine.SearchWordsAsync(["cat"]));

            var summary = await engine.TrainDeviseAsync(new DeviseTrainingOptions { Epochs = 60, HiddenSize = 16, BatchSize = 8, DropoutRate = 0f, Patience = 60, LearningRate = 0.05f });
            Assert.Equal(24, summary.TrainingPhotos);
            Assert.Equal(["zzqx"], summary.UnmappedLabels);
            Assert.True(engine.HasDevise);
            Assert.Equal(25, engine.DeviseIndex!.Count);

            var cats = await engine.SearchWordsAsync(["cat"], 5);
            Assert.All(cats, h => Assert.Equal("cat", h.Payload.Label));
            var tags = await engine.TagsAsync(ImageInput.FromFile(tmp.Path("p", "dog", "d3.jpg")), 2);
            Assert.Equal("dog", tags[0].Payload);
            await Assert.ThrowsAsync<UnknownWordException>(() => engine.SearchWordsAsync(["cat", "unicorn"]));

            // A photo added after training is searchable by words too.
            tmp.Write("p/cat/new.jpg", "v:1,0.05,0.05,0.5");
            await engine.SyncFolderAsync(tmp.Path("p"));
            Assert.Equal(26, engine.DeviseIndex!.Count);
            await engine.SaveAsync(dir);
        }

        using var reopened = await ImageSearchEngine.OpenAsync(dir, fake, "fake-4", options);
        Assert.True(reopened.HasDevise);
        var again = await reopened.SearchWordsAsync(["dog"], 5);
        Assert.All(again, h => Assert.Equal("dog", h.Payload.Label));
    }
}
