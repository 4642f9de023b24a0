using Xunit.Abstractions;

namespace ImageSearch.Embeddings.Tests.Images;

/// <summary>Image-to-image retrieval on the 1,000 Pascal photos: each photo queries the other 999.</summary>
[Collection(PascalCollection.Name)]
public sealed class RetrievalPrecisionTests(PascalEmbeddingsFixture fixture, ITestOutputHelper output)
{
    // Chance is 49/999 = 4.9%; these models are trained on ImageNet, not on Pascal, so this is a real transfer test.
    private const double MinimumPrecision = 0.4;

    [SharedDataFact]
    public void ResNet18Top10SameClassPrecisionIsFarAboveChance()
    {
        double p = PascalEmbeddingsFixture.TopKSameClassPrecision(fixture.ResNet18, 512, fixture.Data.Labels);
        output.WriteLine($"ResNet-18 top-10 same-class precision over {fixture.Data.Count} Pascal photos: {p:F4}");
        Assert.True(p > MinimumPrecision, $"precision {p:F4}");
    }

    [SharedDataFact]
    public void MobileNetV2Top10SameClassPrecisionIsFarAboveChance()
    {
        double p = PascalEmbeddingsFixture.TopKSameClassPrecision(fixture.MobileNetV2, 1280, fixture.Data.Labels);
        output.WriteLine($"MobileNetV2 (int8) top-10 same-class precision over {fixture.Data.Count} Pascal photos: {p:F4}");
        Assert.True(p > MinimumPrecision, $"precision {p:F4}");
    }

    [SharedDataFact]
    public void ShuffledLabelsGiveChancePrecision()
    {
        // Guards the metric itself: with labels permuted at random, precision must drop to about 5%.
        var labels = fixture.Data.Labels.ToArray();
        new Random(7).Shuffle(labels);
        double p = PascalEmbeddingsFixture.TopKSameClassPrecision(fixture.ResNet18, 512, labels);
        output.WriteLine($"ResNet-18 precision with shuffled labels: {p:F4}");
        Assert.InRange(p, 0.02, 0.09);
    }
}
