using System.Numerics.Tensors;

namespace ImageSearch;

/// <summary>
/// The cosines of a batch of predictions with a fixed list of unit word vectors, and the way back: from
/// <c>dL/dcos(p_r, v_w)</c> to <c>dL/dp_r</c>. Shared by the losses that score every listed word (products through
/// <see cref="Gemm"/>: deterministic).
/// </summary>
internal sealed class WordCosines
{
    private const float Tiny = 1e-12f;
    private readonly float[] _words;      // k x dim, unit rows
    private readonly float[] _wordsT;     // dim x k
    private readonly int _threads;

    public WordCosines(ReadOnlySpan<float> words, int dim, int threads)
    {
        Dimension = dim;
        Count = words.Length / dim;
        _threads = threads;
        _words = new float[Count * dim];
        for (int j = 0; j < Count; j++)
        {
            ReadOnlySpan<float> w = words.Slice(j * dim, dim);
            float n = TensorPrimitives.Norm(w);
            TensorPrimitives.Divide(w, n > Tiny ? n : 1f, _words.AsSpan(j * dim, dim));
        }

        _wordsT = new float[Count * dim];
        Gemm.Transpose(_words, _wordsT, Count, dim);
    }

    public int Count { get; }

    public int Dimension { get; }

    /// <summary>Unit predictions and their norms, and the cosines [batch x Count].</summary>
    public (float[] Unit, float[] Norms, float[] Cosines) Forward(ReadOnlySpan<float> pred, int batch)
    {
        int d = Dimension;
        var unit = new float[batch * d];
        var norms = new float[batch];
        for (int r = 0; r < batch; r++)
        {
            ReadOnlySpan<float> p = pred.Slice(r * d, d);
            norms[r] = TensorPrimitives.Norm(p);
            if (norms[r] > Tiny) TensorPrimitives.Divide(p, norms[r], unit.AsSpan(r * d, d));
        }

        var cos = new float[batch * Count];
        Gemm.MatMul(unit, _wordsT, cos, batch, d, Count, _threads);
        return (unit, norms, cos);
    }

    /// <summary>Per row, the word vectors weighted by <paramref name="coef"/> ([batch x Count]): <c>sum_w coef_rw v_w</c>.</summary>
    public float[] Mix(float[] coef, int batch)
    {
        var mixed = new float[batch * Dimension];
        Gemm.MatMul(coef, _words, mixed, batch, Count, Dimension, _threads);
        return mixed;
    }

    /// <summary>dL/dp from dL/dcos (<paramref name="coef"/>, [batch x Count]); each row divided by <paramref name="divisor"/>.</summary>
    public void Backward(float[] coef, float[] unit, float[] norms, int batch, float divisor, Span<float> grad)
    {
        int d = Dimension;
        float[] g = Mix(coef, batch);
        for (int r = 0; r < batch; r++)
        {
            Span<float> gr = grad.Slice(r * d, d);
            if (norms[r] <= Tiny)
            {
                gr.Clear();
                continue;
            }

            // d cos(p, v) / dp = (v - cos(p, v) p^) / |p| for unit v: project off p^.
            ReadOnlySpan<float> u = unit.AsSpan(r * d, d);
            g.AsSpan(r * d, d).CopyTo(gr);
            float along = TensorPrimitives.Dot(gr, u);
            TensorPrimitives.MultiplyAdd(u, -along, gr, gr);
            TensorPrimitives.Multiply(gr, 1f / (norms[r] * divisor), gr);
        }
    }
}
