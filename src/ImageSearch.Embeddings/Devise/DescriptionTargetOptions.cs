namespace ImageSearch;

/// <summary>How <see cref="DescriptionTargets"/> weighs the content words of a photo's description.</summary>
public enum DescriptionWordWeighting
{
    /// <summary>Each distinct content word counts once.</summary>
    Uniform = 0,

    /// <summary>A word counts as often as it occurs in the description (words several captions repeat weigh more).</summary>
    Frequency = 1,

    /// <summary>Occurrences times the inverse document frequency <c>ln(N / df)</c> over the photos' descriptions (words every description uses weigh less).</summary>
    Idf = 2,
}

/// <summary>
/// Settings of <see cref="DescriptionTargets"/>: how a photo's label word and the content words of its description are
/// combined into one DeViSE target. Defaults were chosen on validation folds of Pascal Sentences (see
/// <c>docs/evaluation.md</c>). Immutable.
/// </summary>
public sealed record DescriptionTargetOptions
{
    /// <summary>
    /// Share of the target given to the label's words when a photo has both a label and description words, in [0, 1];
    /// the description's words share the rest. A photo with only one of the two gets all of it.
    /// </summary>
    public float LabelWeight { get; init; } = 0.5f;

    /// <summary>How the description's content words are weighed against each other.</summary>
    public DescriptionWordWeighting Weighting { get; init; } = DescriptionWordWeighting.Idf;

    /// <summary>
    /// A word must occur in the descriptions of at least this many photos to be used (drops typos and names that
    /// no other photo shares); 1 keeps every known word.
    /// </summary>
    public int MinPhotos { get; init; } = 2;

    /// <summary>Words never used as targets (lower case); <see langword="null"/> for <see cref="DescriptionTargets.EnglishStopWords"/>.</summary>
    public IReadOnlySet<string>? StopWords { get; init; }

    internal void Validate()
    {
        if (!(LabelWeight >= 0f && LabelWeight <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(LabelWeight), LabelWeight, "Must be in [0, 1].");
        }

        if (!Enum.IsDefined(Weighting))
        {
            throw new ArgumentOutOfRangeException(nameof(Weighting), Weighting, "Unknown weighting.");
        }

        if (MinPhotos < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MinPhotos), MinPhotos, "Must be at least 1.");
        }
    }
}
