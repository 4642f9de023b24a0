using System.Numerics.Tensors;

namespace ImageSearch;

/// <summary>
/// Batch normalisation over the feature columns of a row-major batch. Training mode normalises with the batch's
/// own mean and (biased) variance and moves the running statistics toward them by <see cref="Momentum"/>
/// (running variance uses the unbiased estimate, as PyTorch does); evaluation mode uses the running statistics.
/// Reductions run row after row in a fixed order, so results do not depend on threading. Not thread-safe.
/// </summary>
internal sealed class BatchNormLayer
{
    private float[] _xhat = [];
    private readonly float[] _invStd;
    private readonly float[] _mean;
    private readonly float[] _var;

    public BatchNormLayer(int features, float momentum = 0.1f, float epsilon = 1e-5f)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        Features = features;
        Momentum = momentum;
        Epsilon = epsilon;
        Gamma = new float[features];
        Beta = new float[features];
        RunningMean = new float[features];
        RunningVar = new float[features];
        GammaGrad = new float[features];
        BetaGrad = new float[features];
        _invStd = new float[features];
        _mean = new float[features];
        _var = new float[features];
        Reset();
    }

    public int Features { get; }
    public float Momentum { get; }
    public float Epsilon { get; }
    public float[] Gamma { get; }
    public float[] Beta { get; }
    public float[] RunningMean { get; }
    public float[] RunningVar { get; }
    public float[] GammaGrad { get; }
    public float[] BetaGrad { get; }

    /// <summary>Identity affine (gamma 1, beta 0), running mean 0 and variance 1.</summary>
    public void Reset()
    {
        Array.Fill(Gamma, 1f);
        Array.Clear(Beta);
        Array.Clear(RunningMean);
        Array.Fill(RunningVar, 1f);
    }

    /// <summary>Training-mode forward: batch statistics, updates running statistics, keeps what backward needs.</summary>
    public void ForwardTrain(ReadOnlySpan<float> x, int batch, Span<float> y, bool updateRunningStats = true)
    {
        if (batch < 2) throw new ArgumentOutOfRangeException(nameof(batch), batch, "Batch normalisation needs at least 2 rows in training mode.");
        int f = Features;
        if (_xhat.Length < batch * f) _xhat = new float[batch * f];
        Array.Clear(_mean);
        Array.Clear(_var);
        for (int r = 0; r < batch; r++) TensorPrimitives.Add(_mean, x.Slice(r * f, f), _mean);
        TensorPrimitives.Multiply(_mean, 1f / batch, _mean);
        Span<float> xhat = _xhat.AsSpan(0, batch * f);
        for (int r = 0; r < batch; r++)
        {
            Span<float> d = xhat.Slice(r * f, f);
            TensorPrimitives.Subtract(x.Slice(r * f, f), _mean, d);
            TensorPrimitives.MultiplyAdd(d, d, _var, _var);
        }
        TensorPrimitives.Multiply(_var, 1f / batch, _var);
        for (int j = 0; j < f; j++) _invStd[j] = 1f / MathF.Sqrt(_var[j] + Epsilon);
        for (int r = 0; r < batch; r++)
        {
            Span<float> d = xhat.Slice(r * f, f);
            TensorPrimitives.Multiply(d, _invStd, d);
            TensorPrimitives.FusedMultiplyAdd(d, Gamma, Beta, y.Slice(r * f, f));
        }
        if (updateRunningStats)
        {
            float unbias = batch / (batch - 1f);
            for (int j = 0; j < f; j++)
            {
                RunningMean[j] += Momentum * (_mean[j] - RunningMean[j]);
                RunningVar[j] += Momentum * (_var[j] * unbias - RunningVar[j]);
            }
        }
    }

    /// <summary>Evaluation-mode forward with the running statistics.</summary>
    public void ForwardEval(ReadOnlySpan<float> x, int batch, Span<float> y)
    {
        int f = Features;
        Span<float> scale = f <= 4096 ? stackalloc float[f] : new float[f];
        Span<float> shift = f <= 4096 ? stackalloc float[f] : new float[f];
        FoldInto(Gamma, Beta, RunningMean, RunningVar, Epsilon, scale, shift);
        for (int r = 0; r < batch; r++)
            TensorPrimitives.FusedMultiplyAdd(x.Slice(r * f, f), scale, shift, y.Slice(r * f, f));
    }

    /// <summary>Folds evaluation-mode normalisation into <c>y = x*scale + shift</c>.</summary>
    public static void FoldInto(ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, ReadOnlySpan<float> mean, ReadOnlySpan<float> var, float eps, Span<float> scale, Span<float> shift)
    {
        for (int j = 0; j < gamma.Length; j++)
        {
            float s = gamma[j] / MathF.Sqrt(var[j] + eps);
            scale[j] = s;
            shift[j] = beta[j] - mean[j] * s;
        }
    }

    /// <summary>
    /// Backward of the last <see cref="ForwardTrain"/>: writes dL/dgamma, dL/dbeta (overwriting) and dL/dx.
    /// dx = invStd/N * (N*g*dy - sum(g*dy) - xhat*sum(g*dy*xhat)), with g = gamma.
    /// </summary>
    public void Backward(ReadOnlySpan<float> dy, int batch, Span<float> dx)
    {
        int f = Features;
        ReadOnlySpan<float> xhat = _xhat.AsSpan(0, batch * f);
        Array.Clear(GammaGrad);
        Array.Clear(BetaGrad);
        for (int r = 0; r < batch; r++)
        {
            ReadOnlySpan<float> g = dy.Slice(r * f, f);
            TensorPrimitives.Add(BetaGrad, g, BetaGrad);
            TensorPrimitives.MultiplyAdd(g, xhat.Slice(r * f, f), GammaGrad, GammaGrad);
        }
        // sum(dxhat) = gamma*BetaGrad, sum(dxhat*xhat) = gamma*GammaGrad.
        Span<float> a = f <= 4096 ? stackalloc float[f] : new float[f];
        Span<float> b = f <= 4096 ? stackalloc float[f] : new float[f];
        Span<float> c = f <= 4096 ? stackalloc float[f] : new float[f];
        float invN = 1f / batch;
        for (int j = 0; j < f; j++)
        {
            float k = Gamma[j] * _invStd[j];
            a[j] = k;                                 // multiplies dy
            b[j] = -k * BetaGrad[j] * invN;           // constant term
            c[j] = -k * GammaGrad[j] * invN;          // multiplies xhat
        }
        for (int r = 0; r < batch; r++)
        {
            Span<float> o = dx.Slice(r * f, f);
            TensorPrimitives.FusedMultiplyAdd(dy.Slice(r * f, f), a, b, o);
            TensorPrimitives.FusedMultiplyAdd(xhat.Slice(r * f, f), c, o, o);
        }
    }
}
