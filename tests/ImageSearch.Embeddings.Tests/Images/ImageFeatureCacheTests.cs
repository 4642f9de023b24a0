
namespace ImageSearch.Embeddings.Tests.Images;

public sealed class ImageFeatureCacheTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("imagesearch-cache-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [SharedDataFact]
    public async Task EmbedsOnceReusesThenDetectsCorruption()
    {
        var data = SharedData.Pascal;
        string bad = Path.Combine(_dir, "bad.jpg");
        File.WriteAllBytes(bad, [1, 2, 3, 4]);
        string[] paths = [data.Paths[0], data.Paths[500], bad, data.Paths[999]];
        string file = Path.Combine(_dir, "sub", "mobilenetv2.bin");
        using var embedder = new OnnxImageEmbedder(ImageModels.MobileNetV2(SharedData.MobileNetV2Path));

        int reported = 0;
        var progress = new Progress(() => Interlocked.Increment(ref reported));
        var first = await ImageFeatureCache.GetOrCreateAsync(embedder, paths, file, progress);
        Assert.Equal(4, reported);
        Assert.Equal(3, first.Count);
        Assert.Equal([data.Paths[0], data.Paths[500], data.Paths[999]], first.Paths);
        var failure = Assert.Single(first.Failures);
        Assert.Contains(bad, failure.Error!.Message);
        Assert.Equal(await embedder.EmbedAsync(ImageInput.FromFile(data.Paths[500])), first.GetVector(1).ToArray());
        Assert.True(File.Exists(file));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(file)!, "*.tmp"));

        // Second time: nothing to embed except the still-bad file; vectors identical.
        reported = 0;
        var second = await ImageFeatureCache.GetOrCreateAsync(embedder, [data.Paths[0], data.Paths[500], data.Paths[999]], file, progress);
        Assert.Equal(0, reported);
        Assert.Equal(first.Vectors.ToArray(), second.Vectors.ToArray());
        Assert.True(second.TryGetVector(data.Paths[999], out var v999));
        Assert.Equal(first.GetVector(2).ToArray(), v999.ToArray());

        // A flipped byte fails the checksum: Load throws, TryLoad gives null, GetOrCreate re-embeds.
        var bytes = File.ReadAllBytes(file);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(file, bytes);
        Assert.Throws<InvalidDataException>(() => ImageFeatureCache.Load(file));
        Assert.Null(ImageFeatureCache.TryLoad(file));
        reported = 0;
        var third = await ImageFeatureCache.GetOrCreateAsync(embedder, [data.Paths[0]], file, progress);
        Assert.Equal(1, reported);
        Assert.Equal(first.GetVector(0).ToArray(), third.GetVector(0).ToArray());
        Assert.Equal(1, ImageFeatureCache.Load(file).Count);
    }

    [Fact]
    public void FileNamesAreSafeForAnyModelName()
    {
        Assert.Equal("res_net_18.bin", ImageFeatureCache.FileName("res net/18"));
        Assert.Equal("resnet18-320-mirror.bin", ImageFeatureCache.FileName("resnet18-320-mirror"));
    }

    private sealed class Progress(Action onReport) : IProgress<EmbeddingProgress>
    {
        public void Report(EmbeddingProgress value) => onReport();
    }
}
