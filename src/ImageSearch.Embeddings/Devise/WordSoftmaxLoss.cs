using System.Numerics.Tensors;

namespace ImageSearch;

/// <summary>
/// Softmax over a word list on scaled cosines, with a soft target: for a row whose target is the weighted mean
/// <c>t = sum_w q_w v_w</c> of unit word vectors (weights summing to 1, see <see cref="DescriptionTargets"/>),
/// <c>L = -sum_w q_w log softmax_w(s cos(p, v_w)) = -s p^.t + log sum_j exp(s p^.v_j)</c>, so only <c>t</c> is needed.
/// Every positive word is pulled toward the photo and every other listed word pushed away (a contrastive loss with
/// several positives). Gradient: <c>dL/dp^ = s (E_softmax[v] - t)</c>, projected off <c>p^</c> and divided by <c>|p|</c>.
/// The products run through <see cref="Gemm"/> (fixed order: deterministic).
/// </summary>
internal sealed class WordSoftmaxLoss
{
    private const float Tiny = 1e-12f;
    private readonly WordCosines _cosines;
    private readonly float _scale;

    public WordSoftmaxLoss(ReadOnlySpan<float> words, int dim, float scale, int threads)
        : this(new WordCosines(words, dim, threads), scale)
    {
    }

    /// <summary>Over the word list of <paramref name="cosines"/> (shared with the word losses it is added to).</summary>
    public WordSoftmaxLoss(WordCosines cosines, float scale)
    {
        _cosines = cosines;
        _scale = scale;
    }

    public int WordCount => _cosines.Count;

    /// <summary>Returns the mean loss; writes dL/dp into <paramref name="grad"/> unless it is empty.</summary>
    public float Compute(ReadOnlySpan<float> pred, ReadOnlySpan<float> target, int batch, Span<float> grad)
    {
        int d = _cosines.Dimension, k = _cosines.Count;
        (float[] unit, float[] norms, float[] logits) = _cosines.Forward(pred, batch);
        double total = 0;
        for (int r = 0; r < batch; r++)
        {
            Span<float> s = logits.AsSpan(r * k, k);
            TensorPrimitives.Multiply(s, _scale, s);
            float max = TensorPrimitives.Max(s);
            double sum = 0;
            for (int j = 0; j < k; j++)
            {
                sum += Math.Exp(s[j] - max);
            }

            double lse = max + Math.Log(sum);
            total += lse - _scale * TensorPrimitives.Dot(unit.AsSpan(r * d, d), target.Slice(r * d, d));
            for (int j = 0; j < k; j++)
            {
                s[j] = (float)(Math.Exp(s[j] - max) / sum);
            }
        }

        if (!grad.IsEmpty)
        {
            // expected[r] = sum_j softmax_rj v_j
            float[] expected = _cosines.Mix(logits, batch);
            for (int r = 0; r < batch; r++)
            {
                Span<float> g = grad.Slice(r * d, d);
                if (norms[r] <= Tiny)
                {
                    g.Clear();
                    continue;
                }

                ReadOnlySpan<float> u = unit.AsSpan(r * d, d);
                TensorPrimitives.Subtract(expected.AsSpan(r * d, d), target.Slice(r * d, d), g);
                float along = TensorPrimitives.Dot(g, u);
                TensorPrimitives.MultiplyAdd(u, -along, g, g);
                TensorPrimitives.Multiply(g, _scale / (norms[r] * batch), g);
            }
        }

        return (float)(total / batch);
    }
}
