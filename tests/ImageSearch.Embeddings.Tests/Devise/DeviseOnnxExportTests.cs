using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;
using ImageSearch.Embeddings.Tests.Images;

namespace ImageSearch.Embeddings.Tests.Devise;

/// <summary>
/// The exported backbone + head model, run in ONNX Runtime, against the C# path (backbone through
/// <see cref="OnnxImageEmbedder"/>, head through <see cref="DeviseHead"/>). A tiny synthetic backbone runs everywhere;
/// ResNet-18 and MobileNetV2 run where the shared models are.
/// </summary>
public sealed class DeviseOnnxExportTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("imagesearch-onnxexport-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A head with random weights and non-trivial batch-norm statistics (so every folded term matters).</summary>
    internal static DeviseHead RandomHead(int inputs, int hidden, int outputs, int seed, float featureScale = 1f)
    {
        var r = new DeviseRandom(seed);
        float[] Gauss(int n, float std, float mean = 0f)
        {
            var a = new float[n];
            for (int i = 0; i < n; i++) a[i] = mean + std * r.NextGaussian();
            return a;
        }

        float[] Uniform(int n, float lo, float hi)
        {
            var a = new float[n];
            for (int i = 0; i < n; i++) a[i] = lo + (hi - lo) * r.NextFloat();
            return a;
        }

        float[][] state =
        [
            Gauss(inputs * hidden, 1f / MathF.Sqrt(inputs)), Gauss(hidden, 0.1f),
            Uniform(hidden, 0.5f, 1.5f), Gauss(hidden, 0.2f), Gauss(hidden, 0.3f * featureScale), Uniform(hidden, 0.2f * featureScale * featureScale, 2f * featureScale * featureScale),
            Gauss(hidden * outputs, 1f / MathF.Sqrt(hidden)), Gauss(outputs, 0.1f),
            Uniform(outputs, 0.5f, 1.5f), Gauss(outputs, 0.2f), Gauss(outputs, 0.3f), Uniform(outputs, 0.2f, 2f),
        ];
        return new DeviseHead(inputs, hidden, outputs, 1e-5f, state);
    }

    /// <summary>
    /// A backbone of two nodes: pixels [1,3,H,W] (batch fixed at 1, as in ML.NET's ResNet-18) times a per-channel
    /// constant gives the spatial map "feat" [N,3,H,W]; a classifier-like Sigmoid on it is the graph's only output.
    /// </summary>
    private string SyntheticBackbone(long opset = 13, string name = "synthetic.onnx")
    {
        var graph = new List<ProtoField>
        {
            Proto.String(2, "synthetic"),
            OnnxGraphBuilder.Node("Mul", "scale", ["pixels", "k"], ["feat"]),
            OnnxGraphBuilder.Node("Sigmoid", "classifier", ["feat"], ["probs"]),
            OnnxGraphBuilder.FloatInitializer("k", [3, 1, 1], [0.5f, -2f, 3f]),
            OnnxGraphBuilder.FloatValueInfo(OnnxGraphBuilder.GraphInput, "pixels", 1L, 3L, 4L, 5L),
            OnnxGraphBuilder.FloatValueInfo(OnnxGraphBuilder.GraphOutput, "probs", 1L, 3L, 4L, 5L),
            OnnxGraphBuilder.FloatValueInfo(13, "feat", 1L, 3L, 4L, 5L),
        };
        byte[] model = Proto.Write([Proto.Varint(1, 7), Proto.String(2, "test"), Proto.Bytes(7, Proto.Write(graph)), OnnxGraphBuilder.DefaultOpset(opset)]);
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, model);
        return path;
    }

    private static ImageModelDescriptor SyntheticDescriptor(string path) => new()
    {
        Name = "synthetic",
        ModelPath = path,
        InputName = "pixels",
        OutputName = "feat",
        OutputDimension = 3,
        InputWidth = 5,
        InputHeight = 4,
        ResizeShortSide = 5,
        GlobalAveragePool = true,
    };

    private static float[] Run(byte[] model, string inputName, float[] tensors, int count, int height, int width, string outputName = DeviseOnnxExportOptions.DefaultOutputName)
    {
        using var session = new InferenceSession(model);
        using var input = OrtValue.CreateTensorValueFromMemory(tensors, [count, 3, height, width]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [inputName], [input], [outputName]);
        Assert.Equal([count, outputs[0].GetTensorTypeAndShape().Shape[1]], outputs[0].GetTensorTypeAndShape().Shape);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float relative)
    {
        Assert.Equal(expected.Length, actual.Length);
        float scale = 0f;
        foreach (float v in expected) scale = MathF.Max(scale, MathF.Abs(v));
        Assert.True(scale > 0f, "the expected vectors are all zero, which would make the comparison meaningless");
        float worst = 0f;
        for (int i = 0; i < expected.Length; i++) worst = MathF.Max(worst, MathF.Abs(expected[i] - actual[i]));
        output.WriteLine($"max abs difference {worst:G3} (max |expected| {scale:G3})");
        Assert.True(worst <= relative * scale, $"max abs difference {worst:G4} exceeds {relative:G2} x max |expected| {scale:G4}");
    }

    private static byte[] ExportToBytes(ImageModelDescriptor d, DeviseHead head, DeviseOnnxExportOptions? options = null)
    {
        using var ms = new MemoryStream();
        DeviseOnnxExport.Export(d, head, ms, options);
        return ms.ToArray();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Synthetic_spatial_backbone_batch_of_three_matches_the_head(bool normalize)
    {
        string path = SyntheticBackbone();
        var d = SyntheticDescriptor(path);
        var head = RandomHead(3, 16, 6, seed: 5);
        byte[] model = ExportToBytes(d, head, new DeviseOnnxExportOptions { Normalize = normalize });

        const int N = 3, Hw = 20;
        var r = new Random(11);
        var x = new float[N * 3 * Hw];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(r.NextDouble() * 4 - 1);
        float[] actual = Run(model, "pixels", x, N, 4, 5);

        // The backbone by hand: channel c of "feat" is k[c] * pixels, averaged over the 4x5 positions.
        float[] k = [0.5f, -2f, 3f];
        var expected = new float[N * 6];
        for (int n = 0; n < N; n++)
        {
            var f = new float[3];
            for (int c = 0; c < 3; c++)
            {
                double s = 0;
                for (int p = 0; p < Hw; p++) s += x[(n * 3 + c) * Hw + p];
                f[c] = (float)(k[c] * s / Hw);
            }
            head.Embed(f, expected.AsSpan(n * 6, 6), normalize);
        }
        AssertClose(expected, actual, 1e-5f);
        for (int n = 0; n < N; n++)
        {
            float norm = MathF.Sqrt(actual.AsSpan(n * 6, 6).ToArray().Sum(v => v * v));
            if (normalize) Assert.Equal(1f, norm, 4);
            else Assert.True(MathF.Abs(norm - 1f) > 1e-3f, $"row {n} has unit length without normalisation ({norm})");
        }

        // The classifier branch is cut off, the only output is the embedding, and the metadata states the preprocessing.
        var proto = OnnxModelProto.FromBytes(model, "exported");
        Assert.DoesNotContain(proto.Nodes, node => node.OpType == "Sigmoid");
        Assert.Contains(proto.Nodes, node => node.OpType == "GlobalAveragePool");
        Assert.Equal(normalize, proto.Nodes.Any(node => node.OpType == "LpNormalization"));
        var graphOutput = Assert.Single(proto.Outputs);
        Assert.Equal(DeviseOnnxExportOptions.DefaultOutputName, graphOutput.Name);
        Assert.Equal([null, 6L], graphOutput.Dims);
        Assert.Equal([null, 3L, 4L, 5L], Assert.Single(proto.Inputs).Dims);
        using var session = new InferenceSession(model);
        Assert.Contains("(pixel0to255 * ", session.ModelMetadata.CustomMetadataMap["imagesearch.preprocessing"]);
        Assert.Equal("synthetic", session.ModelMetadata.CustomMetadataMap["imagesearch.backbone"]);

        // An invalid descriptor is reported against the backbone argument.
        var invalid = Assert.Throws<ArgumentException>(() => ExportToBytes(d with { Std = [1f, 0f, 1f] }, head));
        Assert.Equal("backbone", invalid.ParamName);
        Assert.Contains("Std", invalid.Message);
    }

    [Fact]
    public void Head_whose_input_is_not_the_backbone_dimension_is_rejected_and_leaves_the_old_file()
    {
        string target = Path.Combine(_dir, "out.onnx");
        File.WriteAllText(target, "old");
        var d = SyntheticDescriptor(Path.Combine(_dir, "never-read.onnx")) with { OutputDimension = 512 };
        var ex = Assert.Throws<ArgumentException>(() => DeviseOnnxExport.Export(d, RandomHead(100, 8, 4, seed: 1), target));
        Assert.Equal("head", ex.ParamName);
        Assert.Contains("100", ex.Message);
        Assert.Contains("512", ex.Message);
        Assert.Contains("backbone.OutputDimension", ex.Message);
        Assert.Equal("old", File.ReadAllText(target));
        Assert.Equal([target], Directory.GetFiles(_dir));
    }

    [Fact]
    public void Missing_model_file_unknown_tensors_and_old_opsets_fail_without_writing()
    {
        string target = Path.Combine(_dir, "out.onnx");
        var head = RandomHead(3, 8, 4, seed: 2);
        string missing = Path.Combine(_dir, "missing.onnx");
        var fnf = Assert.Throws<FileNotFoundException>(() => DeviseOnnxExport.Export(SyntheticDescriptor(missing), head, target));
        Assert.Contains(missing, fnf.Message);

        var d = SyntheticDescriptor(SyntheticBackbone());
        var ex = Assert.Throws<ArgumentException>(() => DeviseOnnxExport.Export(d with { OutputName = "no-such-tensor" }, head, target));
        Assert.Contains("'no-such-tensor'", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => DeviseOnnxExport.Export(d with { InputName = "image" }, head, target));
        Assert.Contains("'image'", ex.Message);
        Assert.Contains("pixels", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => DeviseOnnxExport.Export(d, head, target, new DeviseOnnxExportOptions { OutputName = "probs" }));
        Assert.Contains("already", ex.Message);

        var old = SyntheticDescriptor(SyntheticBackbone(opset: 6, name: "opset6.onnx"));
        var ns = Assert.Throws<NotSupportedException>(() => DeviseOnnxExport.Export(old, head, target));
        Assert.Contains("opset 6", ns.Message);

        Assert.False(File.Exists(target));
        Assert.DoesNotContain(Directory.GetFiles(_dir), f => f.EndsWith(".tmp", StringComparison.Ordinal));
    }

    [Fact]
    public void Spatial_map_without_pooling_fails_verification_with_a_hint()
    {
        string target = Path.Combine(_dir, "out.onnx");
        var d = SyntheticDescriptor(SyntheticBackbone()) with { GlobalAveragePool = false };
        var ex = Assert.Throws<ArgumentException>(() => DeviseOnnxExport.Export(d, RandomHead(3, 8, 4, seed: 3), target));
        Assert.Equal("backbone", ex.ParamName);
        Assert.Contains("GlobalAveragePool", ex.Message);
        Assert.False(File.Exists(target));
    }

    [Fact]
    public async Task ExportAsync_writes_the_same_model_and_honours_cancellation()
    {
        var d = SyntheticDescriptor(SyntheticBackbone());
        var head = RandomHead(3, 8, 4, seed: 4);
        string target = Path.Combine(_dir, "async.onnx");
        await DeviseOnnxExport.ExportAsync(d, head, target);
        Assert.Equal(ExportToBytes(d, head), File.ReadAllBytes(target));

        string cancelled = Path.Combine(_dir, "cancelled.onnx");
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => DeviseOnnxExport.ExportAsync(d, head, cancelled, cancellationToken: cts.Token));
        Assert.False(File.Exists(cancelled));
    }

    private static string Photo(string cls, string id) => Path.Combine(SharedData.Folder!, "datasets", "pascal-sentences", "dataset", cls, id + ".jpg");

    private static readonly string[] Photos = ["cat/2008_001335", "train/2008_000916", "dog/2008_000053"];

    /// <summary>Preprocessed tensors of the test photos, one after another.</summary>
    private static float[] Tensors(OnnxImageEmbedder backbone, string[] paths)
    {
        int len = backbone.InputTensorLength;
        var x = new float[paths.Length * len];
        for (int i = 0; i < paths.Length; i++) backbone.Preprocess(ImageInput.FromFile(paths[i]), x.AsSpan(i * len, len));
        return x;
    }

    private static string[] PhotoPaths(int count) => Photos.Take(count).Select(p => Photo(p.Split('/')[0], p.Split('/')[1])).ToArray();

    [SharedDataFact]
    public async Task ResNet18_export_matches_DeviseEmbedder_and_the_head_on_a_batch_of_photos()
    {
        using var backbone = new OnnxImageEmbedder(ImageModels.ResNet18(), new OnnxImageEmbedderOptions { BatchSize = 3 });
        var head = RandomHead(512, 256, 100, seed: 7, featureScale: 2f);
        var devise = new DeviseEmbedder(backbone, head);
        string target = Path.Combine(_dir, "resnet18-devise.onnx");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        devise.ExportOnnx(target);
        output.WriteLine($"ResNet-18 export with verification: {watch.ElapsedMilliseconds} ms, {new FileInfo(target).Length / 1e6:F1} MB");

        string[] paths = PhotoPaths(3);
        var results = await devise.EmbedBatchAsync(paths.Select(ImageInput.FromFile).ToArray());
        var expected = results.SelectMany(r => r.Vector ?? throw r.Error!).ToArray();
        var d = backbone.Descriptor;
        float[] x = Tensors(backbone, paths);
        float[] actual = Run(File.ReadAllBytes(target), d.InputName, x, paths.Length, d.InputHeight, d.InputWidth);
        AssertClose(expected, actual, 1e-4f);

        // Without normalisation, under another output name: the head's raw word-space vectors.
        byte[] raw = ExportToBytes(d, head, new DeviseOnnxExportOptions { Normalize = false, OutputName = "words" });
        var features = new float[3 * 512];
        backbone.EmbedTensors(x, 3, features);
        var expectedRaw = new float[3 * 100];
        head.EmbedBatch(features, 3, expectedRaw, normalize: false);
        AssertClose(expectedRaw, Run(raw, d.InputName, x, 3, d.InputHeight, d.InputWidth, "words"), 1e-4f);
        Assert.True(MathF.Abs(MathF.Sqrt(expectedRaw.AsSpan(0, 100).ToArray().Sum(v => v * v)) - 1f) > 1e-2f, "the unnormalised output happens to have unit length");
    }

    [SharedDataFact]
    public async Task ResNet18_at_another_input_size_matches_DeviseEmbedder()
    {
        // ImageModels.ResNet18(inputSize: 256): the graph's input is re-declared [N,3,256,256] and the last block's
        // 8x8 map (ReLU393_Output_0) averaged by a GlobalAveragePool node.
        var d = ImageModels.ResNet18(inputSize: 256);
        using var backbone = new OnnxImageEmbedder(d, new OnnxImageEmbedderOptions { BatchSize = 2 });
        var devise = new DeviseEmbedder(backbone, RandomHead(512, 64, 20, seed: 12, featureScale: 2f));
        byte[] model;
        using (var ms = new MemoryStream())
        {
            devise.ExportOnnx(ms);
            model = ms.ToArray();
        }

        var proto = OnnxModelProto.FromBytes(model, "exported");
        Assert.Equal([null, 3L, 256L, 256L], Assert.Single(proto.Inputs).Dims);
        Assert.DoesNotContain(proto.Nodes, n => n.OpType == "AveragePool"); // the packaged 7x7 pooling is cut off
        Assert.Contains(proto.Nodes, n => n.OpType == "GlobalAveragePool");
        string[] paths = PhotoPaths(2);
        var results = await devise.EmbedBatchAsync(paths.Select(ImageInput.FromFile).ToArray());
        var expected = results.SelectMany(r => r.Vector ?? throw r.Error!).ToArray();
        AssertClose(expected, Run(model, d.InputName, Tensors(backbone, paths), 2, 256, 256), 1e-4f);

        // Without ResizeModelInput the graph's fixed 224 input is not silently re-declared.
        var ex = Assert.Throws<ArgumentException>(() => ExportToBytes(d with { ResizeModelInput = false }, devise.Head));
        Assert.Contains("[1,3,224,224]", ex.Message);
        Assert.Contains("ResizeModelInput", ex.Message);
    }

    [SharedDataFact]
    public async Task MobileNetV2_spatial_map_is_pooled_in_the_export()
    {
        using var backbone = new OnnxImageEmbedder(ImageModels.MobileNetV2(), new OnnxImageEmbedderOptions { BatchSize = 2 });
        var devise = new DeviseEmbedder(backbone, RandomHead(1280, 128, 50, seed: 9));
        using var ms = new MemoryStream();
        devise.ExportOnnx(ms);

        string[] paths = PhotoPaths(2);
        var results = await devise.EmbedBatchAsync(paths.Select(ImageInput.FromFile).ToArray());
        var expected = results.SelectMany(r => r.Vector ?? throw r.Error!).ToArray();
        var d = backbone.Descriptor;
        float[] actual = Run(ms.ToArray(), d.InputName, Tensors(backbone, paths), paths.Length, d.InputHeight, d.InputWidth);
        AssertClose(expected, actual, 1e-4f);
        Assert.DoesNotContain(OnnxModelProto.FromBytes(ms.ToArray(), "exported").Nodes, n => n.OpType == "QLinearMatMul"); // the classifier is gone
    }

    [Fact]
    public void DeviseEmbedder_with_a_non_onnx_backbone_cannot_export()
    {
        var views = new ViewAveragingEmbedder([new Engine.FakeImageEmbedder(3)]);
        var devise = new DeviseEmbedder(views, RandomHead(3, 8, 4, seed: 6));
        var ex = Assert.Throws<NotSupportedException>(() => devise.ExportOnnx(Path.Combine(_dir, "x.onnx")));
        Assert.Contains("ViewAveragingEmbedder", ex.Message);
        Assert.Empty(Directory.GetFiles(_dir));
    }
}
