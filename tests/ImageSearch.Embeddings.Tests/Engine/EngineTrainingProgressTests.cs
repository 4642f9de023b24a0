namespace ImageSearch.Embeddings.Tests.Engine;

/// <summary>Training reports progress through <see cref="IProgress{T}"/>, like every other long operation.</summary>
public sealed class EngineTrainingProgressTests
{
    [Fact]
    public async Task Every_epoch_is_reported_in_order_with_its_losses()
    {
        using var tmp = new TempFolder();
        for (int i = 0; i < 6; i++)
        {
            tmp.Write($"p/cat/c{i}.jpg", $"v:1,0.{i},0.1,0.5");
            tmp.Write($"p/dog/d{i}.jpg", $"v:0.{i},1,0.1,0.5");
        }

        var words = WordVectors.Create(["cat", "dog"], 4, [1, 0, 0, 0, 0, 1, 0, 0]);
        using var engine = ImageSearchEngine.Create(new FakeImageEmbedder(), "fake-4", new ImageSearchEngineOptions { Words = words });
        await engine.SyncFolderAsync(tmp.Path("p"));
        var reports = new List<DeviseTrainingProgress>();
        var summary = await engine.TrainDeviseAsync(
            new DeviseTrainingOptions { Epochs = 5, HiddenSize = 8, BatchSize = 4 }, progress: new Collect<DeviseTrainingProgress>(reports));

        Assert.Equal(summary.History.Epochs.Count, reports.Count);
        for (int i = 0; i < reports.Count; i++)
        {
            Assert.Equal(DeviseTrainingStage.Training, reports[i].Stage);
            Assert.Equal(i + 1, reports[i].Completed);
            Assert.Equal(5, reports[i].Total);
            Assert.Equal(summary.History.Epochs[i], reports[i].Epoch);
        }
    }

    [Fact]
    public void The_trainer_reports_each_epoch()
    {
        var rng = new Random(3);
        float[] x = Enumerable.Range(0, 40 * 6).Select(_ => (float)rng.NextDouble()).ToArray();
        float[] t = Enumerable.Range(0, 40 * 3).Select(i => i % 3 == (i / 3) % 3 ? 1f : 0.1f).ToArray();
        var reports = new List<DeviseEpoch>();
        var result = new DeviseTrainer(new DeviseTrainingOptions { Epochs = 4, HiddenSize = 8, BatchSize = 8 })
            .Train(x, t, 6, 3, new Collect<DeviseEpoch>(reports));
        Assert.Equal(result.History.Epochs, reports);
    }

    // Reports on the reporting thread (Progress<T> would post to the thread pool, out of order).
    private sealed class Collect<T>(List<T> list) : IProgress<T>
    {
        public void Report(T value) => list.Add(value);
    }
}
