namespace ImageSearch;

/// <summary>
/// DeViSE's hinge rank loss with several weighted positives: for a row with positive words <c>i</c> (weights
/// <c>q_i</c>: the label's and the description's, see <see cref="WordLabels"/>) and negatives <c>j</c> (listed words
/// that are not positives), <c>L = sum_i q_i mean_j max(0, margin - cos(p, v_i) + cos(p, v_j))</c>. Negatives are
/// sampled uniformly (with replacement) when a sample size is given and a random source is passed, else all of them
/// (validation: deterministic). The mean over negatives keeps the loss scale independent of their number.
/// </summary>
internal sealed class WordHingeLoss(WordCosines cosines, float margin, int negatives)
{
    public float Compute(ReadOnlySpan<float> pred, WordLabels labels, ReadOnlySpan<int> rows, Span<float> grad, DeviseRandom? rng)
    {
        int batch = rows.Length, k = cosines.Count;
        (float[] unit, float[] norms, float[] cos) = cosines.Forward(pred, batch);
        var coef = new float[batch * k];
        var positive = new bool[k];
        var sample = new List<int>();
        double total = 0;
        for (int r = 0; r < batch; r++)
        {
            ReadOnlySpan<int> pos = labels.Words(rows[r]);
            ReadOnlySpan<float> q = labels.Weights(rows[r]);
            foreach (int w in pos) positive[w] = true;
            sample.Clear();
            int others = k - pos.Length;
            if (rng is null || negatives <= 0 || negatives >= others)
            {
                for (int j = 0; j < k; j++) if (!positive[j]) sample.Add(j);
            }
            else
            {
                while (sample.Count < negatives)
                {
                    int j = rng.NextInt(k);
                    if (!positive[j]) sample.Add(j);
                }
            }

            ReadOnlySpan<float> c = cos.AsSpan(r * k, k);
            Span<float> g = coef.AsSpan(r * k, k);
            float inv = sample.Count == 0 ? 0f : 1f / sample.Count;
            for (int a = 0; a < pos.Length; a++)
            {
                float ci = c[pos[a]], qa = q[a] * inv;
                foreach (int j in sample)
                {
                    float h = margin - ci + c[j];
                    if (h <= 0f) continue;
                    total += qa * h;
                    g[j] += qa;
                    g[pos[a]] -= qa;
                }
            }

            foreach (int w in pos) positive[w] = false;
        }

        if (!grad.IsEmpty) cosines.Backward(coef, unit, norms, batch, batch, grad);
        return (float)(total / batch);
    }
}
