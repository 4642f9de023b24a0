namespace ImageSearch;

/// <summary>Settings of <see cref="LogisticRegressionHead.Train"/>.</summary>
public sealed record LogisticRegressionOptions
{
    /// <summary>L2 penalty on the weights (not the bias), as <c>lambda / 2 * |W|^2</c> added to the mean cross-entropy; default 1e-3.</summary>
    public double L2 { get; init; } = 1e-3;

    /// <summary>Maximum L-BFGS iterations (default 300).</summary>
    public int MaxIterations { get; init; } = 300;

    /// <summary>Stop when the gradient's largest element falls below this (default 1e-5).</summary>
    public double Tolerance { get; init; } = 1e-5;

    /// <summary>L-BFGS history length (default 10).</summary>
    public int History { get; init; } = 10;

    /// <summary>
    /// Standardise each feature (zero mean, unit variance) while training, which conditions the problem better; the
    /// returned weights are converted back so they apply to the raw embeddings (default <see langword="true"/>).
    /// </summary>
    public bool Standardize { get; init; } = true;

    internal void Validate()
    {
        if (!double.IsFinite(L2) || L2 < 0)
        {
            throw new ArgumentException($"L2 must be finite and non-negative; it is {L2}.", "options");
        }

        if (MaxIterations < 1 || History < 1 || !(Tolerance >= 0))
        {
            throw new ArgumentException("MaxIterations and History must be positive and Tolerance non-negative.", "options");
        }
    }
}
