using System.Numerics.Tensors;

namespace ImageSearch;

/// <summary>Applies one update step of SGD-Nesterov or AdamW to every parameter of a network. Not thread-safe.</summary>
internal sealed class Optimizer
{
    private readonly DeviseTrainingOptions _o;
    private readonly IReadOnlyList<(float[] Value, float[] Grad, bool Decay)> _params;
    private readonly float[][] _m, _v;
    private long _t;

    public Optimizer(DeviseTrainingOptions options, IReadOnlyList<(float[] Value, float[] Grad, bool Decay)> parameters)
    {
        _o = options;
        _params = parameters;
        _m = new float[parameters.Count][];
        _v = new float[parameters.Count][];
        for (int i = 0; i < parameters.Count; i++)
        {
            _m[i] = new float[parameters[i].Value.Length];
            _v[i] = options.Optimizer == DeviseOptimizer.Adam ? new float[parameters[i].Value.Length] : [];
        }
    }

    public void Step(float lr)
    {
        _t++;
        for (int i = 0; i < _params.Count; i++)
        {
            (float[] w, float[] g, bool decay) = _params[i];
            if (_o.Optimizer == DeviseOptimizer.SgdNesterov) Sgd(w, g, _m[i], decay ? _o.WeightDecay : 0f, lr);
            else Adam(w, g, _m[i], _v[i], decay ? _o.WeightDecay : 0f, lr);
        }
    }

    // PyTorch's Nesterov form: g' = g + wd*w; v = mu*v + g'; w -= lr*(g' + mu*v).
    private void Sgd(float[] w, float[] g, float[] v, float wd, float lr)
    {
        float mu = _o.Momentum;
        if (wd != 0f) TensorPrimitives.MultiplyAdd(w, wd, g, g);
        TensorPrimitives.MultiplyAdd(v, mu, g, v);
        TensorPrimitives.MultiplyAdd(v, mu, g, g);
        TensorPrimitives.MultiplyAdd(g, -lr, w, w);
    }

    // AdamW: decoupled decay w -= lr*wd*w, then the bias-corrected Adam step.
    private void Adam(float[] w, float[] g, float[] m, float[] v, float wd, float lr)
    {
        float b1 = _o.AdamBeta1, b2 = _o.AdamBeta2, eps = _o.AdamEpsilon;
        float c1 = 1f - MathF.Pow(b1, _t), c2 = 1f - MathF.Pow(b2, _t);
        float step = lr / c1;
        float sc2 = 1f / MathF.Sqrt(c2);
        if (wd != 0f) TensorPrimitives.Multiply(w, 1f - lr * wd, w);
        for (int j = 0; j < w.Length; j++)
        {
            float gj = g[j];
            float mj = m[j] = b1 * m[j] + (1f - b1) * gj;
            float vj = v[j] = b2 * v[j] + (1f - b2) * gj * gj;
            w[j] -= step * mj / (MathF.Sqrt(vj) * sc2 + eps);
        }
    }
}
