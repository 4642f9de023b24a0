
namespace ImageSearch.Embeddings.Tests.Images;

/// <summary>
/// Embeds the 1,000 Pascal photos once per test run with each model (lazily, on first use) and shares the vectors
/// with every test class in the <see cref="PascalCollection"/>.
/// </summary>
public sealed class PascalEmbeddingsFixture
{
    private readonly Lazy<float[]> _resnet;
    private readonly Lazy<float[]> _mobilenet;

    public PascalEmbeddingsFixture()
    {
        _resnet = new Lazy<float[]>(() => EmbedAll(ImageModels.ResNet18()), LazyThreadSafetyMode.ExecutionAndPublication);
        _mobilenet = new Lazy<float[]>(() => EmbedAll(ImageModels.MobileNetV2(SharedData.MobileNetV2Path)), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public PascalDataset Data => SharedData.Pascal;

    /// <summary>[1000 x 512] ResNet-18 features, rows in <see cref="PascalDataset.Paths"/> order.</summary>
    public float[] ResNet18 => _resnet.Value;

    /// <summary>[1000 x 1280] MobileNetV2 pooled features.</summary>
    public float[] MobileNetV2 => _mobilenet.Value;

    private float[] EmbedAll(ImageModelDescriptor descriptor)
    {
        using var embedder = new OnnxImageEmbedder(descriptor);
        var results = embedder.EmbedBatchAsync(Data.Paths.Select(ImageInput.FromFile).ToArray()).GetAwaiter().GetResult();
        var all = new float[Data.Count * embedder.Dimension];
        for (int i = 0; i < results.Count; i++)
        {
            var v = results[i].Vector ?? throw new InvalidOperationException($"Photo {Data.Paths[i]} failed: {results[i].Error}");
            Assert.All(v, x => Assert.True(float.IsFinite(x)));
            v.CopyTo(all, i * embedder.Dimension);
        }

        return all;
    }

    /// <summary>
    /// Mean over all photos of the fraction of its <paramref name="k"/> nearest other photos (cosine, through the core's
    /// <see cref="ExactIndex"/>) that share its class.
    /// </summary>
    public static double TopKSameClassPrecision(float[] vectors, int dim, IReadOnlyList<int> labels, int k = 10)
    {
        int n = labels.Count;
        var index = new ExactIndex(dim, DistanceMetric.Cosine);
        var keys = new long[n];
        for (int i = 0; i < n; i++)
        {
            keys[i] = i;
        }

        index.AddRange(keys, vectors);
        var neighbours = index.SearchBatch(vectors, k + 1);
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            int same = 0, taken = 0;
            foreach (var r in neighbours[i])
            {
                if (r.Key == i || taken == k)
                {
                    continue; // the query photo itself does not count
                }

                taken++;
                same += labels[(int)r.Key] == labels[i] ? 1 : 0;
            }

            Assert.Equal(k, taken);
            total += (double)same / k;
        }

        return total / n;
    }
}

[CollectionDefinition(Name)]
public sealed class PascalCollection : ICollectionFixture<PascalEmbeddingsFixture>
{
    public const string Name = "Pascal photos";
}
