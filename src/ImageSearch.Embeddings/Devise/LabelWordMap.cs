
namespace ImageSearch;

/// <summary>
/// Maps class labels (which are not always words: <c>diningtable</c>, <c>tvmonitor</c>) to word-space target
/// vectors. Each label may have a list of alternative phrases, tried in order; the first whose words are all in the
/// vocabulary is used, and a multi-word phrase is the average of its words' vectors. A label without an entry is
/// used as a word itself, or, when it holds '_', '-' or spaces, as the phrase of its parts.
/// </summary>
/// <remarks>Immutable and thread-safe once built.</remarks>
public sealed class LabelWordMap
{
    private readonly Dictionary<string, string[]> _map;

    /// <summary>Creates a map.</summary>
    /// <param name="alternatives">Label -> phrases to try in order (each phrase: words separated by spaces). May be empty.</param>
    /// <exception cref="ArgumentException">A label has no phrases or a blank phrase.</exception>
    public LabelWordMap(IEnumerable<KeyValuePair<string, string[]>> alternatives)
    {
        ArgumentNullException.ThrowIfNull(alternatives);
        _map = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var (label, phrases) in alternatives)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(label, nameof(alternatives));
            if (phrases is null || phrases.Length == 0 || phrases.Any(string.IsNullOrWhiteSpace))
                throw new ArgumentException($"Label '{label}' needs at least one non-blank phrase.", nameof(alternatives));
            _map[label] = (string[])phrases.Clone();
        }
    }

    /// <summary>
    /// The Pascal VOC defaults: diningtable -> "dining table"; pottedplant -> "potted plant", else "plant";
    /// tvmonitor -> "tv monitor", else "television"; aeroplane -> "aeroplane", else "airplane"; motorbike ->
    /// "motorbike", else "motorcycle". Other Pascal labels are words.
    /// </summary>
    public static LabelWordMap PascalDefaults { get; } = new(new Dictionary<string, string[]>
    {
        ["diningtable"] = ["dining table", "table"],
        ["pottedplant"] = ["potted plant", "plant"],
        ["tvmonitor"] = ["tv monitor", "television"],
        ["aeroplane"] = ["aeroplane", "airplane"],
        ["motorbike"] = ["motorbike", "motorcycle"],
    });

    /// <summary>Resolves a label to its words and target vector.</summary>
    /// <param name="label">The class label.</param>
    /// <param name="words">The word vectors.</param>
    /// <returns>The words used and their averaged vector.</returns>
    /// <exception cref="ArgumentException">No phrase of the label has all its words in the vocabulary (the message lists what was tried).</exception>
    public MappedLabel Map(string label, WordVectors words)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(label);
        ArgumentNullException.ThrowIfNull(words);
        string[] phrases = _map.TryGetValue(label, out var alt) ? alt
            : label.IndexOfAny(['_', '-', ' ']) >= 0 ? [label.Replace('_', ' ').Replace('-', ' ')] : [label];
        foreach (string phrase in phrases)
        {
            string[] parts = phrase.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length == 0 || !parts.All(words.Contains)) continue;
            var v = new float[words.Dimension];
            foreach (string w in parts)
            {
                ReadOnlySpan<float> wv = words.GetVector(w);
                for (int j = 0; j < v.Length; j++) v[j] += wv[j];
            }
            for (int j = 0; j < v.Length; j++) v[j] /= parts.Length;
            return new MappedLabel(label, parts, v);
        }
        throw new ArgumentException(
            $"Label '{label}' has no word vector: tried {string.Join(", ", phrases.Select(p => "'" + p + "'"))}. Add it to the LabelWordMap.",
            nameof(label));
    }

    /// <summary>Resolves many labels (for example the class names of a data set).</summary>
    /// <param name="labels">The labels.</param>
    /// <param name="words">The word vectors.</param>
    /// <returns>One mapping per label, in order.</returns>
    /// <exception cref="ArgumentException">See <see cref="Map"/>; raised before anything is returned.</exception>
    public MappedLabel[] MapAll(IReadOnlyList<string> labels, WordVectors words)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var r = new MappedLabel[labels.Count];
        for (int i = 0; i < r.Length; i++) r[i] = Map(labels[i], words);
        return r;
    }
}

/// <summary>A label resolved to words.</summary>
/// <param name="Label">The class label.</param>
/// <param name="Words">The words whose vectors were averaged (one for a plain word).</param>
/// <param name="Vector">The target vector (the average, not normalised).</param>
public sealed record MappedLabel(string Label, IReadOnlyList<string> Words, float[] Vector);
