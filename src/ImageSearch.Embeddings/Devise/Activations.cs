using System.Numerics.Tensors;

namespace ImageSearch;

/// <summary>Rectified linear unit, forward and backward.</summary>
internal static class Relu
{
    /// <summary>y = max(x, 0); may run in place.</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Max(x, 0f, y);

    /// <summary>dx = dy where the forward output was positive, else 0; may run in place on dy.</summary>
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < y.Length; i++) dx[i] = y[i] > 0f ? dy[i] : 0f;
    }
}
