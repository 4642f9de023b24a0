namespace ImageSearch;

/// <summary>Which optimiser <see cref="DeviseTrainer"/> uses.</summary>
public enum DeviseOptimizer
{
    /// <summary>Stochastic gradient descent with Nesterov momentum; L2 weight decay added to the gradient.</summary>
    SgdNesterov = 0,

    /// <summary>Adam with decoupled weight decay (AdamW).</summary>
    Adam = 1,
}

/// <summary>The loss <see cref="DeviseTrainer"/> minimises.</summary>
public enum DeviseLoss
{
    /// <summary>Mean of <c>1 - cos(prediction, target)</c>.</summary>
    Cosine = 0,

    /// <summary>
    /// DeViSE's hinge rank loss on cosines: for each other distinct target word w (the other class words),
    /// <c>max(0, margin - cos(p, target) + cos(p, w))</c>, summed, averaged over rows. See <see cref="DeviseTrainingOptions.Margin"/>.
    /// </summary>
    RankHinge = 1,

    /// <summary>
    /// Softmax over a word list on cosines scaled by <see cref="DeviseTrainingOptions.SoftmaxScale"/>, with the target
    /// row as a soft label: a target that is the weighted mean of unit word vectors (<see cref="DescriptionTargets"/>)
    /// means "these words, with these weights"; every listed word the target does not hold is pushed away. The list is
    /// given to <c>DeviseTrainer.Train</c> (by default the distinct target rows). Fits several positive words per photo.
    /// </summary>
    WordSoftmax = 2,
}

/// <summary>Losses over per-row positive words (tuning experiments; see <see cref="DeviseTrainingOptions.WordLoss"/>).</summary>
internal enum WordLabelLoss
{
    /// <summary>None: <see cref="DeviseTrainingOptions.Loss"/> applies.</summary>
    None = 0,

    /// <summary><see cref="WordHingeLoss"/>: margin <see cref="DeviseTrainingOptions.Margin"/>, <see cref="DeviseTrainingOptions.NegativeSamples"/> negatives.</summary>
    Hinge = 1,

    /// <summary><see cref="WordSigmoidLoss"/>: scale <see cref="DeviseTrainingOptions.SoftmaxScale"/>.</summary>
    Sigmoid = 2,

    /// <summary><see cref="WordQueryLoss"/> (each word ranks the batch's rows): scale <see cref="DeviseTrainingOptions.SoftmaxScale"/>.</summary>
    Query = 3,
}

/// <summary>How the learning rate moves over the planned training steps.</summary>
public enum LearningRateSchedule
{
    /// <summary>The base rate throughout.</summary>
    Constant = 0,

    /// <summary>Linear warm-up over <see cref="DeviseTrainingOptions.WarmupFraction"/> of the steps, then cosine decay to zero.</summary>
    Cosine = 1,

    /// <summary>One-cycle: from rate/25 up to the rate over the warm-up fraction, then cosine down to rate/10,000.</summary>
    OneCycle = 2,
}

/// <summary>
/// Settings of <see cref="DeviseTrainer"/>. Defaults were chosen on the validation split carved from the training
/// part of Pascal Sentences (see <c>docs/evaluation.md</c>). Immutable once training starts (init-only).
/// </summary>
public sealed record DeviseTrainingOptions
{
    /// <summary>Width of the hidden layer (2000 in the DeViSE head).</summary>
    public int HiddenSize { get; init; } = 2000;

    /// <summary>Dropout rate after the hidden ReLU, in [0, 1).</summary>
    public float DropoutRate { get; init; } = 0.5f;

    /// <summary>The optimiser.</summary>
    public DeviseOptimizer Optimizer { get; init; } = DeviseOptimizer.SgdNesterov;

    /// <summary>Peak (base) learning rate.</summary>
    public float LearningRate { get; init; } = 0.05f;

    /// <summary>Momentum of SGD (ignored by Adam).</summary>
    public float Momentum { get; init; } = 0.9f;

    /// <summary>Adam's first-moment decay.</summary>
    public float AdamBeta1 { get; init; } = 0.9f;

    /// <summary>Adam's second-moment decay.</summary>
    public float AdamBeta2 { get; init; } = 0.999f;

    /// <summary>Adam's denominator guard.</summary>
    public float AdamEpsilon { get; init; } = 1e-8f;

    /// <summary>Weight decay on the two dense weight matrices (not on biases or batch-norm parameters).</summary>
    public float WeightDecay { get; init; } = 5e-4f;

    /// <summary>Rows per mini-batch (at least 2: batch normalisation needs batch statistics).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Maximum number of passes over the training rows.</summary>
    public int Epochs { get; init; } = 40;

    /// <summary>The learning-rate schedule, planned over <see cref="Epochs"/>.</summary>
    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.OneCycle;

    /// <summary>Fraction of steps spent warming up (cosine and one-cycle schedules).</summary>
    public float WarmupFraction { get; init; } = 0.3f;

    /// <summary>
    /// Fraction of the rows held out for early stopping when no explicit validation set is given; 0 trains on
    /// everything and keeps the last weights.
    /// </summary>
    public float ValidationFraction { get; init; } = 0.1f;

    /// <summary>Epochs without a better validation loss before stopping; 0 never stops early (the best weights are still kept).</summary>
    public int Patience { get; init; } = 10;

    /// <summary>
    /// Standardise each input feature (training-set mean and standard deviation) while training, making training
    /// insensitive to per-feature scale; the transform is folded into the first dense layer afterwards, so the head
    /// still takes raw features. Off by default: the batch norm after the first layer already copes with ResNet
    /// features' scale (no gain on Pascal's validation folds), and it amplifies near-constant noisy features.
    /// </summary>
    public bool StandardizeInputs { get; init; }

    /// <summary>
    /// Scale each feature vector (training, validation and every later input) to unit length before the head;
    /// recorded in the head (<see cref="DeviseHead.InputNormalization"/>). <see cref="DeviseInputNormalization.None"/>
    /// by default.
    /// </summary>
    public DeviseInputNormalization InputNormalization { get; init; }

    /// <summary>
    /// Mixup strength: when positive, each training row is blended with another row of its mini-batch,
    /// <c>x = l*x_i + (1-l)*x_j</c> and likewise the targets, with <c>l ~ Beta(alpha, alpha)</c> (a regulariser for
    /// small data sets). 0 (the default) turns it off.
    /// </summary>
    public float MixupAlpha { get; init; }

    /// <summary>The loss (cosine by default; see <c>docs/evaluation.md</c> for the comparison).</summary>
    public DeviseLoss Loss { get; init; } = DeviseLoss.Cosine;

    /// <summary>Margin of <see cref="DeviseLoss.RankHinge"/> (0.1 as in the DeViSE paper); ignored by the cosine loss.</summary>
    public float Margin { get; init; } = 0.1f;

    /// <summary>Scale (inverse temperature) of the cosines in <see cref="DeviseLoss.WordSoftmax"/>; ignored by the other losses.</summary>
    public float SoftmaxScale { get; init; } = 10f;

    /// <summary>
    /// Tuning experiments only: a loss over per-row positive words (the internal <c>DeviseTrainer.Train</c> overload
    /// with <see cref="WordLabels"/>); when set it replaces <see cref="Loss"/>.
    /// </summary>
    internal WordLabelLoss WordLoss { get; init; }

    /// <summary>
    /// With <see cref="Loss"/> = <see cref="DeviseLoss.WordSoftmax"/> and a <see cref="WordLoss"/>, the loss is the
    /// softmax plus this weight times the word loss (two terms); otherwise ignored.
    /// </summary>
    internal float WordLossWeight { get; init; } = 1f;

    /// <summary>Negatives sampled per row by <see cref="WordLabelLoss.Hinge"/>; 0 for every non-positive listed word.</summary>
    internal int NegativeSamples { get; init; }

    /// <summary>Momentum of the batch-norm running statistics.</summary>
    public float BatchNormMomentum { get; init; } = 0.1f;

    /// <summary>Batch-norm epsilon.</summary>
    public float BatchNormEpsilon { get; init; } = 1e-5f;

    /// <summary>Seed of initial weights, shuffles, dropout masks and the validation split.</summary>
    public long Seed { get; init; } = 42;

    /// <summary>
    /// Threads for the matrix products; -1 for all cores. Results are bit-identical for any value, because work is
    /// partitioned in fixed blocks and every sum runs in a fixed order.
    /// </summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;

    internal void Validate()
    {
        static void Range(bool ok, string name, object value, string why)
        {
            if (!ok) throw new ArgumentOutOfRangeException(name, value, why);
        }
        Range(HiddenSize > 0, nameof(HiddenSize), HiddenSize, "Must be positive.");
        Range(DropoutRate >= 0f && DropoutRate < 1f, nameof(DropoutRate), DropoutRate, "Must be in [0, 1).");
        Range(LearningRate > 0f && float.IsFinite(LearningRate), nameof(LearningRate), LearningRate, "Must be positive and finite.");
        Range(Momentum >= 0f && Momentum < 1f, nameof(Momentum), Momentum, "Must be in [0, 1).");
        Range(AdamBeta1 >= 0f && AdamBeta1 < 1f, nameof(AdamBeta1), AdamBeta1, "Must be in [0, 1).");
        Range(AdamBeta2 >= 0f && AdamBeta2 < 1f, nameof(AdamBeta2), AdamBeta2, "Must be in [0, 1).");
        Range(AdamEpsilon > 0f, nameof(AdamEpsilon), AdamEpsilon, "Must be positive.");
        Range(WeightDecay >= 0f && float.IsFinite(WeightDecay), nameof(WeightDecay), WeightDecay, "Must be non-negative.");
        Range(BatchSize >= 2, nameof(BatchSize), BatchSize, "Must be at least 2.");
        Range(Epochs > 0, nameof(Epochs), Epochs, "Must be positive.");
        Range(WarmupFraction >= 0f && WarmupFraction < 1f, nameof(WarmupFraction), WarmupFraction, "Must be in [0, 1).");
        Range(ValidationFraction >= 0f && ValidationFraction < 1f, nameof(ValidationFraction), ValidationFraction, "Must be in [0, 1).");
        Range(MixupAlpha >= 0f && float.IsFinite(MixupAlpha), nameof(MixupAlpha), MixupAlpha, "Must be non-negative and finite.");
        Range(Margin >= 0f && float.IsFinite(Margin), nameof(Margin), Margin, "Must be non-negative and finite.");
        Range(SoftmaxScale > 0f && SoftmaxScale <= 100f, nameof(SoftmaxScale), SoftmaxScale, "Must be in (0, 100].");
        Range(Enum.IsDefined(Loss), nameof(Loss), Loss, "Unknown loss.");
        Range(Enum.IsDefined(InputNormalization), nameof(InputNormalization), InputNormalization, "Unknown input normalisation.");
        Range(Enum.IsDefined(WordLoss), nameof(WordLoss), WordLoss, "Unknown word loss.");
        Range(WordLossWeight >= 0f && float.IsFinite(WordLossWeight), nameof(WordLossWeight), WordLossWeight, "Must be non-negative and finite.");
        Range(NegativeSamples >= 0, nameof(NegativeSamples), NegativeSamples, "Must be non-negative.");
        Range(Patience >= 0, nameof(Patience), Patience, "Must be non-negative.");
        Range(BatchNormMomentum > 0f && BatchNormMomentum <= 1f, nameof(BatchNormMomentum), BatchNormMomentum, "Must be in (0, 1].");
        Range(BatchNormEpsilon > 0f, nameof(BatchNormEpsilon), BatchNormEpsilon, "Must be positive.");
    }

    internal float RateAt(long step, long totalSteps)
    {
        if (Schedule == LearningRateSchedule.Constant || totalSteps <= 1) return LearningRate;
        double t = (double)step / (totalSteps - 1);
        double w = WarmupFraction;
        if (Schedule == LearningRateSchedule.Cosine)
        {
            if (t < w) return (float)(LearningRate * (step + 1) / (w * totalSteps));
            double u = w >= 1 ? 1 : (t - w) / (1 - w);
            return (float)(LearningRate * 0.5 * (1 + Math.Cos(Math.PI * u)));
        }
        double start = LearningRate / 25.0, end = LearningRate / 1e4;
        if (t < w) return (float)(start + (LearningRate - start) * (t / w));
        double v = (t - w) / (1 - w);
        return (float)(end + (LearningRate - end) * 0.5 * (1 + Math.Cos(Math.PI * v)));
    }
}

/// <summary>One epoch of training.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="LearningRate">Learning rate at the end of the epoch.</param>
/// <param name="TrainingLoss">Mean cosine loss over the epoch's mini-batches (training mode: dropout on).</param>
/// <param name="ValidationLoss">Mean cosine loss on the validation rows in evaluation mode; <see langword="null"/> without validation.</param>
public readonly record struct DeviseEpoch(int Epoch, float LearningRate, float TrainingLoss, float? ValidationLoss);

/// <summary>What happened during training.</summary>
/// <param name="Epochs">Every epoch run, in order.</param>
/// <param name="BestEpoch">The epoch whose weights were kept (the last one without validation).</param>
/// <param name="StoppedEarly">Whether early stopping ended training before the planned epochs.</param>
/// <param name="Elapsed">Wall-clock training time.</param>
public sealed record DeviseTrainingHistory(IReadOnlyList<DeviseEpoch> Epochs, int BestEpoch, bool StoppedEarly, TimeSpan Elapsed);

/// <summary>A trained head and how it was trained.</summary>
/// <param name="Head">The head with the kept (best) weights.</param>
/// <param name="History">Per-epoch losses and timing.</param>
public sealed record DeviseTrainingResult(DeviseHead Head, DeviseTrainingHistory History);
