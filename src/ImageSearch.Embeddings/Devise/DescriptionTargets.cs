using System.Collections.Frozen;
using System.Numerics.Tensors;

namespace ImageSearch;

/// <summary>
/// DeViSE targets from what people wrote about the photos: a photo's target is the weighted mean of the unit vectors
/// of its label's words and of the content words of its description (lower-cased letter runs; stop words, unknown
/// words and words in too few descriptions dropped). With the cosine loss this is the same as a weighted sum of cosine
/// losses to every positive word (<c>sum_i w_i (1 - cos(p, t_i))</c> = const - |p|^-1 p . sum_i w_i t_i), so one target
/// row fits several positive words per photo.
/// </summary>
/// <remarks>
/// Built once over all the photos' descriptions (document frequencies for <see cref="DescriptionWordWeighting.Idf"/>
/// and <see cref="DescriptionTargetOptions.MinPhotos"/>). Immutable and thread-safe once built.
/// </remarks>
public sealed class DescriptionTargets
{
    private readonly Dictionary<string, int> _photosWith;
    private readonly int _photos;
    private readonly IReadOnlySet<string> _stop;
    private string[]? _vocabulary;

    /// <summary>Counts the words of every photo's description.</summary>
    /// <param name="words">The word vectors the targets live in.</param>
    /// <param name="descriptions">One description per photo (<see langword="null"/> or empty for a photo without one).</param>
    /// <param name="options">Settings; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (the message names it).</exception>
    public DescriptionTargets(WordVectors words, IEnumerable<string?> descriptions, DescriptionTargetOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(descriptions);
        Options = options ?? new DescriptionTargetOptions();
        Options.Validate();
        Words = words;
        _stop = Options.StopWords ?? EnglishStopWords;
        _photosWith = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string? text in descriptions)
        {
            _photos++;
            if (string.IsNullOrEmpty(text))
            {
                continue;
            }

            foreach (string w in Tokenize(text).Distinct(StringComparer.Ordinal))
            {
                _photosWith[w] = _photosWith.GetValueOrDefault(w) + 1;
            }
        }
    }

    /// <summary>The settings.</summary>
    public DescriptionTargetOptions Options { get; }

    /// <summary>The word vectors.</summary>
    public WordVectors Words { get; }

    /// <summary>
    /// Every word a target can hold: the known, non-stop words in the descriptions of at least
    /// <see cref="DescriptionTargetOptions.MinPhotos"/> photos, in ordinal order (with the label words, the word list
    /// of <see cref="DeviseLoss.WordSoftmax"/>).
    /// </summary>
    public IReadOnlyList<string> Vocabulary => _vocabulary ??= _photosWith
        .Where(p => p.Key.Length >= 2 && p.Value >= Options.MinPhotos && !_stop.Contains(p.Key) && Words.Contains(p.Key))
        .Select(p => p.Key).Order(StringComparer.Ordinal).ToArray();

    /// <summary>Photos whose descriptions were counted (with or without text).</summary>
    public int PhotoCount => _photos;

    /// <summary>
    /// A small English stop-word list (articles, pronouns, auxiliaries, prepositions, conjunctions), lower case:
    /// words that say nothing about what a photo shows.
    /// </summary>
    public static IReadOnlySet<string> EnglishStopWords { get; } = FrozenSet.Create(StringComparer.Ordinal,
    [
        "a", "an", "the", "and", "or", "but", "nor", "so", "yet", "of", "in", "on", "at", "to", "from", "by", "with",
        "without", "for", "about", "into", "onto", "over", "under", "up", "down", "out", "off", "near", "next", "through",
        "while", "as", "than", "then", "there", "here", "this", "that", "these", "those", "it", "its", "is", "are", "was",
        "were", "be", "been", "being", "am", "has", "have", "had", "having", "do", "does", "did", "doing", "he", "she",
        "they", "them", "their", "theirs", "his", "her", "hers", "him", "we", "us", "our", "you", "your", "i", "me", "my",
        "who", "whom", "whose", "which", "what", "where", "when", "why", "how", "some", "any", "each", "every", "all",
        "both", "few", "more", "most", "other", "another", "such", "no", "not", "only", "own", "same", "very", "can",
        "will", "would", "could", "should", "may", "might", "must", "just", "also", "too", "s", "t", "one", "two",
        "three", "four", "five", "several", "many", "others", "front", "behind", "beside", "around", "top",
        "side", "along", "across", "against", "between", "someone", "something", "like", "looks", "looking",
        "photo", "picture", "image",
    ]);

    /// <summary>The lower-cased letter runs of a text, in order (the caption-word rule of <c>docs/evaluation.md</c>).</summary>
    /// <param name="text">Any text.</param>
    /// <returns>The words (repeats kept).</returns>
    public static IEnumerable<string> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int start = -1;
        for (int i = 0; i <= text.Length; i++)
        {
            bool letter = i < text.Length && char.IsLetter(text[i]);
            if (letter && start < 0)
            {
                start = i;
            }
            else if (!letter && start >= 0)
            {
                yield return text[start..i].ToLowerInvariant();
                start = -1;
            }
        }
    }

    /// <summary>The content words of a description with their weights (summing to 1), heaviest first.</summary>
    /// <param name="description">The photo's description; <see langword="null"/> or empty for none.</param>
    /// <returns>The words used for the target (empty when none qualifies).</returns>
    public IReadOnlyList<KeyValuePair<string, float>> WeighWords(string? description)
    {
        if (string.IsNullOrEmpty(description))
        {
            return [];
        }

        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string w in Tokenize(description))
        {
            if (w.Length < 2 || _stop.Contains(w) || !Words.Contains(w) || _photosWith.GetValueOrDefault(w) < Options.MinPhotos)
            {
                continue;
            }

            counts[w] = counts.GetValueOrDefault(w) + 1;
        }

        var weighted = new List<KeyValuePair<string, float>>(counts.Count);
        double total = 0;
        foreach (var (w, n) in counts)
        {
            double weight = Options.Weighting switch
            {
                DescriptionWordWeighting.Uniform => 1,
                DescriptionWordWeighting.Frequency => n,
                _ => n * Math.Log(Math.Max(_photos, 1) / (double)Math.Max(_photosWith.GetValueOrDefault(w), 1)),
            };
            if (weight > 0)
            {
                weighted.Add(new(w, (float)weight));
                total += weight;
            }
        }

        if (total <= 0)
        {
            return [];
        }

        return weighted
            .Select(p => new KeyValuePair<string, float>(p.Key, (float)(p.Value / total)))
            .OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>The target of one photo: its label's words and its description's content words (see the class remarks).</summary>
    /// <param name="label">The photo's label mapped to words (<see cref="LabelWordMap"/>), or <see langword="null"/> for none.</param>
    /// <param name="description">The photo's description, or <see langword="null"/> for none.</param>
    /// <returns>
    /// The weighted mean of the words' unit vectors (weights summing to 1, so its length is at most 1: what
    /// <see cref="DeviseLoss.WordSoftmax"/> needs; the cosine loss ignores the length), or <see langword="null"/> when
    /// neither gives a word.
    /// </returns>
    /// <exception cref="ArgumentException">The label's vector does not have the word vectors' dimension.</exception>
    public float[]? Target(MappedLabel? label, string? description)
    {
        int d = Words.Dimension;
        if (label is not null && label.Vector.Length != d)
        {
            throw new ArgumentException($"The label's vector is {label.Vector.Length}-d; the word vectors are {d}-d.", nameof(label));
        }

        IReadOnlyList<KeyValuePair<string, float>> words = WeighWords(description);
        bool hasLabel = label is not null && TensorPrimitives.Norm(label.Vector) > 0;
        if (!hasLabel && words.Count == 0)
        {
            return null;
        }

        float labelShare = !hasLabel ? 0f : words.Count == 0 ? 1f : Options.LabelWeight;
        var target = new float[d];
        if (labelShare > 0)
        {
            TensorPrimitives.MultiplyAdd(label!.Vector, labelShare / TensorPrimitives.Norm(label.Vector), target, target);
        }

        foreach (var (w, weight) in words)
        {
            ReadOnlySpan<float> v = Words.GetVector(w);
            float norm = TensorPrimitives.Norm(v);
            if (norm > 0)
            {
                TensorPrimitives.MultiplyAdd(v, (1f - labelShare) * weight / norm, target, target);
            }
        }

        return TensorPrimitives.Norm(target) > 0 ? target : null;
    }
}
