namespace ImageSearch;

/// <summary>
/// The trainable DeViSE head: Dense(in, hidden) -> BatchNorm -> ReLU -> Dropout -> Dense(hidden, out) -> BatchNorm,
/// with activation buffers for one mini-batch size. Not thread-safe: one network per training run.
/// </summary>
internal sealed class DeviseNetwork
{
    private readonly int _maxThreads;
    private int _capacity;
    private float[] _z1 = [], _r1 = [], _d1 = [], _z2 = [], _out = [], _g2 = [], _gh = [], _g1 = [];
    private readonly float[] _scratch;
    private int _batch;

    public DeviseNetwork(int inputs, int hidden, int outputs, float dropout, float bnMomentum, float bnEpsilon, int maxThreads)
    {
        Dense1 = new DenseLayer(inputs, hidden);
        Bn1 = new BatchNormLayer(hidden, bnMomentum, bnEpsilon);
        Dropout = new DropoutLayer(dropout);
        Dense2 = new DenseLayer(hidden, outputs);
        Bn2 = new BatchNormLayer(outputs, bnMomentum, bnEpsilon);
        _scratch = new float[hidden * outputs];
        _maxThreads = maxThreads;
    }

    public DenseLayer Dense1 { get; }
    public BatchNormLayer Bn1 { get; }
    public DropoutLayer Dropout { get; }
    public DenseLayer Dense2 { get; }
    public BatchNormLayer Bn2 { get; }
    public int Inputs => Dense1.Inputs;
    public int Hidden => Dense1.Outputs;
    public int Outputs => Dense2.Outputs;

    public void Initialize(DeviseRandom rng)
    {
        Dense1.InitHe(rng);
        Dense2.InitGlorot(rng);
        Bn1.Reset();
        Bn2.Reset();
    }

    private void Ensure(int batch)
    {
        if (batch <= _capacity) return;
        int h = Hidden, o = Outputs;
        _z1 = new float[batch * h]; _r1 = new float[batch * h]; _d1 = new float[batch * h];
        _z2 = new float[batch * o]; _out = new float[batch * o]; _g2 = new float[batch * o];
        _gh = new float[batch * h]; _g1 = new float[batch * h];
        _capacity = batch;
    }

    /// <summary>Training-mode forward; returns the output rows (valid until the next call).</summary>
    public ReadOnlySpan<float> ForwardTrain(ReadOnlySpan<float> x, int batch, DeviseRandom rng, bool updateRunningStats = true)
    {
        Ensure(batch);
        _batch = batch;
        int hb = batch * Hidden, ob = batch * Outputs;
        Dense1.Forward(x, batch, _z1, _maxThreads);
        Bn1.ForwardTrain(_z1.AsSpan(0, hb), batch, _r1, updateRunningStats);
        Relu.Forward(_r1.AsSpan(0, hb), _r1);
        Dropout.ForwardTrain(_r1.AsSpan(0, hb), _d1, rng);
        Dense2.Forward(_d1.AsSpan(0, hb), batch, _z2, _maxThreads);
        Bn2.ForwardTrain(_z2.AsSpan(0, ob), batch, _out, updateRunningStats);
        return _out.AsSpan(0, ob);
    }

    /// <summary>Evaluation-mode forward (running statistics, no dropout) into <paramref name="y"/>.</summary>
    public void ForwardEval(ReadOnlySpan<float> x, int batch, Span<float> y)
    {
        Ensure(batch);
        int hb = batch * Hidden, ob = batch * Outputs;
        Dense1.Forward(x, batch, _z1, _maxThreads);
        Bn1.ForwardEval(_z1.AsSpan(0, hb), batch, _r1);
        Relu.Forward(_r1.AsSpan(0, hb), _r1);
        Dense2.Forward(_r1.AsSpan(0, hb), batch, _z2, _maxThreads);
        Bn2.ForwardEval(_z2.AsSpan(0, ob), batch, y);
    }

    /// <summary>Backward of the last <see cref="ForwardTrain"/>; fills every parameter gradient (input gradient into <paramref name="dx"/> when not empty).</summary>
    public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dOut, Span<float> dx = default)
    {
        int batch = _batch, hb = batch * Hidden, ob = batch * Outputs;
        Bn2.Backward(dOut, batch, _g2);
        Dense2.Backward(_d1.AsSpan(0, hb), _g2.AsSpan(0, ob), batch, _gh, _scratch, _maxThreads);
        Dropout.Backward(_gh.AsSpan(0, hb), _gh);
        Relu.Backward(_r1.AsSpan(0, hb), _gh.AsSpan(0, hb), _gh);
        Bn1.Backward(_gh.AsSpan(0, hb), batch, _g1);
        float[] scratch = dx.IsEmpty ? _scratch : new float[Inputs * Hidden];
        Dense1.Backward(x, _g1.AsSpan(0, hb), batch, dx, scratch, _maxThreads);
    }

    /// <summary>Every trainable tensor with its gradient; <c>Decay</c> marks the dense weights (weight decay applies to them only).</summary>
    public IReadOnlyList<(float[] Value, float[] Grad, bool Decay)> Parameters =>
    [
        (Dense1.Weights, Dense1.WeightGrad, true), (Dense1.Bias, Dense1.BiasGrad, false),
        (Bn1.Gamma, Bn1.GammaGrad, false), (Bn1.Beta, Bn1.BetaGrad, false),
        (Dense2.Weights, Dense2.WeightGrad, true), (Dense2.Bias, Dense2.BiasGrad, false),
        (Bn2.Gamma, Bn2.GammaGrad, false), (Bn2.Beta, Bn2.BetaGrad, false),
    ];

    /// <summary>Every tensor a trained head needs, parameters and running statistics, in file order.</summary>
    public float[][] State =>
    [
        Dense1.Weights, Dense1.Bias, Bn1.Gamma, Bn1.Beta, Bn1.RunningMean, Bn1.RunningVar,
        Dense2.Weights, Dense2.Bias, Bn2.Gamma, Bn2.Beta, Bn2.RunningMean, Bn2.RunningVar,
    ];

    /// <summary>A deep copy of <see cref="State"/>.</summary>
    public float[][] Snapshot()
    {
        float[][] s = State;
        var copy = new float[s.Length][];
        for (int i = 0; i < s.Length; i++) copy[i] = (float[])s[i].Clone();
        return copy;
    }

    /// <summary>Restores a <see cref="Snapshot"/>.</summary>
    public void Restore(float[][] snapshot)
    {
        float[][] s = State;
        for (int i = 0; i < s.Length; i++) snapshot[i].AsSpan().CopyTo(s[i]);
    }

    /// <summary>An immutable inference head from the current state.</summary>
    public DeviseHead ToHead(DeviseInputNormalization inputNormalization = DeviseInputNormalization.None) => new(Inputs, Hidden, Outputs, Bn1.Epsilon, Snapshot(), inputNormalization);
}
