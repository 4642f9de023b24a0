using SkiaSharp;

namespace ImageSearch.Embeddings.Tests.Images;

/// <summary>The embedder with the real models: failures per item, wrong shapes, overloads, progress, cancellation.</summary>
public sealed class OnnxImageEmbedderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("imagesearch-embedder-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Photo(string cls, string id) => Path.Combine(SharedData.Folder!, "datasets", "pascal-sentences", "dataset", cls, id + ".jpg");

    [SharedDataFact]
    public async Task CorruptImagesFailAloneAndTheRestOfTheBatchSucceeds()
    {
        string random = Path.Combine(_dir, "random.jpg");
        var bytes = new byte[4096];
        new Random(3).NextBytes(bytes);
        File.WriteAllBytes(random, bytes);
        string truncated = Path.Combine(_dir, "truncated.jpg");
        byte[] real = File.ReadAllBytes(Photo("cat", "2008_001335"));
        File.WriteAllBytes(truncated, real.AsSpan(0, real.Length / 3).ToArray());
        string missing = Path.Combine(_dir, "missing.jpg");
        string[] inputs = [Photo("cat", "2008_001335"), random, Photo("train", "2008_000916"), truncated, missing, Photo("aeroplane", "2008_001971")];

        using var embedder = new OnnxImageEmbedder(ImageModels.MobileNetV2(SharedData.MobileNetV2Path), new OnnxImageEmbedderOptions { BatchSize = 4 });
        var reports = new List<EmbeddingProgress>();
        var results = await embedder.EmbedBatchAsync(inputs.Select(ImageInput.FromFile).ToArray(), new SyncProgress<EmbeddingProgress>(reports.Add));

        Assert.Equal(inputs.Length, results.Count);
        for (int i = 0; i < inputs.Length; i++)
        {
            Assert.Equal(i, results[i].Index);
        }

        foreach (int ok in new[] { 0, 2, 5 })
        {
            Assert.True(results[ok].Succeeded, results[ok].Error?.ToString());
            Assert.Equal(1280, results[ok].Vector!.Length);
            Assert.Contains(results[ok].Vector!, v => v != 0);
        }

        foreach (int bad in new[] { 1, 3, 4 })
        {
            Assert.False(results[bad].Succeeded);
            var error = Assert.IsType<EmbeddingException>(results[bad].Error);
            Assert.Contains(inputs[bad], error.Message);
        }

        Assert.Equal(new EmbeddingProgress(6, 3, 6), reports[^1]);
        Assert.Equal(6, reports.Count);

        // A batch of one and EmbedAsync agree, and EmbedAsync throws for the corrupt file.
        var single = await embedder.EmbedAsync(ImageInput.FromFile(inputs[2]));
        Assert.Equal(results[2].Vector!, single, new ToleranceComparer(1e-4f));
        var ex = await Assert.ThrowsAsync<EmbeddingException>(() => embedder.EmbedAsync(ImageInput.FromFile(truncated)));
        Assert.Contains(truncated, ex.Message);
    }

    [SharedDataFact]
    public async Task StreamsBytesAndFilesGiveTheSameVector()
    {
        using var embedder = new OnnxImageEmbedder(ImageModels.MobileNetV2(SharedData.MobileNetV2Path));
        string path = Photo("dog", "2008_000053");
        var fromFile = await embedder.EmbedAsync(ImageInput.FromFile(path));
        var fromBytes = await embedder.EmbedAsync(ImageInput.FromBytes(File.ReadAllBytes(path), "dog"));
        ImageInput streamed;
        await using (var stream = File.OpenRead(path))
        {
            streamed = ImageInput.FromStream(stream);
            Assert.Equal(path, streamed.Name); // a FileStream's file name
        }

        var fromStream = await embedder.EmbedAsync(streamed); // read at creation: the stream is closed by now
        await using var asyncStream = File.OpenRead(path);
        var fromAsyncStream = await embedder.EmbedAsync(await ImageInput.FromStreamAsync(asyncStream, "dog"));
        Assert.Equal(fromFile, fromBytes);
        Assert.Equal(fromFile, fromStream);
        Assert.Equal(fromFile, fromAsyncStream);

        // A corrupt in-memory image fails naming the name it was given.
        var ex = await Assert.ThrowsAsync<EmbeddingException>(() => embedder.EmbedAsync(ImageInput.FromBytes(new byte[] { 1, 2, 3 }, "three bytes")));
        Assert.Contains("three bytes", ex.Message);
    }

    [SharedDataFact]
    public async Task CancellationStopsTheBatch()
    {
        using var embedder = new OnnxImageEmbedder(ImageModels.MobileNetV2(SharedData.MobileNetV2Path), new OnnxImageEmbedderOptions { BatchSize = 2 });
        var paths = SharedData.Pascal.Paths.Take(40).Select(ImageInput.FromFile).ToArray();
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress<EmbeddingProgress>(p =>
        {
            if (p.Completed >= 2)
            {
                cts.Cancel();
            }
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => embedder.EmbedBatchAsync(paths, progress, cts.Token));
    }

    [SharedDataFact]
    public void WrongOutputDimensionIsReportedAtConstruction()
    {
        var d = ImageModels.MobileNetV2(SharedData.MobileNetV2Path) with { OutputDimension = 1000 };
        var ex = Assert.Throws<ArgumentException>(() => new OnnxImageEmbedder(d));
        Assert.Contains("'627'", ex.Message);
        Assert.Contains("1280", ex.Message);
        Assert.Contains("1000", ex.Message);
    }

    [SharedDataFact]
    public void WrongInputSizeIsReportedAtConstruction()
    {
        var d = ImageModels.ResNet18() with { InputWidth = 299, InputHeight = 299, ResizeShortSide = 299, MeanImage = null };
        var ex = Assert.Throws<ArgumentException>(() => new OnnxImageEmbedder(d));
        Assert.Contains("Input247", ex.Message);
        Assert.Contains("[1,3,224,224]", ex.Message);
        Assert.Contains("299", ex.Message);
    }

    [SharedDataFact]
    public void SpatialOutputWithoutPoolingAndUnknownTensorsAreRejected()
    {
        var d = ImageModels.MobileNetV2(SharedData.MobileNetV2Path) with { GlobalAveragePool = false };
        var ex = Assert.Throws<ArgumentException>(() => new OnnxImageEmbedder(d));
        Assert.Contains("GlobalAveragePool", ex.Message);

        ex = Assert.Throws<ArgumentException>(() => new OnnxImageEmbedder(d with { OutputName = "no-such-tensor" }));
        Assert.Contains("no-such-tensor", ex.Message);
        Assert.Contains("output", ex.Message);

        ex = Assert.Throws<ArgumentException>(() => new OnnxImageEmbedder(d with { InputName = "pixels" }));
        Assert.Contains("pixels", ex.Message);
    }

    [SharedDataFact]
    public void UseCudaWithoutTheGpuPackageSaysWhatIsMissing()
    {
        // This project references the CPU-only Microsoft.ML.OnnxRuntime, so the CUDA provider can never load here.
        var ex = Assert.Throws<NotSupportedException>(() => new OnnxImageEmbedder(
            ImageModels.MobileNetV2(SharedData.MobileNetV2Path), new OnnxImageEmbedderOptions { UseCuda = true }));
        Assert.Contains("Microsoft.ML.OnnxRuntime.Gpu", ex.Message);
    }

    [Fact]
    public void NonOnnxFileIsRejectedNamingIt()
    {
        string path = Path.Combine(_dir, "garbage.onnx");
        var bytes = new byte[1000];
        new Random(5).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        var d = new ImageModelDescriptor { Name = "g", ModelPath = path, InputName = "x", OutputName = "y", OutputDimension = 4 };
        var ex = Assert.ThrowsAny<Exception>(() => new OnnxImageEmbedder(d));
        Assert.Contains(path, ex.Message);
        Assert.Throws<FileNotFoundException>(() => new OnnxImageEmbedder(d with { ModelPath = Path.Combine(_dir, "none.onnx") }));
    }

    [SharedDataFact]
    public async Task ResNet18RunsBatchedAfterTheBatchDimensionIsMadeSymbolic()
    {
        // The packaged ResNet-18 fixes N = 1; a batch of 3 must give the same vectors as three runs of one.
        var paths = new[] { Photo("cat", "2008_001335"), Photo("train", "2008_000916"), Photo("dog", "2008_000053") };
        using var batched = new OnnxImageEmbedder(ImageModels.ResNet18(), new OnnxImageEmbedderOptions { BatchSize = 3 });
        using var single = new OnnxImageEmbedder(ImageModels.ResNet18(), new OnnxImageEmbedderOptions { BatchSize = 1 });
        Assert.Equal(3, batched.BatchSize);
        var a = await batched.EmbedBatchAsync(paths.Select(ImageInput.FromFile).ToArray());
        var b = await single.EmbedBatchAsync(paths.Select(ImageInput.FromFile).ToArray());
        for (int i = 0; i < paths.Length; i++)
        {
            Assert.Equal(b[i].Vector!, a[i].Vector!, new ToleranceComparer(1e-3f));
        }
    }

    [SharedDataFact]
    public void ResNet18IsFoundAfterRestoreAndCopiedBesideTheTests()
    {
        // The csproj copies the package's .onnx files to the output folder; the descriptor prefers those.
        var d = ImageModels.ResNet18();
        Assert.True(File.Exists(d.ModelPath));
        Assert.Equal(3 * 224 * 224, d.MeanImage!.Count);
        Assert.StartsWith(Path.Combine(AppContext.BaseDirectory, "DnnImageModels"), d.ModelPath);
        var ex = Assert.Throws<FileNotFoundException>(() => ImageModels.ResNet18(Path.Combine(Path.GetTempPath(), "no-models-here")));
        Assert.Contains("no-models-here", ex.Message);
    }

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}

internal sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
{
    public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance * Math.Max(1, Math.Abs(x));

    public int GetHashCode(float obj) => 0;
}
