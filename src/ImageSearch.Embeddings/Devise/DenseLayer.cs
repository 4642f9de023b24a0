using System.Numerics.Tensors;

namespace ImageSearch;

/// <summary>
/// Fully connected layer <c>y = x*W + b</c> on row-major batches. <c>W</c> is [in x out] row-major, so the
/// forward pass and both backward products map onto <see cref="Gemm"/> without transposing the activations.
/// Not thread-safe: a layer belongs to one training run.
/// </summary>
internal sealed class DenseLayer
{
    public DenseLayer(int inputs, int outputs)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputs);
        Inputs = inputs;
        Outputs = outputs;
        Weights = new float[inputs * outputs];
        Bias = new float[outputs];
        WeightGrad = new float[inputs * outputs];
        BiasGrad = new float[outputs];
    }

    public int Inputs { get; }
    public int Outputs { get; }
    public float[] Weights { get; }
    public float[] Bias { get; }
    public float[] WeightGrad { get; }
    public float[] BiasGrad { get; }

    /// <summary>He (Kaiming) normal initialisation, suited to a following ReLU; zero bias.</summary>
    public void InitHe(DeviseRandom rng)
    {
        float std = MathF.Sqrt(2f / Inputs);
        for (int i = 0; i < Weights.Length; i++) Weights[i] = rng.NextGaussian() * std;
        Array.Clear(Bias);
    }

    /// <summary>Glorot (Xavier) normal initialisation; zero bias.</summary>
    public void InitGlorot(DeviseRandom rng)
    {
        float std = MathF.Sqrt(2f / (Inputs + Outputs));
        for (int i = 0; i < Weights.Length; i++) Weights[i] = rng.NextGaussian() * std;
        Array.Clear(Bias);
    }

    /// <summary>y[batch x out] = x[batch x in] * W + b.</summary>
    public void Forward(ReadOnlySpan<float> x, int batch, Span<float> y, int maxThreads = -1)
    {
        Gemm.MatMul(x, Weights, y, batch, Inputs, Outputs, maxThreads);
        for (int r = 0; r < batch; r++)
        {
            Span<float> row = y.Slice(r * Outputs, Outputs);
            TensorPrimitives.Add(row, Bias, row);
        }
    }

    /// <summary>
    /// Writes dL/dW and dL/db (overwriting) from the layer input and dL/dy; writes dL/dx into
    /// <paramref name="dx"/> unless it is empty (the first layer has no use for it).
    /// </summary>
    public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int batch, Span<float> dx, Span<float> scratch, int maxThreads = -1)
    {
        Gemm.MatMulTransA(x, dy, WeightGrad, Inputs, batch, Outputs, maxThreads);
        Array.Clear(BiasGrad);
        for (int r = 0; r < batch; r++) TensorPrimitives.Add(BiasGrad, dy.Slice(r * Outputs, Outputs), BiasGrad);
        if (!dx.IsEmpty) Gemm.MatMulTransB(dy, Weights, dx, batch, Outputs, Inputs, scratch, maxThreads);
    }
}
