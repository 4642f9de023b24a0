using System.Numerics.Tensors;
using Xunit.Abstractions;
using ImageSearch.Embeddings.Tests.Images;

namespace ImageSearch.Embeddings.Tests.Classes;

public sealed class OnnxClassifierHeadTests(ITestOutputHelper output)
{
    [SharedDataFact]
    public void ReadsTheInt8MobileNetV2HeadWithImageNetNames()
    {
        var head = OnnxClassifierHead.MobileNetV2(SharedData.MobileNetV2Path, SharedData.LabelsPath);
        Assert.Equal(1000, head.ClassCount);
        Assert.Equal(1280, head.Dimension);
        Assert.Equal(1000, head.Bias.Length);
        Assert.Equal(284, head.FindClass("Siamese cat"));
        Assert.Equal(head.GetWeights(284).ToArray(), head.GetWeights("siamese cat").ToArray());
        Assert.Contains(head.GetWeights(0).ToArray(), v => v != 0);
    }

    [SharedDataFact]
    public async Task DequantisedHeadReproducesTheModelsLogits()
    {
        // dot(feature, W[:, j]) + b_j must match the model's own output logit j, up to the model's int8 rounding:
        // the logits come out quantised with scale 0.16 (twice: after MatMul and after Add) and saturate below about -12.
        var head = OnnxClassifierHead.MobileNetV2(SharedData.MobileNetV2Path, SharedData.LabelsPath);
        var data = SharedData.Pascal;
        var paths = Enumerable.Range(0, 8).Select(i => ImageInput.FromFile(data.Paths[i * 125])).ToArray();
        using var features = new OnnxImageEmbedder(ImageModels.MobileNetV2(SharedData.MobileNetV2Path));
        using var logits = new OnnxImageEmbedder(ImageModels.MobileNetV2Logits(SharedData.MobileNetV2Path));
        var f = await features.EmbedBatchAsync(paths);
        var l = await logits.EmbedBatchAsync(paths);
        var scores = new float[1000];
        double worst = 0;
        for (int i = 0; i < paths.Length; i++)
        {
            head.Score(f[i].Vector!, scores);
            var model = l[i].Vector!;
            for (int j = 0; j < 1000; j++)
            {
                if (model[j] > -11)
                {
                    worst = Math.Max(worst, Math.Abs(scores[j] - model[j]));
                }
            }

            Assert.Equal(TensorPrimitives.IndexOfMax(model), TensorPrimitives.IndexOfMax(scores));
        }

        output.WriteLine($"largest |W f + b - logit| over {paths.Length} photos x 1000 classes: {worst:F3}");
        Assert.True(worst < 0.5, $"largest difference {worst}");
    }

    [SharedDataFact]
    public void MissingInitializersAndLabelMismatchesAreClearErrors()
    {
        var ex = Assert.Throws<ArgumentException>(() => OnnxClassifierHead.Read(SharedData.MobileNetV2Path, "no.such.weight", SharedData.LabelsPath));
        Assert.Contains("no.such.weight", ex.Message);

        ex = Assert.Throws<ArgumentException>(() => OnnxClassifierHead.Read(SharedData.MobileNetV2Path, "classifier.1.weight_quantized", SharedData.LabelsPath));
        Assert.Equal("scaleName", ex.ParamName); // int8 weights need their scale

        string labels = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(labels, ["a", "b", "c"]);
            ex = Assert.Throws<ArgumentException>(() => OnnxClassifierHead.Read(
                SharedData.MobileNetV2Path, "classifier.1.weight_quantized", labels, "classifier.1.weight_scale", layout: WeightLayout.DimensionByClasses));
            Assert.Contains("3 labels", ex.Message);
        }
        finally
        {
            File.Delete(labels);
        }
    }
}
