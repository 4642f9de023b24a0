
namespace ImageSearch.Embeddings.Tests.Devise;

/// <summary>Every backward pass against central finite differences (float forward, double loss sums).</summary>
public class GradientCheckTests
{
    private const float Eps = 1e-2f;

    private static float[] Gaussian(int n, int seed, float scale = 1f)
    {
        var r = new DeviseRandom(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = r.NextGaussian() * scale;
        return a;
    }

    private static double Dot(ReadOnlySpan<float> y, ReadOnlySpan<float> w)
    {
        double s = 0;
        for (int i = 0; i < y.Length; i++) s += (double)y[i] * w[i];
        return s;
    }

    /// <summary>Numerical gradient of <paramref name="loss"/> with respect to every element of <paramref name="p"/>.</summary>
    private static double[] Numeric(float[] p, Func<double> loss, float eps = Eps)
    {
        var g = new double[p.Length];
        for (int i = 0; i < p.Length; i++)
        {
            float old = p[i];
            p[i] = old + eps; double lp = loss();
            p[i] = old - eps; double lm = loss();
            p[i] = old;
            g[i] = (lp - lm) / (2.0 * eps);
        }
        return g;
    }

    /// <summary>Relative error ||a - n|| / max(||a|| + ||n||, tiny), the usual gradient-check measure.</summary>
    private static void AssertGradient(double[] numeric, ReadOnlySpan<float> analytic, string what, double tol = 1e-2)
    {
        Assert.Equal(numeric.Length, analytic.Length);
        double diff = 0, na = 0, nn = 0;
        for (int i = 0; i < numeric.Length; i++)
        {
            diff += (numeric[i] - analytic[i]) * (numeric[i] - analytic[i]);
            na += (double)analytic[i] * analytic[i];
            nn += numeric[i] * numeric[i];
        }
        Assert.True(na > 1e-12, $"{what}: analytic gradient is zero, the check would be vacuous");
        double rel = Math.Sqrt(diff) / (Math.Sqrt(na) + Math.Sqrt(nn));
        Assert.True(rel < tol, $"{what}: relative error {rel:E2}");
    }

    [Fact]
    public void Dense_backward_matches_finite_differences()
    {
        int batch = 4, nin = 7, nout = 5;
        var layer = new DenseLayer(nin, nout);
        layer.InitGlorot(new DeviseRandom(1));
        Gaussian(nout, 9).CopyTo(layer.Bias, 0);
        float[] x = Gaussian(batch * nin, 2), w = Gaussian(batch * nout, 3), y = new float[batch * nout];
        double Loss() { layer.Forward(x, batch, y); return Dot(y, w); }

        var dx = new float[batch * nin];
        layer.Backward(x, w, batch, dx, new float[nin * nout]);
        AssertGradient(Numeric(layer.Weights, Loss), layer.WeightGrad, "dW");
        AssertGradient(Numeric(layer.Bias, Loss), layer.BiasGrad, "db");
        AssertGradient(Numeric(x, Loss), dx, "dx");
    }

    [Fact]
    public void BatchNorm_backward_matches_finite_differences()
    {
        int batch = 6, f = 5;
        var bn = new BatchNormLayer(f);
        Gaussian(f, 4, 0.5f).AsSpan().CopyTo(bn.Beta);
        for (int j = 0; j < f; j++) bn.Gamma[j] = 1f + 0.3f * j;
        float[] x = Gaussian(batch * f, 5, 2f), w = Gaussian(batch * f, 6), y = new float[batch * f];
        double Loss() { bn.ForwardTrain(x, batch, y, updateRunningStats: false); return Dot(y, w); }

        Loss();
        var dx = new float[batch * f];
        bn.Backward(w, batch, dx);
        float[] dGamma = (float[])bn.GammaGrad.Clone(), dBeta = (float[])bn.BetaGrad.Clone();
        AssertGradient(Numeric(x, Loss, 1e-3f), dx, "dx");
        AssertGradient(Numeric(bn.Gamma, Loss), dGamma, "dgamma");
        AssertGradient(Numeric(bn.Beta, Loss), dBeta, "dbeta");
    }

    [Fact]
    public void Relu_and_dropout_backward_match_finite_differences()
    {
        int n = 40;
        // Keep inputs away from the kink so a step of Eps never crosses it.
        float[] x = Gaussian(n, 7);
        for (int i = 0; i < n; i++) x[i] = x[i] >= 0 ? x[i] + 0.1f : x[i] - 0.1f;
        float[] w = Gaussian(n, 8), y = new float[n];
        var drop = new DropoutLayer(0.5f);
        double Loss()
        {
            Relu.Forward(x, y);
            drop.ForwardTrain(y, y, new DeviseRandom(3)); // same seed -> same mask every call
            return Dot(y, w);
        }
        Loss();
        var g = new float[n];
        drop.Backward(w, g);
        Relu.Forward(x, y);
        Relu.Backward(y, g, g);
        AssertGradient(Numeric(x, Loss), g, "dx");
    }

    [Fact]
    public void CosineLoss_gradient_matches_finite_differences()
    {
        int batch = 5, dim = 6;
        float[] p = Gaussian(batch * dim, 10), t = Gaussian(batch * dim, 11), g = new float[batch * dim];
        double Loss() => CosineLoss.Compute(p, t, batch, dim, default);
        CosineLoss.Compute(p, t, batch, dim, g);
        AssertGradient(Numeric(p, Loss, 1e-3f), g, "dp", 2e-2);
    }

    [Fact]
    public void CosineLoss_is_zero_for_parallel_and_two_for_opposite_vectors()
    {
        float[] p = [1, 2, 3, -1, 0, 2], t = [2, 4, 6, 1, 0, -2];
        Assert.Equal(0.5f * (0f + 2f), CosineLoss.Compute(p, t, 2, 3, default), 5);
    }

    [Fact]
    public void RankHingeLoss_gradient_matches_finite_differences()
    {
        int batch = 5, dim = 6, words = 4;
        float[] w = Gaussian(words * dim, 20), p = Gaussian(batch * dim, 21), g = new float[batch * dim];
        var t = new float[batch * dim];
        for (int r = 0; r < batch; r++) w.AsSpan((r % words) * dim, dim).CopyTo(t.AsSpan(r * dim)); // each row's target is one of the words
        double Loss() => RankHingeLoss.Compute(p, t, batch, dim, w, 0.3f, default);
        Assert.True(Loss() > 0, "random predictions should violate some margins");
        RankHingeLoss.Compute(p, t, batch, dim, w, 0.3f, g);
        AssertGradient(Numeric(p, Loss, 1e-3f), g, "dp", 2e-2);
    }

    [Fact]
    public void RankHingeLoss_is_zero_when_every_other_word_is_a_margin_away_and_counts_each_violation()
    {
        // Words e1, e2, e3; the prediction equals its target e1, so cos = 1 with it and 0 with the others.
        float[] w = [1, 0, 0, 0, 1, 0, 0, 0, 1], t = [1, 0, 0];
        Assert.Equal(0f, RankHingeLoss.Compute([2, 0, 0], t, 1, 3, w, 0.5f, default));
        // Prediction along e2: cos 0 with the target, 1 with e2, 0 with e3 -> (0.5 - 0 + 1) + (0.5 - 0 + 0) = 2.
        Assert.Equal(2f, RankHingeLoss.Compute([0, 3, 0], t, 1, 3, w, 0.5f, default), 5);
        Assert.Equal(3, RankHingeLoss.DistinctRows([1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1], 3).Length / 3);
    }

    [Fact]
    public void WordSoftmaxLoss_gradient_matches_finite_differences()
    {
        int batch = 5, dim = 6, words = 7;
        float[] w = Gaussian(words * dim, 30), p = Gaussian(batch * dim, 31), g = new float[batch * dim];
        var unit = new float[words * dim];
        for (int j = 0; j < words; j++)
        {
            var row = w.AsSpan(j * dim, dim);
            System.Numerics.Tensors.TensorPrimitives.Divide(row, System.Numerics.Tensors.TensorPrimitives.Norm(row), unit.AsSpan(j * dim, dim));
        }
        // Each row's target: 0.7 of one word and 0.3 of another (a weighted mean of unit vectors, as DescriptionTargets gives).
        var t = new float[batch * dim];
        for (int r = 0; r < batch; r++)
        {
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(unit.AsSpan((r % words) * dim, dim), 0.7f, t.AsSpan(r * dim, dim), t.AsSpan(r * dim, dim));
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(unit.AsSpan(((r + 3) % words) * dim, dim), 0.3f, t.AsSpan(r * dim, dim), t.AsSpan(r * dim, dim));
        }
        var loss = new WordSoftmaxLoss(w, dim, scale: 4f, threads: 1);
        double Loss() => loss.Compute(p, t, batch, default);
        loss.Compute(p, t, batch, g);
        AssertGradient(Numeric(p, Loss, 1e-3f), g, "dp", 2e-2);
    }

    [Fact]
    public void WordSoftmaxLoss_is_the_cross_entropy_of_the_target_weights()
    {
        // Words e1, e2, e3; target 0.75 e1 + 0.25 e2; prediction along e1: logits s*(1, 0, 0).
        float[] w = [1, 0, 0, 0, 1, 0, 0, 0, 1], t = [0.75f, 0.25f, 0];
        const float s = 2f;
        double z = Math.Exp(s) + 2;
        double expected = -(0.75 * Math.Log(Math.Exp(s) / z) + 0.25 * Math.Log(1 / z));
        Assert.Equal(expected, new WordSoftmaxLoss(w, 3, s, 1).Compute([5, 0, 0], t, 1, default), 5);
    }

    // Each row's positives: its own word (weight 0.7) and the word three on (0.3), as DescriptionTargets weighs a label and a caption word.
    private static WordLabels TwoPositives(int batch, int words)
        => new(Enumerable.Range(0, batch).Select(r => (IReadOnlyList<KeyValuePair<int, float>>)[new(r % words, 0.7f), new((r + 3) % words, 0.3f)]).ToArray(), words);

    [Fact]
    public void WordHingeLoss_gradient_matches_finite_differences()
    {
        int batch = 5, dim = 6, words = 7;
        float[] w = Gaussian(words * dim, 40), p = Gaussian(batch * dim, 41), g = new float[batch * dim];
        var loss = new WordHingeLoss(new WordCosines(w, dim, threads: 1), margin: 0.5f, negatives: 0);
        WordLabels labels = TwoPositives(batch, words);
        int[] rows = [0, 1, 2, 3, 4];
        double Loss() => loss.Compute(p, labels, rows, default, null);
        loss.Compute(p, labels, rows, g, null);
        Assert.True(Loss() > 0);
        AssertGradient(Numeric(p, Loss, 1e-3f), g, "dp", 2e-2);
    }

    [Fact]
    public void WordHingeLoss_is_the_weighted_mean_hinge_over_the_other_words()
    {
        // Words e1, e2, e3; positive e1 (weight 1); prediction along e2: cosines (0, 1, 0) -> mean(0.5 - 0 + 1, 0.5 - 0 + 0) = 1.
        float[] w = [1, 0, 0, 0, 1, 0, 0, 0, 1];
        var labels = new WordLabels([[new(0, 1f)]], 3);
        Assert.Equal(1f, new WordHingeLoss(new WordCosines(w, 3, 1), 0.5f, 0).Compute([0, 3, 0], labels, [0], default, null), 5);
        // Sampled negatives come from the other words only: along e1 every hinge is 0.5 - 1 + 0 < 0.
        Assert.Equal(0f, new WordHingeLoss(new WordCosines(w, 3, 1), 0.5f, 1).Compute([2, 0, 0], labels, [0], default, new DeviseRandom(1)), 5);
    }

    [Fact]
    public void WordSigmoidLoss_gradient_matches_finite_differences()
    {
        int batch = 5, dim = 6, words = 7;
        float[] w = Gaussian(words * dim, 50), p = Gaussian(batch * dim, 51), g = new float[batch * dim];
        WordLabels labels = TwoPositives(batch, words);
        var loss = new WordSigmoidLoss(new WordCosines(w, dim, threads: 1), scale: 4f, labels);
        int[] rows = [0, 1, 2, 3, 4];
        double Loss() => loss.Compute(p, labels, rows, default);
        loss.Compute(p, labels, rows, g);
        AssertGradient(Numeric(p, Loss, 1e-3f), g, "dp", 2e-2);
    }

    [Fact]
    public void WordSigmoidLoss_is_the_logistic_loss_with_the_prior_as_bias()
    {
        // Words e1, e2; one training row holding e1 with label 1: priors (1.5/2, 0.5/2), biases ln 3 and -ln 3.
        float[] w = [1, 0, 0, 1];
        var labels = new WordLabels([[new(0, 1f)]], 2);
        const float s = 2f;
        double z1 = s + Math.Log(3), z2 = -Math.Log(3); // prediction along e1
        double expected = Math.Log(1 + Math.Exp(z1)) - z1 + Math.Log(1 + Math.Exp(z2));
        Assert.Equal(expected, new WordSigmoidLoss(new WordCosines(w, 2, 1), s, labels).Compute([3, 0], labels, [0], default), 5);
    }

    [Fact]
    public void WordQueryLoss_gradient_matches_finite_differences()
    {
        int batch = 5, dim = 6, words = 7;
        float[] w = Gaussian(words * dim, 60), p = Gaussian(batch * dim, 61), g = new float[batch * dim];
        WordLabels labels = TwoPositives(batch, words);
        var loss = new WordQueryLoss(new WordCosines(w, dim, threads: 1), scale: 4f);
        int[] rows = [0, 1, 2, 3, 4];
        double Loss() => loss.Compute(p, labels, rows, default);
        loss.Compute(p, labels, rows, g);
        Assert.True(Loss() > 0);
        AssertGradient(Numeric(p, Loss, 1e-3f), g, "dp", 2e-2);
    }

    [Fact]
    public void WordQueryLoss_is_the_cross_entropy_of_ranking_the_rows_per_word()
    {
        // Words e1, e2; row 0 holds e1, row 1 holds e2. Predictions e1 and e2: for each word the logits over the two rows
        // are (s, 0) or (0, s), with the holder first, so each word's loss is -log(e^s / (e^s + 1)).
        float[] w = [1, 0, 0, 1];
        var labels = new WordLabels([[new(0, 1f)], [new(1, 1f)]], 2);
        const float s = 3f;
        double expected = -Math.Log(Math.Exp(s) / (Math.Exp(s) + 1));
        Assert.Equal(expected, new WordQueryLoss(new WordCosines(w, 2, 1), s).Compute([1, 0, 0, 2], labels, [0, 1], default), 5);
        // A word every row holds (or none) ranks nothing: no loss.
        var all = new WordLabels([[new(0, 1f)], [new(0, 1f)]], 2);
        Assert.Equal(0f, new WordQueryLoss(new WordCosines(w, 2, 1), s).Compute([1, 0, 0, 2], all, [0, 1], default));
    }

    [Fact]
    public void WordLabels_refuse_empty_rows_bad_indices_and_weights()
    {
        Assert.Throws<ArgumentException>(() => new WordLabels([[]], 3));
        Assert.Throws<ArgumentException>(() => new WordLabels([[new(3, 1f)]], 3));
        Assert.Throws<ArgumentException>(() => new WordLabels([[new(0, 1f), new(0, 0.5f)]], 3));
        Assert.Throws<ArgumentException>(() => new WordLabels([[new(0, 0f)]], 3));
        Assert.Throws<ArgumentException>(() => new WordLabels([[new(0, float.NaN)]], 3));
    }

    [Fact]
    public void Whole_network_backward_matches_finite_differences()
    {
        int batch = 6, nin = 5, hidden = 9, nout = 4;
        var net = new DeviseNetwork(nin, hidden, nout, dropout: 0.3f, bnMomentum: 0.1f, bnEpsilon: 1e-5f, maxThreads: 1);
        net.Initialize(new DeviseRandom(12));
        float[] x = Gaussian(batch * nin, 13), t = Gaussian(batch * nout, 14);
        double Loss()
        {
            ReadOnlySpan<float> o = net.ForwardTrain(x, batch, new DeviseRandom(99), updateRunningStats: false);
            return CosineLoss.Compute(o, t, batch, nout, default) * 100.0; // scaled so float rounding is small relative to the slope
        }
        ReadOnlySpan<float> outp = net.ForwardTrain(x, batch, new DeviseRandom(99), updateRunningStats: false);
        var g = new float[batch * nout];
        CosineLoss.Compute(outp, t, batch, nout, g);
        for (int i = 0; i < g.Length; i++) g[i] *= 100f;
        var dx = new float[batch * nin];
        net.Backward(x, g, dx);
        var analytic = new List<float[]>();
        foreach (var p in net.Parameters) analytic.Add((float[])p.Grad.Clone());
        int k = 0;
        string[] names = ["W1", "b1", "gamma1", "beta1", "W2", "b2", "gamma2", "beta2"];
        foreach (var p in net.Parameters)
        {
            // b1 and b2 feed batch norms, so their true gradients are zero: checked separately below.
            if (names[k] is not "b1" and not "b2") AssertGradient(Numeric(p.Value, Loss, 1e-3f), analytic[k], names[k], 3e-2);
            k++;
        }
        foreach (float v in analytic[1]) Assert.True(Math.Abs(v) < 1e-4, $"b1 gradient should vanish under batch norm, got {v}");
        foreach (float v in analytic[5]) Assert.True(Math.Abs(v) < 1e-4, $"b2 gradient should vanish under batch norm, got {v}");
        AssertGradient(Numeric(x, Loss, 1e-3f), dx, "dx", 3e-2);
    }
}
