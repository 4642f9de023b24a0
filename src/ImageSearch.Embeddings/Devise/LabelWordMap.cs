
namespace ImageSearch;

/// <summary>
/// Maps class labels (folder names, which are not always words: <c>diningtable</c>, <c>tvmonitor</c>,
/// <c>potted_plant</c>) to word-space target vectors; a label of several words targets the average of their vectors.
/// </summary>
/// <remarks>
/// <para>The general rule (<see cref="Default"/>), for a label without an override: the label as it is, when it is a
/// word (looked up case-insensitively); otherwise its parts split on <c>_</c>, <c>-</c>, spaces, dots and camelCase
/// boundaries; and each part that is still not a word is segmented into known words by dynamic programming, choosing
/// the fewest words and, among those, the most frequent (the highest product of 1 / (rank + 1)):
/// <c>diningtable</c> -> <c>dining table</c>, <c>tvmonitor</c> -> <c>tv monitor</c>.</para>
/// <para>Overrides (label -> phrases, tried in order before the general rule) fix labels the rule gets wrong.</para>
/// <para>Immutable and thread-safe once built.</para>
/// </remarks>
public sealed class LabelWordMap
{
    // Longest piece tried when segmenting (GloVe has longer tokens, but no useful label word is longer).
    private const int MaxWordLength = 24;

    private readonly Dictionary<string, string[]> _map;

    /// <summary>Creates a map with overrides.</summary>
    /// <param name="overrides">Label (case-insensitive) -> phrases to try in order before the general rule (each phrase:
    /// words separated by spaces). May be empty.</param>
    /// <exception cref="ArgumentException">A label is blank or has no phrases or a blank phrase.</exception>
    public LabelWordMap(IEnumerable<KeyValuePair<string, string[]>> overrides)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        _map = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var (label, phrases) in overrides)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(label, nameof(overrides));
            if (phrases is null || phrases.Length == 0 || phrases.Any(string.IsNullOrWhiteSpace))
                throw new ArgumentException($"Label '{label}' needs at least one non-blank phrase.", nameof(overrides));
            _map[label] = (string[])phrases.Clone();
        }
    }

    /// <summary>The general rule with no overrides (see the remarks); what <see cref="ImageSearchEngine"/> uses unless told otherwise.</summary>
    public static LabelWordMap Default { get; } = new([]);

    /// <summary>Resolves a label to its words and target vector.</summary>
    /// <param name="label">The class label.</param>
    /// <param name="words">The word vectors.</param>
    /// <returns>The words used and their averaged vector.</returns>
    /// <exception cref="ArgumentException">Neither an override nor the general rule gives words that are all in the
    /// vocabulary (the message says what was tried).</exception>
    public MappedLabel Map(string label, WordVectors words)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(label);
        ArgumentNullException.ThrowIfNull(words);
        var tried = new List<string>();
        if (_map.TryGetValue(label, out var phrases))
        {
            foreach (string phrase in phrases)
            {
                string[] parts = phrase.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (parts.Length > 0 && parts.All(words.Contains)) return Mapped(label, parts, words);
                tried.Add($"'{phrase}'");
            }
        }

        if (GeneralWords(label.Trim(), words) is { } general) return Mapped(label, general, words);
        tried.Add($"'{label}' as a word, split on separators and camelCase, and segmented into known words");
        throw new ArgumentException(
            $"Label '{label}' has no word vector: tried {string.Join(", ", tried)}. Give it words with a LabelWordMap override.",
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

    private static MappedLabel Mapped(string label, string[] parts, WordVectors words)
    {
        var v = new float[words.Dimension];
        foreach (string w in parts)
        {
            ReadOnlySpan<float> wv = words.GetVector(w);
            for (int j = 0; j < v.Length; j++) v[j] += wv[j];
        }
        for (int j = 0; j < v.Length; j++) v[j] /= parts.Length;
        return new MappedLabel(label, parts, v);
    }

    // The general rule: the label itself, else its separator/camelCase parts, each segmented when it is not a word.
    // Words are returned in the vocabulary's spelling; null when some part cannot be covered by known words.
    private static string[]? GeneralWords(string label, WordVectors words)
    {
        int whole = words.IndexOf(label);
        if (whole >= 0) return [words.Words[whole]];
        var result = new List<string>();
        foreach (string part in SplitParts(label))
        {
            int rank = words.IndexOf(part);
            if (rank >= 0)
            {
                result.Add(words.Words[rank]);
                continue;
            }

            if (Segment(part, words) is not { } pieces) return null;
            result.AddRange(pieces);
        }

        return result.Count > 0 ? [.. result] : null;
    }

    private static List<string> SplitParts(string label)
    {
        var parts = new List<string>();
        int start = 0;
        for (int i = 0; i <= label.Length; i++)
        {
            bool separator = i == label.Length || label[i] is '_' or '-' or ' ' or '.';
            bool camel = !separator && i > start && char.IsUpper(label[i])
                && (char.IsLower(label[i - 1]) || char.IsDigit(label[i - 1]) || (char.IsUpper(label[i - 1]) && i + 1 < label.Length && char.IsLower(label[i + 1])));
            if (!separator && !camel) continue;
            if (i > start) parts.Add(label[start..i]);
            start = separator ? i + 1 : i;
        }

        return parts;
    }

    // Dynamic programming over prefixes: fewest words, then the least total -log frequency (Zipf: p(rank) ~ 1/(rank+1)).
    private static string[]? Segment(string text, WordVectors words)
    {
        int n = text.Length;
        var count = new int[n + 1];
        var cost = new double[n + 1];
        var from = new int[n + 1];
        var rankAt = new int[n + 1];
        Array.Fill(count, int.MaxValue);
        count[0] = 0;
        for (int end = 1; end <= n; end++)
        {
            for (int begin = Math.Max(0, end - MaxWordLength); begin < end; begin++)
            {
                if (count[begin] == int.MaxValue) continue;
                int rank = words.IndexOf(text.AsSpan(begin, end - begin));
                if (rank < 0) continue;
                int c = count[begin] + 1;
                double w = cost[begin] + Math.Log(rank + 1.0);
                if (c < count[end] || (c == count[end] && w < cost[end]))
                {
                    (count[end], cost[end], from[end], rankAt[end]) = (c, w, begin, rank);
                }
            }
        }

        if (count[n] == int.MaxValue) return null;
        var pieces = new string[count[n]];
        for (int end = n, k = pieces.Length - 1; end > 0; end = from[end], k--) pieces[k] = words.Words[rankAt[end]];
        return pieces;
    }
}

/// <summary>A label resolved to words.</summary>
/// <param name="Label">The class label.</param>
/// <param name="Words">The words whose vectors were averaged (one for a plain word).</param>
/// <param name="Vector">The target vector (the average, not normalised).</param>
public sealed record MappedLabel(string Label, IReadOnlyList<string> Words, float[] Vector);
