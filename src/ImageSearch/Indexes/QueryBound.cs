using System.Runtime.CompilerServices;

namespace ImageSearch;

/// <summary>
/// One query's side of the bounded exact scan (see <c>ExactIndex.BoundedScan</c> and <c>docs/architecture.md</c>,
/// "Bounded exact scan"): the query scaled to 16-bit integers for <see cref="DistanceKernels.QuantizedDotScan"/>, and the
/// constants that turn that integer dot product into an interval proven to hold the distance the f32 scan computes.
/// </summary>
/// <remarks>
/// With <c>w_j = q_j * step_j</c> (exact in double), integers <c>k_j = round(w_j / s)</c>, <c>s = max|w| / K</c> and
/// <c>delta_j = w_j - s * k_j</c>: <c>q . x̂ = sum q_j lo_j + s * I + sum delta_j c_j</c> with <c>I = sum k_j c_j</c>, and
/// <c>|sum delta_j (c_j - 127.5)| &lt;= 127.5 * sum |delta_j|</c>, so <c>S = sum q_j lo_j + 127.5 * sum delta_j + s * I</c> is
/// within <c>127.5 * sum |delta_j|</c> of <c>q . x̂</c>; <c>|q . x - q . x̂| &lt;= ||q|| * ||x - x̂||</c> (Cauchy-Schwarz, with the
/// row's stored residual bound). The f32 kernels' own rounding and the final f32 subtraction are added as proven relative
/// terms; double arithmetic here errs by less than 2^-45 of the magnitudes involved, covered by a 2^-40 margin.
/// </remarks>
internal readonly struct QueryBound
{
    private static readonly double Margin = Math.ScaleB(1.0, -40);
    private static readonly double FloatRounding = Math.ScaleB(1.0, -23); // twice f32's unit roundoff 2^-24

    private readonly double _constant;     // S = _constant + _scale * I
    private readonly double _scale;
    private readonly double _fixed;        // 127.5 * sum |delta_j| plus the double-arithmetic margin
    private readonly double _margin;
    private readonly double _queryNorm;    // ||q||, rounded up
    private readonly double _queryNormSquared;
    private readonly double _gammaL2;

    private QueryBound(double constant, double scale, double fixedError, double margin, double queryNorm, double queryNormSquared, double gammaL2)
    {
        _constant = constant;
        _scale = scale;
        _fixed = fixedError;
        _margin = margin;
        _queryNorm = queryNorm;
        _queryNormSquared = queryNormSquared;
        _gammaL2 = gammaL2;
    }

    /// <summary>Scales <paramref name="q"/> into <paramref name="scaled"/> and computes the bound's constants.</summary>
    public static QueryBound Create(ReadOnlySpan<float> q, ScalarQuantizer quantizer, Span<short> scaled, DistanceMetric metric)
    {
        int d = q.Length;
        float[] lo = quantizer.Offset, step = quantizer.Step;
        double qlo = 0, absQlo = 0, qq = 0, sumAbsW = 0, maxW = 0;
        for (int j = 0; j < d; j++)
        {
            double w = (double)q[j] * step[j]; // two 24-bit significands: exact in double
            double t = (double)q[j] * lo[j];
            qlo += t;
            absQlo += Math.Abs(t);
            qq += (double)q[j] * q[j];
            sumAbsW += Math.Abs(w);
            maxW = Math.Max(maxW, Math.Abs(w));
        }

        // 255 * sum |k_j| <= 255 * K * d < 2^31: the integer dot product cannot overflow in any order of accumulation.
        int limit = (int)Math.Min(short.MaxValue, (int.MaxValue - 1) / (255L * d));
        double s = maxW > 0 ? maxW / limit : 0;
        double sumDelta = 0, sumAbsDelta = 0;
        for (int j = 0; j < d; j++)
        {
            double w = (double)q[j] * step[j];
            int k = s > 0 ? (int)Math.Clamp(Math.Round(w / s), -limit, limit) : 0;
            scaled[j] = (short)k;
            double delta = w - (s * k);
            sumDelta += delta;
            sumAbsDelta += Math.Abs(delta);
        }

        double magnitude = absQlo + (255 * (sumAbsW + sumAbsDelta)) + qq + 1;
        double margin = Margin * magnitude;
        return new QueryBound(
            constant: qlo + (127.5 * sumDelta),
            scale: s,
            fixedError: (127.5 * sumAbsDelta * (1 + Margin)) + margin,
            margin: margin,
            queryNorm: Math.Sqrt(qq) * (1 + Margin),
            queryNormSquared: qq,
            gammaL2: metric == DistanceMetric.SquaredL2 ? VectorStore.DotRoundingFactor(d + 3) : 0);
    }

    /// <summary>
    /// <c>S</c>, the estimate of <c>q . x̂</c> from the integer dot product (within <c>127.5 sum |delta_j|</c> of it):
    /// the approximate dot product of an Int8 index without f32 rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double Estimate(int dot) => _constant + (_scale * dot);

    /// <summary>
    /// An integer threshold for a cheap first filter: every row whose integer dot product is below it has a lower end
    /// <c>lo(x) &gt; <paramref name="tau"/></c> (so it cannot enter the top k), given that every row's error term is at most
    /// <paramref name="maxError"/> and (squared L2) every row's <c>||x||^2</c> at least <paramref name="minNormSquared"/>.
    /// Derived from <see cref="Dot"/> and <see cref="SquaredL2"/> with those extremes, then lowered by a margin.
    /// </summary>
    public int RejectBelow(double tau, float maxError, float minNormSquared, bool l2)
    {
        if (!(tau < double.PositiveInfinity) || _scale == 0)
        {
            return int.MinValue;
        }

        double bmax = _fixed + (_queryNorm * maxError);
        double threshold; // S below it: lo > tau
        if (l2)
        {
            // lo = (qq + xx (1 - 2^-22) - 2S - 2b - margin)(1 - gamma): increasing in xx, decreasing in S and b.
            threshold = (_queryNormSquared + (minNormSquared * (1 - (2 * FloatRounding))) - (2 * bmax) - _margin - (tau / (1 - _gammaL2))) / 2;
        }
        else
        {
            // lo = 1 - S - b - FR (1 + |S| + b) >= a + tau - S (1 + FR) for S >= 0, a + tau - S (1 - FR) for S < 0.
            double a = 1 - tau - FloatRounding - (bmax * (1 + FloatRounding));
            threshold = a >= 0 ? a / (1 + FloatRounding) : a / (1 - FloatRounding);
        }

        threshold -= Margin * (Math.Abs(threshold) + Math.Abs(_constant) + Math.Abs(tau) + bmax + _queryNormSquared + minNormSquared + 2);
        double t = Math.Floor((threshold - _constant) / _scale) - 1;
        return t <= int.MinValue ? int.MinValue : t >= int.MaxValue ? int.MaxValue : (int)t;
    }

    /// <summary>
    /// Interval holding <c>fl32(1 - fl32(q . x))</c>, the f32 scan's distance under cosine and inner product, given the
    /// integer dot product of the row's codes and the row's stored error term (residual plus the f32 kernel's rounding).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public (double Lower, double Upper) Dot(int dot, float error)
    {
        double s = _constant + (_scale * dot);
        double b = _fixed + (_queryNorm * error); // |fl32(q . x) - S|
        double h = b + (FloatRounding * (1 + Math.Abs(s) + b)); // and the rounding of 1 - f in f32
        double center = 1 - s;
        return (center - h, center + h);
    }

    /// <summary>
    /// Interval holding the f32 scan's squared L2 distance: <c>||q||^2 - 2 q . x + ||x||^2</c> with <c>q . x</c> bounded as
    /// in <see cref="Dot"/>, <c>||x||^2</c> stored in f32, and the f32 kernel's relative rounding <c>gamma_(d+3)</c> of a sum of
    /// non-negative terms.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public (double Lower, double Upper) SquaredL2(int dot, float residual, float normSquared)
    {
        double s = _constant + (_scale * dot);
        double b = _fixed + (_queryNorm * residual);
        double center = _queryNormSquared + normSquared - (2 * s);
        double h = (2 * b) + (FloatRounding * 2 * normSquared) + _margin;
        return ((center - h) * (1 - _gammaL2), (center + h) * (1 + _gammaL2));
    }
}
