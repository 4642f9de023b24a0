namespace ImageSearch;

/// <summary>
/// One logistic loss per listed word (multi-label, as a word query ranks photos one word at a time): with
/// <c>z_w = scale cos(p, v_w) + b_w</c>, <c>L = sum_w softplus(z_w) - sum_w y_w z_w</c>, averaged over rows, where
/// <c>y_w</c> are the row's positive weights (<see cref="WordLabels"/>, in (0, 1]) and <c>b_w</c> a fixed per-word bias,
/// the log-odds of the word's share of training rows, so the cosine only has to carry what the prior does not.
/// </summary>
internal sealed class WordSigmoidLoss
{
    private readonly WordCosines _cosines;
    private readonly float _scale;
    private readonly float[] _bias;

    public WordSigmoidLoss(WordCosines cosines, float scale, WordLabels trainingLabels)
    {
        _cosines = cosines;
        _scale = scale;
        int k = cosines.Count;
        var mass = new double[k];
        for (int r = 0; r < trainingLabels.Count; r++)
        {
            ReadOnlySpan<int> w = trainingLabels.Words(r);
            ReadOnlySpan<float> q = trainingLabels.Weights(r);
            for (int a = 0; a < w.Length; a++) mass[w[a]] += Math.Min(q[a], 1f);
        }

        _bias = new float[k];
        for (int j = 0; j < k; j++)
        {
            // Smoothed so a word no row holds still has a finite (very negative) bias.
            double prior = (mass[j] + 0.5) / (trainingLabels.Count + 1.0);
            _bias[j] = (float)Math.Log(prior / (1 - prior));
        }
    }

    public float Compute(ReadOnlySpan<float> pred, WordLabels labels, ReadOnlySpan<int> rows, Span<float> grad)
    {
        int batch = rows.Length, k = _cosines.Count;
        (float[] unit, float[] norms, float[] cos) = _cosines.Forward(pred, batch);
        var coef = new float[batch * k];
        double total = 0;
        for (int r = 0; r < batch; r++)
        {
            ReadOnlySpan<float> c = cos.AsSpan(r * k, k);
            Span<float> g = coef.AsSpan(r * k, k);
            for (int j = 0; j < k; j++)
            {
                double z = (_scale * c[j]) + _bias[j];
                total += z > 0 ? z + Math.Log(1 + Math.Exp(-z)) : Math.Log(1 + Math.Exp(z));
                g[j] = (float)(_scale / (1 + Math.Exp(-z)));
            }

            ReadOnlySpan<int> pos = labels.Words(rows[r]);
            ReadOnlySpan<float> q = labels.Weights(rows[r]);
            for (int a = 0; a < pos.Length; a++)
            {
                total -= q[a] * ((_scale * c[pos[a]]) + _bias[pos[a]]);
                g[pos[a]] -= _scale * q[a];
            }
        }

        if (!grad.IsEmpty) _cosines.Backward(coef, unit, norms, batch, batch, grad);
        return (float)(total / batch);
    }
}
