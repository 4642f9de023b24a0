
namespace ImageSearch.Embeddings.Tests.Devise;

public class DeviseTrainerTests
{
    private static readonly DeviseTrainingOptions Small = new()
    {
        HiddenSize = 64, Epochs = 30, BatchSize = 32, LearningRate = 0.05f, Patience = 0, Seed = 5,
    };

    [Fact]
    public void Synthetic_problem_is_learned_and_generalises()
    {
        var train = new SyntheticData(8, 40, 24, 10, seed: 1);
        var fresh = new SyntheticData(8, 60, 24, 10, seed: 1); // same prototypes and targets; its first 320 rows equal 'train'
        var result = new DeviseTrainer(Small).Train(train.Features, train.Targets, train.FeatureDim, train.TargetDim);
        var h = result.History;
        Assert.Equal(30, h.Epochs.Count);
        Assert.True(h.Epochs[^1].TrainingLoss < 0.5f * h.Epochs[0].TrainingLoss, $"loss {h.Epochs[0].TrainingLoss} -> {h.Epochs[^1].TrainingLoss}");
        Assert.True(h.Epochs[h.BestEpoch - 1].ValidationLoss < 0.2f, $"validation loss {h.Epochs[h.BestEpoch - 1].ValidationLoss}");
        // The rows after the first 320 of 'fresh' were never seen (its noise stream runs past the training set's).
        var unseen = new SyntheticDataView(fresh, 320, 160);
        Assert.True(unseen.Accuracy(result.Head) >= 0.95, $"held-out accuracy {unseen.Accuracy(result.Head)}");
    }

    [Fact]
    public void Adam_and_cosine_schedule_also_learn()
    {
        var data = new SyntheticData(6, 30, 16, 8, seed: 2);
        var o = Small with { Optimizer = DeviseOptimizer.Adam, LearningRate = 1e-2f, Schedule = LearningRateSchedule.Cosine, WeightDecay = 1e-2f };
        var result = new DeviseTrainer(o).Train(data.Features, data.Targets, data.FeatureDim, data.TargetDim);
        double acc = data.NearestClassAccuracy(result.Head);
        Assert.True(acc >= 0.95, $"training accuracy {acc}");
    }

    [Fact]
    public void Mixup_training_still_learns()
    {
        var data = new SyntheticData(6, 30, 16, 8, seed: 2);
        var o = Small with { MixupAlpha = 0.4f, Epochs = 40 };
        var result = new DeviseTrainer(o).Train(data.Features, data.Targets, data.FeatureDim, data.TargetDim);
        double acc = data.NearestClassAccuracy(result.Head);
        Assert.True(acc >= 0.9, $"training accuracy {acc}");
    }

    [Fact]
    public void Beta_draws_have_the_right_mean_and_shape()
    {
        var r = new DeviseRandom(11);
        double sum = 0;
        int extreme = 0;
        const int N = 20000;
        for (int i = 0; i < N; i++)
        {
            float b = r.NextBeta(0.2);
            Assert.InRange(b, 0f, 1f);
            sum += b;
            if (b < 0.1f || b > 0.9f) extreme++;
        }
        Assert.InRange(sum / N, 0.48, 0.52);          // Beta(a, a) has mean 1/2
        Assert.InRange(extreme / (double)N, 0.6, 0.8); // Beta(0.2, 0.2) puts about 70% of its mass below 0.1 or above 0.9
    }

    [Fact]
    public void Same_seed_gives_bit_identical_weights_for_any_thread_count()
    {
        var data = new SyntheticData(5, 30, 20, 6, seed: 3);
        var o = Small with { Epochs = 4, HiddenSize = 48 };
        var a = new DeviseTrainer(o with { MaxDegreeOfParallelism = 1 }).Train(data.Features, data.Targets, data.FeatureDim, data.TargetDim);
        var b = new DeviseTrainer(o with { MaxDegreeOfParallelism = -1 }).Train(data.Features, data.Targets, data.FeatureDim, data.TargetDim);
        var c = new DeviseTrainer(o with { Seed = o.Seed + 1 }).Train(data.Features, data.Targets, data.FeatureDim, data.TargetDim);
        for (int i = 0; i < a.Head.State.Length; i++) Assert.Equal(a.Head.State[i], b.Head.State[i]);
        Assert.NotEqual(a.Head.State[0], c.Head.State[0]);
        Assert.Equal(a.History.Epochs, b.History.Epochs);
    }

    [Fact]
    public void Early_stopping_keeps_the_best_epoch()
    {
        var data = new SyntheticData(4, 20, 12, 5, seed: 4, noise: 3f); // noisy: validation loss turns up early
        var o = Small with { Epochs = 200, Patience = 3, Schedule = LearningRateSchedule.Constant, LearningRate = 0.1f, WeightDecay = 0f, ValidationFraction = 0.3f };
        var r = new DeviseTrainer(o).Train(data.Features, data.Targets, data.FeatureDim, data.TargetDim);
        Assert.True(r.History.StoppedEarly);
        Assert.True(r.History.Epochs.Count < 200);
        Assert.Equal(r.History.Epochs.Count - 3, r.History.BestEpoch);
        float best = r.History.Epochs[r.History.BestEpoch - 1].ValidationLoss!.Value;
        foreach (var e in r.History.Epochs) Assert.True(e.ValidationLoss >= best);
    }

    [Fact]
    public void Bad_input_is_rejected_with_the_argument_named()
    {
        var t = new DeviseTrainer(Small);
        var ex = Assert.Throws<ArgumentException>(() => t.Train(new float[10], new float[6], 5, 3));
        Assert.Equal("targets", ex.ParamName); // 2 feature rows vs 2 target rows is fine: zero targets are not
        float[] x = [1, 2, 3, float.NaN, 5, 6];
        Assert.Equal("features", Assert.Throws<ArgumentException>(() => t.Train(x, new float[] { 1, 1, 1, 1 }, 3, 2)).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentException>(() => t.Train(new float[6], new float[5], 3, 2)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeviseTrainer(new DeviseTrainingOptions { BatchSize = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeviseTrainer(new DeviseTrainingOptions { DropoutRate = 1f }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeviseTrainer(new DeviseTrainingOptions { LearningRate = float.NaN }));
    }

    [Fact]
    public void Schedules_start_peak_and_end_where_documented()
    {
        var one = new DeviseTrainingOptions { LearningRate = 1f, Schedule = LearningRateSchedule.OneCycle, WarmupFraction = 0.25f };
        Assert.Equal(1f / 25, one.RateAt(0, 101), 5);
        Assert.Equal(1f, one.RateAt(25, 101), 5);
        Assert.Equal(1e-4f, one.RateAt(100, 101), 5);
        var cos = one with { Schedule = LearningRateSchedule.Cosine };
        Assert.Equal(0f, cos.RateAt(100, 101), 5);
        Assert.True(cos.RateAt(60, 101) < cos.RateAt(40, 101));
    }

    /// <summary>Rows [start, start+count) of a synthetic set.</summary>
    private sealed class SyntheticDataView(SyntheticData d, int start, int count)
    {
        public double Accuracy(DeviseHead head)
        {
            int ok = 0;
            var v = new float[d.TargetDim];
            for (int s = start; s < start + count; s++)
            {
                head.Embed(d.Features.AsSpan(s * d.FeatureDim, d.FeatureDim), v);
                int best = -1; double bestCos = double.NegativeInfinity;
                for (int c = 0; c < d.Classes; c++)
                {
                    double dot = 0, nn = 0;
                    for (int j = 0; j < d.TargetDim; j++) { dot += v[j] * d.ClassVectors[c * d.TargetDim + j]; nn += d.ClassVectors[c * d.TargetDim + j] * d.ClassVectors[c * d.TargetDim + j]; }
                    if (dot / Math.Sqrt(nn) > bestCos) { bestCos = dot / Math.Sqrt(nn); best = c; }
                }
                if (best == d.Labels[s]) ok++;
            }
            return ok / (double)count;
        }
    }
}

public class StandardizationTests
{
    [Fact]
    public void Folded_standardization_equals_standardizing_the_input()
    {
        int n = 6, d = 5, o = 4;
        var r = new DeviseRandom(3);
        var x = new float[n * d];
        for (int i = 0; i < x.Length; i++) x[i] = 100f + 30f * r.NextGaussian() * (1 + i % d);
        x[2] = x[2 + d] = x[2 + 2 * d] = x[2 + 3 * d] = x[2 + 4 * d] = x[2 + 5 * d] = 7f; // a constant feature
        var layer = new DenseLayer(d, o);
        layer.InitGlorot(r);
        for (int j = 0; j < o; j++) layer.Bias[j] = j;
        var (mean, inv) = DeviseTrainer.Moments(x, n, d);
        Assert.Equal(1f, inv[2]);
        float[] xs = DeviseTrainer.Standardize(x, d, mean, inv);
        for (int j = 0; j < d; j++)
        {
            double m = 0, v = 0;
            for (int s = 0; s < n; s++) m += xs[s * d + j];
            for (int s = 0; s < n; s++) v += xs[s * d + j] * xs[s * d + j];
            Assert.Equal(0, m / n, 3);
            if (j != 2) Assert.Equal(1, v / n, 3);
        }
        var expected = new float[n * o];
        layer.Forward(xs, n, expected);
        DeviseTrainer.FoldStandardization(layer, mean, inv);
        var actual = new float[n * o];
        layer.Forward(x, n, actual);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 2);
    }

    [Fact]
    public void Training_is_insensitive_to_feature_scale_when_standardizing()
    {
        var data = new SyntheticData(6, 30, 16, 8, seed: 9);
        var scaled = (float[])data.Features.Clone();
        for (int i = 0; i < scaled.Length; i++) scaled[i] = scaled[i] * 500f + 20f * (i % 16);
        var o = new DeviseTrainingOptions { HiddenSize = 48, Epochs = 40, BatchSize = 32, Patience = 0, StandardizeInputs = true };
        double scaledAccuracy = new SyntheticDataScaled(data, scaled).Accuracy(new DeviseTrainer(o).Train(scaled, data.Targets, 16, 8).Head);
        double rawAccuracy = data.NearestClassAccuracy(new DeviseTrainer(o).Train(data.Features, data.Targets, 16, 8).Head);
        // Same standardised inputs up to rounding, so the same quality (the fold makes the head take raw features).
        Assert.True(scaledAccuracy >= 0.8 && Math.Abs(scaledAccuracy - rawAccuracy) <= 0.03, $"scaled {scaledAccuracy}, raw {rawAccuracy}");
    }

    private sealed class SyntheticDataScaled(SyntheticData d, float[] features)
    {
        public double Accuracy(DeviseHead head)
        {
            var outp = new float[d.Count * d.TargetDim];
            head.EmbedBatch(features, d.Count, outp);
            int ok = 0;
            for (int s = 0; s < d.Count; s++)
            {
                int best = -1; double bestCos = double.NegativeInfinity;
                for (int c = 0; c < d.Classes; c++)
                {
                    double dot = 0, nn = 0;
                    for (int j = 0; j < d.TargetDim; j++) { dot += outp[s * d.TargetDim + j] * d.ClassVectors[c * d.TargetDim + j]; nn += d.ClassVectors[c * d.TargetDim + j] * d.ClassVectors[c * d.TargetDim + j]; }
                    if (dot / Math.Sqrt(nn) > bestCos) { bestCos = dot / Math.Sqrt(nn); best = c; }
                }
                if (best == d.Labels[s]) ok++;
            }
            return ok / (double)d.Count;
        }
    }
}
