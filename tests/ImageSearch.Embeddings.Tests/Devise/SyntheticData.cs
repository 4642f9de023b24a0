
namespace ImageSearch.Embeddings.Tests.Devise;

/// <summary>A learnable toy problem: class prototypes in feature space plus noise, one random target vector per class.</summary>
internal sealed class SyntheticData
{
    public SyntheticData(int classes, int perClass, int featureDim, int targetDim, int seed, float noise = 0.6f)
    {
        var r = new DeviseRandom(seed);
        ClassVectors = new float[classes * targetDim];
        for (int i = 0; i < ClassVectors.Length; i++) ClassVectors[i] = r.NextGaussian();
        var protos = new float[classes * featureDim];
        for (int i = 0; i < protos.Length; i++) protos[i] = r.NextGaussian();
        int n = classes * perClass;
        Features = new float[n * featureDim];
        Targets = new float[n * targetDim];
        Labels = new int[n];
        for (int s = 0; s < n; s++)
        {
            int c = s % classes;
            Labels[s] = c;
            for (int j = 0; j < featureDim; j++)
                Features[s * featureDim + j] = MathF.Max(0f, protos[c * featureDim + j] + noise * r.NextGaussian()); // ReLU-like, as CNN features
            Array.Copy(ClassVectors, c * targetDim, Targets, s * targetDim, targetDim);
        }
        FeatureDim = featureDim;
        TargetDim = targetDim;
        Classes = classes;
    }

    public float[] Features { get; }
    public float[] Targets { get; }
    public int[] Labels { get; }
    public float[] ClassVectors { get; }
    public int FeatureDim { get; }
    public int TargetDim { get; }
    public int Classes { get; }
    public int Count => Labels.Length;

    /// <summary>Fraction of rows whose embedding is nearest (cosine) to its own class vector.</summary>
    public double NearestClassAccuracy(DeviseHead head)
    {
        var outp = new float[Count * TargetDim];
        head.EmbedBatch(Features, Count, outp);
        int ok = 0;
        for (int s = 0; s < Count; s++)
        {
            int best = -1; double bestCos = double.NegativeInfinity;
            for (int c = 0; c < Classes; c++)
            {
                double dot = 0, nn = 0;
                for (int j = 0; j < TargetDim; j++)
                {
                    dot += outp[s * TargetDim + j] * ClassVectors[c * TargetDim + j];
                    nn += ClassVectors[c * TargetDim + j] * ClassVectors[c * TargetDim + j];
                }
                double cos = dot / Math.Sqrt(nn);
                if (cos > bestCos) { bestCos = cos; best = c; }
            }
            if (best == Labels[s]) ok++;
        }
        return ok / (double)Count;
    }
}
