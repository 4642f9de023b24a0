using System.Text.Json;

namespace ImageSearch.Embeddings.Tests.Engine;

/// <summary>The word vectors an engine's DeViSE head was trained with: recorded, checked on open, and loaded again after a failure.</summary>
public sealed class EngineWordsTests
{
    private static WordVectors Words(float twist = 0f) =>
        WordVectors.Create(["cat", "dog", "sofa", "car"], 4, [1, twist, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);

    private static async Task<string> TrainedFolderAsync(TempFolder tmp, WordVectors words)
    {
        for (int i = 0; i < 6; i++)
        {
            tmp.Write($"p/cat/c{i}.jpg", $"v:1,0.{i},0.1,0.5");
            tmp.Write($"p/dog/d{i}.jpg", $"v:0.{i},1,0.1,0.5");
        }

        string dir = tmp.Path("index");
        using var engine = ImageSearchEngine.Create(new FakeImageEmbedder(), "fake-4", new ImageSearchEngineOptions { Words = words });
        await engine.SyncFolderAsync(tmp.Path("p"));
        await engine.TrainDeviseAsync(new DeviseTrainingOptions { Epochs = 3, HiddenSize = 8, BatchSize = 4 });
        await engine.SaveAsync(dir);
        return dir;
    }

    [Fact]
    public async Task Manifest_records_the_word_vectors_by_count_dimension_and_hash()
    {
        using var tmp = new TempFolder();
        string dir = await TrainedFolderAsync(tmp, Words());
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "manifest.json")));
        JsonElement devise = doc.RootElement.GetProperty("devise");
        Assert.Equal("custom", devise.GetProperty("words").GetString()); // not "glove-6b-100d": these were given in the options
        Assert.Equal(4, devise.GetProperty("wordCount").GetInt32());
        Assert.Equal(4, devise.GetProperty("wordDimension").GetInt32());
        Assert.Equal(64, devise.GetProperty("wordsSha256").GetString()!.Length);
        Assert.Equal(EngineWords.Fingerprint(Words(), "custom").Sha256, devise.GetProperty("wordsSha256").GetString());
    }

    [Fact]
    public async Task Opening_with_other_word_vectors_of_the_same_shape_is_refused()
    {
        using var tmp = new TempFolder();
        string dir = await TrainedFolderAsync(tmp, Words());
        var e = await Assert.ThrowsAsync<ArgumentException>(() => ImageSearchEngine.OpenAsync(
            dir, new FakeImageEmbedder(), "fake-4", new ImageSearchEngineOptions { Words = Words(twist: 0.5f) }));
        Assert.Equal("options", e.ParamName);
        Assert.Contains("word vectors", e.Message, StringComparison.Ordinal);

        // The same words (another instance) open.
        using var same = await ImageSearchEngine.OpenAsync(dir, new FakeImageEmbedder(), "fake-4", new ImageSearchEngineOptions { Words = Words() });
        Assert.Equal("cat", (await same.SearchWordsAsync(["cat"], 1))[0].Payload.Label);
    }

    [Fact]
    public async Task A_failed_load_is_not_kept_the_next_call_loads_again()
    {
        int calls = 0;
        WordVectors loaded = Words();
        var words = new EngineWords(new ImageSearchEngineOptions(), () =>
            ++calls == 1 ? Task.FromException<WordVectors>(new FileNotFoundException("not fetched yet")) : Task.FromResult(loaded));
        await Assert.ThrowsAsync<FileNotFoundException>(() => words.GetAsync());
        Assert.Same(loaded, await words.GetAsync());
        Assert.Same(loaded, await words.GetAsync());
        Assert.Equal(2, calls);
    }
}
