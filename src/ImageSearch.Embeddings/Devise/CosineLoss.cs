namespace ImageSearch;

/// <summary>
/// Cosine loss <c>L = mean_i (1 - cos(p_i, t_i))</c> over a batch of row vectors, and its gradient
/// <c>dL/dp_i = -(t_i/(|p_i||t_i|) - cos_i * p_i/|p_i|^2) / N</c>. Rows are summed in order (deterministic);
/// sums are kept in <see cref="double"/>.
/// </summary>
internal static class CosineLoss
{
    // Guards the division for an all-zero prediction (its gradient is then taken as zero).
    private const double Tiny = 1e-12;

    /// <summary>Returns the mean loss; writes dL/dp into <paramref name="grad"/> unless it is empty.</summary>
    public static float Compute(ReadOnlySpan<float> pred, ReadOnlySpan<float> target, int batch, int dim, Span<float> grad)
    {
        double total = 0;
        for (int r = 0; r < batch; r++)
        {
            ReadOnlySpan<float> p = pred.Slice(r * dim, dim);
            ReadOnlySpan<float> t = target.Slice(r * dim, dim);
            double pp = 0, tt = 0, pt = 0;
            for (int j = 0; j < dim; j++)
            {
                pp += (double)p[j] * p[j];
                tt += (double)t[j] * t[j];
                pt += (double)p[j] * t[j];
            }
            double np = Math.Sqrt(pp), nt = Math.Sqrt(tt);
            double denom = Math.Max(np * nt, Tiny);
            double cos = pt / denom;
            total += 1 - cos;
            if (!grad.IsEmpty)
            {
                Span<float> g = grad.Slice(r * dim, dim);
                if (np * nt < Tiny) { g.Clear(); continue; }
                double a = -1.0 / (denom * batch);
                double b = cos / (pp * batch);
                for (int j = 0; j < dim; j++) g[j] = (float)(a * t[j] + b * p[j]);
            }
        }
        return (float)(total / batch);
    }
}
