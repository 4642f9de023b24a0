
namespace ImageSearch.Embeddings.Tests.Images;

/// <summary>MobileNetV2's own ImageNet head on clear photos (chosen by looking at them).</summary>
public sealed class ClassificationTests
{
    public static TheoryData<string, string, string> ClearPhotos => new()
    {
        { "cat", "2008_001335", "cat" },                    // a grey tabby's face fills the frame
        { "train", "2008_000916", "steam locomotive" },     // small green steam engine on a platform
        { "aeroplane", "2008_001971", "airliner" },         // Swiss airliner on a runway
        { "dog", "2008_000053", "French bulldog" },         // black French bulldog close-up
    };

    [SharedDataTheory]
    [MemberData(nameof(ClearPhotos))]
    public async Task MobileNetV2PredictsTheRightImageNetClass(string cls, string id, string expected)
    {
        string path = Path.Combine(SharedData.Folder!, "datasets", "pascal-sentences", "dataset", cls, id + ".jpg");
        var labels = OnnxClassifierHead.ReadLabels(SharedData.LabelsPath);
        using var embedder = new OnnxImageEmbedder(ImageModels.MobileNetV2Logits(SharedData.MobileNetV2Path));
        var logits = await embedder.EmbedAsync(ImageInput.FromFile(path));
        string predicted = labels[System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits)];
        Assert.Contains(expected, predicted, StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>A theory skipped, with the reason shown, when the shared data is missing.</summary>
public sealed class SharedDataTheoryAttribute : TheoryAttribute
{
    public SharedDataTheoryAttribute()
    {
        if (SharedData.MissingReason is { } reason)
        {
            Skip = "Needs the shared data: " + reason;
        }
    }
}
