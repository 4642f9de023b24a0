namespace ImageSearch.Embeddings.Tests.Images;

/// <summary>The MobileNetV2 built into the package (an embedded resource) against the shared file it was copied from.</summary>
public sealed class BuiltInMobileNetV2Tests
{
    [SharedDataFact]
    public async Task The_built_in_model_gives_the_same_vectors_as_the_shared_file()
    {
        var builtIn = ImageModels.MobileNetV2();
        Assert.Null(builtIn.ModelPath);
        Assert.Equal(File.ReadAllBytes(SharedData.MobileNetV2Path), builtIn.ModelBytes!.Value.ToArray());

        ImageInput[] photos = Enumerable.Range(0, 6).Select(i => ImageInput.FromFile(SharedData.Pascal.Paths[i * 150])).ToArray();
        using var fromMemory = new OnnxImageEmbedder(builtIn, new OnnxImageEmbedderOptions { BatchSize = 3 });
        using var fromFile = new OnnxImageEmbedder(ImageModels.MobileNetV2(SharedData.MobileNetV2Path), new OnnxImageEmbedderOptions { BatchSize = 3 });
        var a = await fromMemory.EmbedBatchAsync(photos);
        var b = await fromFile.EmbedBatchAsync(photos);
        for (int i = 0; i < photos.Length; i++)
        {
            Assert.Equal(1280, a[i].Vector!.Length);
            Assert.Equal(b[i].Vector!, a[i].Vector!);
        }

        // The ImageSearchEngine spec uses the same built-in copy.
        using var viaSpec = ImageModelSpec.MobileNetV2.CreateEmbedder();
        Assert.Equal(b[0].Vector!, await viaSpec.EmbedAsync(photos[0]));
    }

    [SharedDataFact]
    public void The_built_in_head_and_labels_equal_the_shared_files()
    {
        var builtIn = OnnxClassifierHead.MobileNetV2();
        var shared = OnnxClassifierHead.MobileNetV2(SharedData.MobileNetV2Path, SharedData.LabelsPath);
        Assert.Equal(shared.ClassNames, builtIn.ClassNames);
        Assert.Equal(shared.Matrix.ToArray(), builtIn.Matrix.ToArray());
        Assert.Equal(shared.Bias.ToArray(), builtIn.Bias.ToArray());
        Assert.Equal("Siamese cat, Siamese", builtIn.ClassNames[284]);
    }

    [Fact]
    public void The_built_in_model_needs_no_files()
    {
        // Runs even without ../shared: the model and its head come from the assembly.
        using var embedder = new OnnxImageEmbedder(ImageModels.MobileNetV2());
        Assert.Equal(1280, embedder.Dimension);
        Assert.Equal(1000, OnnxClassifierHead.MobileNetV2().ClassCount);
        Assert.Equal(1000, ImageModels.MobileNetV2Logits().OutputDimension);
    }

    [Fact]
    public void A_descriptor_needs_exactly_one_model_source()
    {
        var d = ImageModels.MobileNetV2();
        Assert.Throws<ArgumentException>(() => (d with { ModelPath = "/x.onnx" }).Validate());
        Assert.Throws<ArgumentException>(() => (d with { ModelBytes = null }).Validate());
        Assert.Throws<ArgumentException>(() => (d with { ModelBytes = ReadOnlyMemory<byte>.Empty }).Validate());
        d.Validate();
    }
}
