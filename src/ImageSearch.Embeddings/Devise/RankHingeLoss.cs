namespace ImageSearch;

/// <summary>
/// DeViSE's hinge rank loss on cosines: <c>L = mean_i sum_{j : w_j != t_i} max(0, margin - cos(p_i, t_i) + cos(p_i, w_j))</c>,
/// where the <c>w_j</c> are the distinct target words (the other class words are the negatives). Cosines instead of
/// the paper's raw dot products, so the margin does not depend on the head's output scale. Deterministic (rows and
/// negatives in order, sums in <see cref="double"/>).
/// </summary>
internal static class RankHingeLoss
{
    private const double Tiny = 1e-12;

    /// <summary>Distinct rows of <paramref name="targets"/>, in first-seen order.</summary>
    public static float[] DistinctRows(ReadOnlySpan<float> targets, int dim)
    {
        var rows = new List<float[]>();
        for (int r = 0; r < targets.Length / dim; r++)
        {
            ReadOnlySpan<float> t = targets.Slice(r * dim, dim);
            bool seen = false;
            foreach (float[] w in rows) if (t.SequenceEqual(w)) { seen = true; break; }
            if (!seen) rows.Add(t.ToArray());
        }
        var all = new float[rows.Count * dim];
        for (int k = 0; k < rows.Count; k++) rows[k].CopyTo(all, k * dim);
        return all;
    }

    /// <summary>Returns the mean loss; writes dL/dp into <paramref name="grad"/> unless it is empty.</summary>
    /// <param name="pred">Predictions [batch x dim].</param>
    /// <param name="target">Targets [batch x dim].</param>
    /// <param name="batch">Rows.</param>
    /// <param name="dim">Columns.</param>
    /// <param name="words">Candidate words [k x dim] (a word equal to a row's target is not its negative).</param>
    /// <param name="margin">The hinge margin.</param>
    /// <param name="grad">dL/dp [batch x dim], or empty.</param>
    public static float Compute(ReadOnlySpan<float> pred, ReadOnlySpan<float> target, int batch, int dim,
        ReadOnlySpan<float> words, float margin, Span<float> grad)
    {
        int k = words.Length / dim;
        double total = 0;
        var coef = new double[k + 1]; // d L_i / d cos(p, .) for the target (index k) and each word
        for (int r = 0; r < batch; r++)
        {
            ReadOnlySpan<float> p = pred.Slice(r * dim, dim);
            ReadOnlySpan<float> t = target.Slice(r * dim, dim);
            double pp = Dot(p, p), np = Math.Sqrt(pp);
            double cosT = Dot(p, t) / Math.Max(np * Math.Sqrt(Dot(t, t)), Tiny);
            Array.Clear(coef);
            for (int j = 0; j < k; j++)
            {
                ReadOnlySpan<float> w = words.Slice(j * dim, dim);
                if (w.SequenceEqual(t)) continue;
                double cosW = Dot(p, w) / Math.Max(np * Math.Sqrt(Dot(w, w)), Tiny);
                double h = margin - cosT + cosW;
                if (h <= 0) continue;
                total += h;
                coef[j] += 1;
                coef[k] -= 1;
            }
            if (grad.IsEmpty) continue;
            Span<float> g = grad.Slice(r * dim, dim);
            g.Clear();
            if (np < Tiny) continue;
            // d cos(p, v) / dp = v / (|p||v|) - cos(p, v) p / |p|^2
            for (int j = 0; j <= k; j++)
            {
                if (coef[j] == 0) continue;
                ReadOnlySpan<float> v = j == k ? t : words.Slice(j * dim, dim);
                double nv = Math.Max(Math.Sqrt(Dot(v, v)), Tiny);
                double cos = Dot(p, v) / (np * nv);
                double a = coef[j] / (np * nv * batch), b = -coef[j] * cos / (pp * batch);
                for (int q = 0; q < dim; q++) g[q] += (float)(a * v[q] + b * p[q]);
            }
        }
        return (float)(total / batch);
    }

    private static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }
}
