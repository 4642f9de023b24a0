using System.Numerics.Tensors;

namespace ImageSearch.Embeddings.Tests.Images;

/// <summary><see cref="ImageModels.ResNet18(string?, int)"/> at other input sizes (the graph's input is rewritten).</summary>
public sealed class ResNet18InputSizeTests
{
    private static string[] Photos(int count)
    {
        var data = SharedData.Pascal;
        var picked = new string[count];
        for (int i = 0; i < count; i++)
        {
            picked[i] = data.Paths[i * (data.Count / count)];
        }

        return picked;
    }

    [SharedDataFact]
    public async Task The_resized_path_at_224_reproduces_the_native_pooled_output()
    {
        // Same graph, same input; only the pooling moves from the graph's 7x7 AveragePool to our global average.
        var native = ImageModels.ResNet18();
        var resized = native with { Name = "resnet18-map", OutputName = "ReLU393_Output_0", GlobalAveragePool = true, ResizeModelInput = true };
        using var a = new OnnxImageEmbedder(native);
        using var b = new OnnxImageEmbedder(resized);
        foreach (string photo in Photos(3))
        {
            float[] x = await a.EmbedAsync(ImageInput.FromFile(photo));
            float[] y = await b.EmbedAsync(ImageInput.FromFile(photo));
            Assert.Equal(512, y.Length);
            for (int i = 0; i < x.Length; i++)
            {
                Assert.True(MathF.Abs(x[i] - y[i]) <= 1e-4f * (1 + MathF.Abs(x[i])), $"{photo} [{i}]: {x[i]} vs {y[i]}");
            }
        }
    }

    [SharedDataFact]
    public async Task A_320_input_gives_finite_features_close_to_but_not_equal_to_224()
    {
        var d = ImageModels.ResNet18(inputSize: 320);
        Assert.Equal("resnet18-320", d.Name);
        Assert.Equal(3 * 320 * 320, d.MeanImage!.Count);
        using var small = new OnnxImageEmbedder(ImageModels.ResNet18(), new OnnxImageEmbedderOptions { BatchSize = 2 });
        using var large = new OnnxImageEmbedder(d, new OnnxImageEmbedderOptions { BatchSize = 2 });
        string[] photos = Photos(4);
        var x = await small.EmbedBatchAsync(photos.Select(ImageInput.FromFile).ToArray());
        var y = await large.EmbedBatchAsync(photos.Select(ImageInput.FromFile).ToArray());
        for (int i = 0; i < photos.Length; i++)
        {
            float[] u = x[i].Vector!, v = y[i].Vector!;
            Assert.Equal(512, v.Length);
            Assert.All(v, f => Assert.True(float.IsFinite(f) && f >= 0, "pooled ReLU outputs are finite and non-negative"));
            float cos = TensorPrimitives.CosineSimilarity(u, v);
            Assert.InRange(cos, 0.6f, 0.9999f); // the same photo seen at another scale: similar, not identical
        }
    }

    [Fact]
    public void Sizes_outside_32_to_1024_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageModels.ResNet18("/nonexistent", 31));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageModels.ResNet18("/nonexistent", 1025));
    }

    [Fact]
    public void ResizeModelInput_without_global_pooling_is_refused()
    {
        var d = new ImageModelDescriptor { Name = "x", ModelPath = "x.onnx", InputName = "i", OutputName = "o", OutputDimension = 4, ResizeModelInput = true };
        var e = Assert.Throws<ArgumentException>(d.Validate);
        Assert.Contains("GlobalAveragePool", e.Message);
    }

    [SharedDataFact]
    public void A_fixed_size_model_is_still_refused_at_another_size_without_ResizeModelInput()
    {
        var d = ImageModels.ResNet18() with { InputWidth = 320, InputHeight = 320, ResizeShortSide = 320, MeanImage = null };
        var e = Assert.Throws<ArgumentException>(() => new OnnxImageEmbedder(d));
        Assert.Contains("[N,3,320,320]", e.Message);
    }
}
