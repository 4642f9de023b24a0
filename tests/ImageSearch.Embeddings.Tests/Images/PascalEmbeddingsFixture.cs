using System.Numerics.Tensors;
using ImageSearch.Embeddings.Images;

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

    public PascalDataset Data => field ??= PascalDataset.Load();

    /// <summary>[1000 x 512] ResNet-18 features, rows in <see cref="PascalDataset.Paths"/> order.</summary>
    public float[] ResNet18 => _resnet.Value;

    /// <summary>[1000 x 1280] MobileNetV2 pooled features.</summary>
    public float[] MobileNetV2 => _mobilenet.Value;

    private float[] EmbedAll(ImageModelDescriptor descriptor)
    {
        using var embedder = new OnnxImageEmbedder(descriptor);
        var results = embedder.EmbedBatchAsync(Data.Paths).GetAwaiter().GetResult();
        var all = new float[Data.Count * embedder.Dimension];
        for (int i = 0; i < results.Count; i++)
        {
            var v = results[i].Vector ?? throw new InvalidOperationException($"Photo {Data.Paths[i]} failed: {results[i].Error}");
            Assert.All(v, x => Assert.True(float.IsFinite(x)));
            v.CopyTo(all, i * embedder.Dimension);
        }

        return all;
    }

    /// <summary>Mean over all photos of the fraction of its 10 nearest others (cosine) that share its class.</summary>
    public static double TopKSameClassPrecision(float[] vectors, int dim, IReadOnlyList<int> labels, int k = 10)
    {
        int n = labels.Count;
        var unit = (float[])vectors.Clone();
        for (int i = 0; i < n; i++)
        {
            var row = unit.AsSpan(i * dim, dim);
            TensorPrimitives.Divide(row, TensorPrimitives.Norm(row), row);
        }

        double total = 0;
        var sims = new float[n];
        var order = new int[n];
        for (int i = 0; i < n; i++)
        {
            var q = unit.AsSpan(i * dim, dim);
            for (int j = 0; j < n; j++)
            {
                sims[j] = j == i ? float.NegativeInfinity : TensorPrimitives.Dot(q, unit.AsSpan(j * dim, dim));
                order[j] = j;
            }

            Array.Sort(order, (a, b) => sims[b].CompareTo(sims[a]) is var c && c != 0 ? c : a.CompareTo(b));
            int same = 0;
            for (int r = 0; r < k; r++)
            {
                if (labels[order[r]] == labels[i])
                {
                    same++;
                }
            }

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
