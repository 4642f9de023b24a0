using System.Diagnostics;

namespace ImageSearch;

/// <summary>
/// Trains a <see cref="DeviseHead"/> on frozen CNN features against target word vectors with a cosine loss:
/// mini-batch SGD with Nesterov momentum (or AdamW), weight decay, a learning-rate schedule and early stopping on
/// validation loss, keeping the best weights.
/// </summary>
/// <remarks>
/// <para>Deterministic: the same options (seed included) and data give bit-identical weights, whatever
/// <see cref="DeviseTrainingOptions.MaxDegreeOfParallelism"/> is, because the matrix products split work in fixed
/// blocks and every reduction sums in a fixed order.</para>
/// <para>Thread-safety: the trainer holds only its options; concurrent <c>Train</c> calls are independent.</para>
/// </remarks>
public sealed class DeviseTrainer
{
    /// <summary>Creates a trainer.</summary>
    /// <param name="options">Settings; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (the message names it).</exception>
    public DeviseTrainer(DeviseTrainingOptions? options = null)
    {
        Options = options ?? new DeviseTrainingOptions();
        Options.Validate();
    }

    /// <summary>The settings.</summary>
    public DeviseTrainingOptions Options { get; }

    /// <summary>
    /// Trains on <paramref name="features"/> (row after row) against <paramref name="targets"/>, holding out
    /// <see cref="DeviseTrainingOptions.ValidationFraction"/> of the rows (chosen by the seed) for early stopping.
    /// </summary>
    /// <param name="features">n x <paramref name="featureDimension"/> finite elements.</param>
    /// <param name="targets">n x <paramref name="targetDimension"/> elements: the word vector of each row's label (non-zero).</param>
    /// <param name="featureDimension">Length of each feature row.</param>
    /// <param name="targetDimension">Length of each target row.</param>
    /// <param name="progress">Told after each epoch (on the training thread); may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Checked between mini-batches.</param>
    /// <returns>The head with the best validation loss, and the history.</returns>
    /// <exception cref="ArgumentException">Shapes disagree, fewer than 2 training rows, or a NaN/infinite/zero-target row.</exception>
    public DeviseTrainingResult Train(
        ReadOnlySpan<float> features, ReadOnlySpan<float> targets, int featureDimension, int targetDimension,
        IProgress<DeviseEpoch>? progress = null, CancellationToken cancellationToken = default)
    {
        int n = CheckShapes(features, targets, featureDimension, targetDimension, nameof(features), nameof(targets));
        int nVal = (int)Math.Floor(n * (double)Options.ValidationFraction);
        if (Options.ValidationFraction > 0 && nVal == 0 && n > 2) nVal = 1;
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        // A separate stream for the split, so the split does not shift the initial weights.
        new DeviseRandom(Options.Seed ^ 0x5EED5EEDL).Shuffle(order);
        float[] vx = Gather(features, order.AsSpan(0, nVal), featureDimension);
        float[] vt = Gather(targets, order.AsSpan(0, nVal), targetDimension);
        float[] tx = Gather(features, order.AsSpan(nVal), featureDimension);
        float[] tt = Gather(targets, order.AsSpan(nVal), targetDimension);
        return Train(tx, tt, vx, vt, featureDimension, targetDimension, progress, cancellationToken);
    }

    /// <summary>
    /// Trains on an explicit training set and stops early on an explicit validation set (which may be empty: then
    /// every planned epoch runs and the last weights are kept).
    /// </summary>
    /// <param name="features">Training features, row after row.</param>
    /// <param name="targets">Training target word vectors, row after row.</param>
    /// <param name="validationFeatures">Validation features (may be empty).</param>
    /// <param name="validationTargets">Validation targets (empty exactly when <paramref name="validationFeatures"/> is).</param>
    /// <param name="featureDimension">Length of each feature row.</param>
    /// <param name="targetDimension">Length of each target row.</param>
    /// <param name="progress">Told after each epoch (on the training thread); may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Checked between mini-batches.</param>
    /// <returns>The head and the history.</returns>
    /// <exception cref="ArgumentException">See <see cref="Train(ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, IProgress{DeviseEpoch}?, CancellationToken)"/>.</exception>
    public DeviseTrainingResult Train(
        ReadOnlySpan<float> features, ReadOnlySpan<float> targets,
        ReadOnlySpan<float> validationFeatures, ReadOnlySpan<float> validationTargets,
        int featureDimension, int targetDimension, IProgress<DeviseEpoch>? progress = null, CancellationToken cancellationToken = default)
        => Train(features, targets, validationFeatures, validationTargets, default, featureDimension, targetDimension, progress, cancellationToken);

    /// <summary>
    /// Trains as <see cref="Train(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, IProgress{DeviseEpoch}?, CancellationToken)"/>
    /// does, with the word list of <see cref="DeviseLoss.WordSoftmax"/>: every word a target may hold, and the other
    /// words to push away (for example the label words and the description words of <see cref="DescriptionTargets"/>).
    /// </summary>
    /// <param name="features">Training features, row after row.</param>
    /// <param name="targets">Training targets, row after row (for the softmax: weighted means of unit word vectors).</param>
    /// <param name="validationFeatures">Validation features (may be empty).</param>
    /// <param name="validationTargets">Validation targets (empty exactly when <paramref name="validationFeatures"/> is).</param>
    /// <param name="words">The softmax's word vectors, row after row (made unit length); empty for the distinct target rows. Ignored by the other losses.</param>
    /// <param name="featureDimension">Length of each feature row.</param>
    /// <param name="targetDimension">Length of each target and word row.</param>
    /// <param name="progress">Told after each epoch (on the training thread); may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Checked between mini-batches.</param>
    /// <returns>The head and the history.</returns>
    /// <exception cref="ArgumentException">See the other overloads; or <paramref name="words"/> is not a whole number of non-zero, finite rows.</exception>
    public DeviseTrainingResult Train(
        ReadOnlySpan<float> features, ReadOnlySpan<float> targets,
        ReadOnlySpan<float> validationFeatures, ReadOnlySpan<float> validationTargets, ReadOnlySpan<float> words,
        int featureDimension, int targetDimension, IProgress<DeviseEpoch>? progress = null, CancellationToken cancellationToken = default)
        => Train(features, targets, validationFeatures, validationTargets, words, null, null, featureDimension, targetDimension, progress, cancellationToken);

    /// <summary>
    /// As the public overloads, and with each row's positive words over <paramref name="words"/>, which the losses of
    /// <see cref="DeviseTrainingOptions.WordLoss"/> need (tuning experiments, docs/evaluation.md).
    /// </summary>
    internal DeviseTrainingResult Train(
        ReadOnlySpan<float> features, ReadOnlySpan<float> targets,
        ReadOnlySpan<float> validationFeatures, ReadOnlySpan<float> validationTargets, ReadOnlySpan<float> words,
        WordLabels? labels, WordLabels? validationLabels,
        int featureDimension, int targetDimension, IProgress<DeviseEpoch>? progress = null, CancellationToken cancellationToken = default)
    {
        int n = CheckShapes(features, targets, featureDimension, targetDimension, nameof(features), nameof(targets));
        if (n < 2) throw new ArgumentException("Training needs at least 2 rows.", nameof(features));
        int nVal = validationFeatures.IsEmpty && validationTargets.IsEmpty ? 0
            : CheckShapes(validationFeatures, validationTargets, featureDimension, targetDimension, nameof(validationFeatures), nameof(validationTargets));
        if (!words.IsEmpty) CheckShapes(words, words, targetDimension, targetDimension, nameof(words), nameof(words));

        var o = Options;
        WordCosines? wordCosines = null;
        if (o.WordLoss != WordLabelLoss.None)
        {
            if (words.IsEmpty) throw new ArgumentException("The word losses need the word list.", nameof(words));
            wordCosines = new WordCosines(words, targetDimension, o.MaxDegreeOfParallelism);
            if (labels is null || labels.Count != n || labels.WordCount != wordCosines.Count)
                throw new ArgumentException("The word losses need one row of positive words over the word list per training row.", nameof(labels));
            if (nVal > 0 && (validationLabels is null || validationLabels.Count != nVal || validationLabels.WordCount != wordCosines.Count))
                throw new ArgumentException("The word losses need one row of positive words per validation row.", nameof(validationLabels));
            if (o.MixupAlpha > 0f) throw new ArgumentException("Mixup does not combine with the word losses.", nameof(labels));
        }
        WordHingeLoss? wordHinge = o.WordLoss == WordLabelLoss.Hinge ? new WordHingeLoss(wordCosines!, o.Margin, o.NegativeSamples) : null;
        WordSigmoidLoss? wordSigmoid = o.WordLoss == WordLabelLoss.Sigmoid ? new WordSigmoidLoss(wordCosines!, o.SoftmaxScale, labels!) : null;
        WordQueryLoss? wordQuery = o.WordLoss == WordLabelLoss.Query ? new WordQueryLoss(wordCosines!, o.SoftmaxScale) : null;
        int[] valRows = new int[nVal];
        for (int i = 0; i < nVal; i++) valRows[i] = i;
        var sw = Stopwatch.StartNew();
        float[]? mean = null, invStd = null;
        if (o.InputNormalization == DeviseInputNormalization.L2)
        {
            // Recorded in the head, which applies it to every later input.
            features = DeviseHead.NormalizeRows(features, featureDimension);
            if (nVal > 0) validationFeatures = DeviseHead.NormalizeRows(validationFeatures, featureDimension);
        }
        if (o.StandardizeInputs)
        {
            (mean, invStd) = Moments(features, n, featureDimension);
            features = Standardize(features, featureDimension, mean, invStd);
            if (nVal > 0) validationFeatures = Standardize(validationFeatures, featureDimension, mean, invStd);
        }
        var rng = new DeviseRandom(o.Seed);
        var net = new DeviseNetwork(featureDimension, o.HiddenSize, targetDimension, o.DropoutRate, o.BatchNormMomentum, o.BatchNormEpsilon, o.MaxDegreeOfParallelism);
        net.Initialize(rng);
        var opt = new Optimizer(o, net.Parameters);

        int batch = Math.Min(o.BatchSize, n);
        int fullBatches = n / batch, rest = n % batch;
        // A tail of one row cannot be batch-normalised: it is dropped for that epoch (rows are reshuffled each epoch).
        int batchesPerEpoch = fullBatches + (rest >= 2 ? 1 : 0);
        long totalSteps = (long)batchesPerEpoch * o.Epochs;

        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        var xb = new float[batch * featureDimension];
        var tb = new float[batch * targetDimension];
        var grad = new float[batch * targetDimension];
        float[] grad2 = wordCosines is not null && o.Loss == DeviseLoss.WordSoftmax ? new float[batch * targetDimension] : [];
        float[] mixX = o.MixupAlpha > 0f ? new float[batch * featureDimension] : [];
        float[] mixT = o.MixupAlpha > 0f ? new float[batch * targetDimension] : [];
        var valOut = new float[Math.Max(nVal, 1) * targetDimension];
        bool hinge = o.Loss == DeviseLoss.RankHinge;
        float[] negatives = hinge ? RankHingeLoss.DistinctRows(targets, targetDimension) : [];
        // Over the word list the word losses already normalised, when there is one (same rows: no second copy).
        WordSoftmaxLoss? softmax = o.Loss != DeviseLoss.WordSoftmax ? null
            : wordCosines is not null ? new WordSoftmaxLoss(wordCosines, o.SoftmaxScale)
            : new WordSoftmaxLoss(words.IsEmpty ? RankHingeLoss.DistinctRows(targets, targetDimension) : words, targetDimension, o.SoftmaxScale, o.MaxDegreeOfParallelism);

        var epochs = new List<DeviseEpoch>(o.Epochs);
        float best = float.PositiveInfinity;
        int bestEpoch = 0, sinceBest = 0;
        float[][]? bestState = null;
        bool stoppedEarly = false;
        long step = 0;
        float lr = o.LearningRate;

        for (int epoch = 1; epoch <= o.Epochs; epoch++)
        {
            rng.Shuffle(order);
            double lossSum = 0;
            for (int bi = 0; bi < batchesPerEpoch; bi++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int start = bi * batch;
                int m = Math.Min(batch, n - start);
                for (int r = 0; r < m; r++)
                {
                    int row = order[start + r];
                    features.Slice(row * featureDimension, featureDimension).CopyTo(xb.AsSpan(r * featureDimension));
                    targets.Slice(row * targetDimension, targetDimension).CopyTo(tb.AsSpan(r * targetDimension));
                }
                if (o.MixupAlpha > 0f) Mixup(xb, tb, m, featureDimension, targetDimension, o.MixupAlpha, rng, mixX, mixT);
                ReadOnlySpan<float> x = xb.AsSpan(0, m * featureDimension);
                ReadOnlySpan<float> outp = net.ForwardTrain(x, m, rng);
                Span<float> g = grad.AsSpan(0, m * targetDimension);
                if (wordCosines is not null)
                {
                    // A word loss alone, or added to the softmax with weight WordLossWeight (a two-term loss).
                    float wl = wordHinge is not null ? wordHinge.Compute(outp, labels!, order.AsSpan(start, m), g, rng)
                        : wordSigmoid is not null ? wordSigmoid.Compute(outp, labels!, order.AsSpan(start, m), g)
                        : wordQuery!.Compute(outp, labels!, order.AsSpan(start, m), g);
                    if (softmax is not null)
                    {
                        Span<float> g2 = grad2.AsSpan(0, m * targetDimension);
                        float sl = softmax.Compute(outp, tb.AsSpan(0, m * targetDimension), m, g2);
                        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(g, o.WordLossWeight, g2, g);
                        wl = sl + (o.WordLossWeight * wl);
                    }
                    lossSum += wl;
                }
                else lossSum += softmax is not null ? softmax.Compute(outp, tb.AsSpan(0, m * targetDimension), m, g)
                    : hinge ? RankHingeLoss.Compute(outp, tb.AsSpan(0, m * targetDimension), m, targetDimension, negatives, o.Margin, g)
                    : CosineLoss.Compute(outp, tb.AsSpan(0, m * targetDimension), m, targetDimension, g);
                net.Backward(x, g);
                lr = o.RateAt(step++, totalSteps);
                opt.Step(lr);
            }
            float trainLoss = (float)(lossSum / batchesPerEpoch);
            if (!float.IsFinite(trainLoss))
                throw new InvalidOperationException($"Training diverged at epoch {epoch} (loss {trainLoss}); lower the learning rate.");

            float? valLoss = null;
            if (nVal > 0)
            {
                net.ForwardEval(validationFeatures, nVal, valOut);
                ReadOnlySpan<float> vo = valOut.AsSpan(0, nVal * targetDimension);
                valLoss = wordCosines is not null
                    ? (wordHinge is not null ? wordHinge.Compute(vo, validationLabels!, valRows, default, null)
                        : wordSigmoid is not null ? wordSigmoid.Compute(vo, validationLabels!, valRows, default)
                        : wordQuery!.Compute(vo, validationLabels!, valRows, default))
                        * (softmax is not null ? o.WordLossWeight : 1f)
                        + (softmax is not null ? softmax.Compute(vo, validationTargets, nVal, default) : 0f)
                    : softmax is not null ? softmax.Compute(valOut.AsSpan(0, nVal * targetDimension), validationTargets, nVal, default)
                    : hinge ? RankHingeLoss.Compute(valOut.AsSpan(0, nVal * targetDimension), validationTargets, nVal, targetDimension, negatives, o.Margin, default)
                    : CosineLoss.Compute(valOut.AsSpan(0, nVal * targetDimension), validationTargets, nVal, targetDimension, default);
            }
            var e = new DeviseEpoch(epoch, lr, trainLoss, valLoss);
            epochs.Add(e);
            progress?.Report(e);

            if (valLoss is float v)
            {
                if (v < best)
                {
                    best = v; bestEpoch = epoch; sinceBest = 0;
                    bestState = net.Snapshot();
                }
                else if (o.Patience > 0 && ++sinceBest >= o.Patience)
                {
                    stoppedEarly = epoch < o.Epochs;
                    break;
                }
            }
            else
            {
                bestEpoch = epoch;
            }
        }
        if (bestState is not null) net.Restore(bestState);
        if (mean is not null) FoldStandardization(net.Dense1, mean, invStd!);
        DeviseHead head = net.ToHead(o.InputNormalization);
        sw.Stop();
        return new DeviseTrainingResult(head, new DeviseTrainingHistory(epochs, bestEpoch, stoppedEarly, sw.Elapsed));
    }

    private static int CheckShapes(ReadOnlySpan<float> x, ReadOnlySpan<float> t, int fd, int td, string xName, string tName)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fd, "featureDimension");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(td, "targetDimension");
        if (x.Length % fd != 0) throw new ArgumentException($"Length {x.Length} is not a multiple of the feature dimension {fd}.", xName);
        if (t.Length % td != 0) throw new ArgumentException($"Length {t.Length} is not a multiple of the target dimension {td}.", tName);
        int n = x.Length / fd;
        if (t.Length / td != n) throw new ArgumentException($"{n} feature rows but {t.Length / td} target rows.", tName);
        for (int i = 0; i < x.Length; i++)
            if (!float.IsFinite(x[i])) throw new ArgumentException($"Row {i / fd} has a NaN or infinite feature.", xName);
        for (int r = 0; r < n; r++)
        {
            bool nonZero = false;
            for (int j = 0; j < td; j++)
            {
                float v = t[r * td + j];
                if (!float.IsFinite(v)) throw new ArgumentException($"Row {r} has a NaN or infinite target element.", tName);
                nonZero |= v != 0f;
            }
            if (!nonZero) throw new ArgumentException($"Row {r} has a zero target vector (no direction for the cosine loss).", tName);
        }
        return n;
    }

    // Row r is blended with row m-1-r of the (shuffled) batch; the partner's original values come from a copy.
    private static void Mixup(float[] xb, float[] tb, int m, int fd, int td, float alpha, DeviseRandom rng, float[] mixX, float[] mixT)
    {
        xb.AsSpan(0, m * fd).CopyTo(mixX);
        tb.AsSpan(0, m * td).CopyTo(mixT);
        for (int r = 0; r < m; r++)
        {
            int q = m - 1 - r;
            float l = rng.NextBeta(alpha);
            Span<float> x = xb.AsSpan(r * fd, fd);
            System.Numerics.Tensors.TensorPrimitives.Lerp(mixX.AsSpan(q * fd, fd), mixX.AsSpan(r * fd, fd), l, x);
            Span<float> t = tb.AsSpan(r * td, td);
            System.Numerics.Tensors.TensorPrimitives.Lerp(mixT.AsSpan(q * td, td), mixT.AsSpan(r * td, td), l, t);
        }
    }

    // Per-feature mean and 1/std over the rows (std 0 -> 1: a constant feature is only centred).
    internal static (float[] Mean, float[] InvStd) Moments(ReadOnlySpan<float> x, int n, int d)
    {
        var sum = new double[d];
        var sq = new double[d];
        for (int r = 0; r < n; r++)
        {
            ReadOnlySpan<float> row = x.Slice(r * d, d);
            for (int j = 0; j < d; j++) { sum[j] += row[j]; sq[j] += (double)row[j] * row[j]; }
        }
        var mean = new float[d];
        var inv = new float[d];
        for (int j = 0; j < d; j++)
        {
            double m = sum[j] / n;
            double v = Math.Max(0, sq[j] / n - m * m);
            mean[j] = (float)m;
            inv[j] = v > 1e-12 ? (float)(1 / Math.Sqrt(v)) : 1f;
        }
        return (mean, inv);
    }

    internal static float[] Standardize(ReadOnlySpan<float> x, int d, float[] mean, float[] invStd)
    {
        var r = new float[x.Length];
        for (int i = 0; i < x.Length; i += d)
        {
            Span<float> row = r.AsSpan(i, d);
            System.Numerics.Tensors.TensorPrimitives.Subtract(x.Slice(i, d), mean, row);
            System.Numerics.Tensors.TensorPrimitives.Multiply(row, invStd, row);
        }
        return r;
    }

    // ((x - m) * s) W + b = x (diag(s) W) + (b - (m * s) W): the head then takes raw features.
    internal static void FoldStandardization(DenseLayer dense, float[] mean, float[] invStd)
    {
        int outs = dense.Outputs;
        for (int p = 0; p < dense.Inputs; p++)
        {
            Span<float> row = dense.Weights.AsSpan(p * outs, outs);
            System.Numerics.Tensors.TensorPrimitives.Multiply(row, invStd[p], row);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(row, -mean[p], dense.Bias, dense.Bias);
        }
    }

    private static float[] Gather(ReadOnlySpan<float> src, ReadOnlySpan<int> rows, int dim)
    {
        var dst = new float[rows.Length * dim];
        for (int i = 0; i < rows.Length; i++) src.Slice(rows[i] * dim, dim).CopyTo(dst.AsSpan(i * dim));
        return dst;
    }
}
