using System.Text.Json;
using System.Text.Json.Nodes;

namespace ImageSearch.Embeddings.Tests.Engine;

/// <summary>Photo descriptions in the engine: read on sync, kept on save, refreshed when only the text changes, trained on.</summary>
public sealed class EngineDescriptionsTests
{
    private static readonly WordVectors Words = WordVectors.Create(
        ["cat", "dog", "snow", "street", "sofa", "car"], 6,
        [1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1]);

    private static void Photos(TempFolder tmp, bool describe)
    {
        for (int i = 0; i < 6; i++)
        {
            tmp.Write($"p/cat/c{i}.jpg", $"v:1,0.{i},0.1,0.5");
            tmp.Write($"p/dog/d{i}.jpg", $"v:0.{i},1,0.1,0.5");
            if (describe)
            {
                tmp.Write($"p/cat/c{i}.jpg.txt", i % 2 == 0 ? "A cat on the sofa." : "A cat in the street.");
            }
        }

        if (describe)
        {
            tmp.Write("p/dog/descriptions.tsv", string.Concat(Enumerable.Range(0, 6).Select(i => $"d{i}.jpg\ta dog in the snow\n")));
        }
    }

    [Fact]
    public async Task Sync_reads_descriptions_save_keeps_them_and_a_changed_sidecar_is_picked_up()
    {
        using var tmp = new TempFolder();
        Photos(tmp, describe: true);
        string dir = tmp.Path("index");
        var embedder = new FakeImageEmbedder();
        using (var engine = ImageSearchEngine.Create(embedder, "fake-4", new ImageSearchEngineOptions { Words = Words }))
        {
            var report = await engine.SyncFolderAsync(tmp.Path("p"));
            Assert.Empty(report.Failures);
            Assert.Equal(12, engine.Photos.Values.Count(p => p.Description is not null));
            Assert.Equal("a dog in the snow", engine.Photos.Values.First(p => p.Path.EndsWith("d3.jpg", StringComparison.Ordinal)).Description);
            await engine.SaveAsync(dir);
        }

        tmp.Write("p/cat/c0.jpg.txt", "A cat in the snow.");
        using var reopened = await ImageSearchEngine.OpenAsync(dir, embedder, "fake-4", new ImageSearchEngineOptions { Words = Words });
        PhotoInfo c0 = reopened.Photos.Values.Single(p => p.Path.EndsWith("c0.jpg", StringComparison.Ordinal));
        Assert.Equal("A cat on the sofa.", c0.Description);
        int embedded = embedder.Embedded.Count;
        await reopened.SyncFolderAsync(tmp.Path("p"));
        Assert.Equal(embedded, embedder.Embedded.Count); // only the text changed: nothing embedded again
        Assert.Equal("A cat in the snow.", reopened.Photos.Values.Single(p => p.Path.EndsWith("c0.jpg", StringComparison.Ordinal)).Description);

        // Off: nothing is read.
        using var off = ImageSearchEngine.Create(new FakeImageEmbedder(), "fake-4", new ImageSearchEngineOptions { Words = Words, ReadDescriptions = false });
        await off.SyncFolderAsync(tmp.Path("p"));
        Assert.All(off.Photos.Values, p => Assert.Null(p.Description));
    }

    [Fact]
    public async Task Training_uses_descriptions_when_present_and_labels_alone_otherwise()
    {
        var training = new DeviseTrainingOptions { Epochs = 3, HiddenSize = 8, BatchSize = 4, Loss = DeviseLoss.WordSoftmax };
        using var tmp = new TempFolder();
        Photos(tmp, describe: true);
        using var described = ImageSearchEngine.Create(new FakeImageEmbedder(), "fake-4", new ImageSearchEngineOptions { Words = Words });
        await described.SyncFolderAsync(tmp.Path("p"));
        Assert.Equal(DeviseLoss.WordSoftmax, described.DefaultDeviseTrainingOptions.Loss); // what the CLI passes
        DeviseTrainingSummary s = await described.TrainDeviseAsync(training);
        Assert.Equal(12, s.DescribedPhotos);
        Assert.Equal(5, s.DescriptionWords); // cat, dog, snow, sofa, street: each in at least two descriptions
        string dir = tmp.Path("index");
        await described.SaveAsync(dir);
        using (var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "manifest.json"))))
        {
            Assert.Equal(3, doc.RootElement.GetProperty("formatVersion").GetInt32());
            Assert.Equal(12, doc.RootElement.GetProperty("devise").GetProperty("descriptions").GetInt32());
        }

        using var tmp2 = new TempFolder();
        Photos(tmp2, describe: false);
        using var plain = ImageSearchEngine.Create(new FakeImageEmbedder(), "fake-4", new ImageSearchEngineOptions { Words = Words });
        await plain.SyncFolderAsync(tmp2.Path("p"));
        Assert.Equal(DeviseLoss.Cosine, plain.DefaultDeviseTrainingOptions.Loss);
        DeviseTrainingSummary p = await plain.TrainDeviseAsync(training);
        Assert.Equal(0, p.DescribedPhotos);
        Assert.Equal(12, p.TrainingPhotos);
    }

    [Fact]
    public async Task A_folder_saved_as_version_2_still_opens()
    {
        using var tmp = new TempFolder();
        Photos(tmp, describe: false);
        string dir = tmp.Path("index");
        using (var engine = ImageSearchEngine.Create(new FakeImageEmbedder(), "fake-4", new ImageSearchEngineOptions { Words = Words }))
        {
            await engine.SyncFolderAsync(tmp.Path("p"));
            await engine.TrainDeviseAsync(new DeviseTrainingOptions { Epochs = 2, HiddenSize = 8, BatchSize = 4 });
            await engine.SaveAsync(dir);
        }

        // What version 2 wrote: the same files, no description fields.
        string manifest = Path.Combine(dir, "manifest.json");
        var node = JsonNode.Parse(File.ReadAllText(manifest))!;
        node["formatVersion"] = 2;
        File.WriteAllText(manifest, node.ToJsonString());
        using var opened = await ImageSearchEngine.OpenAsync(dir, new FakeImageEmbedder(), "fake-4", new ImageSearchEngineOptions { Words = Words });
        Assert.Equal(12, opened.Count);
        Assert.All(opened.Photos.Values, p => Assert.Null(p.Description));
        Assert.Equal("cat", (await opened.SearchWordsAsync(["cat"], 1))[0].Payload.Label);
    }
}
