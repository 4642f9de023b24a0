namespace ImageSearch;

/// <summary>
/// Per-row positive words over a word list (indices into it, with weights), row after row: what the word hinge and
/// word sigmoid losses need, which a single target vector cannot carry (both are not linear in the positives).
/// Immutable.
/// </summary>
internal sealed class WordLabels
{
    private readonly int[] _offsets;
    private readonly int[] _words;
    private readonly float[] _weights;

    /// <summary>Packs the rows' positives.</summary>
    /// <param name="rows">Each row's (word index, weight) pairs; every row needs at least one.</param>
    /// <param name="wordCount">Length of the word list the indices point into.</param>
    /// <exception cref="ArgumentException">A row is empty, an index is out of range or repeated, or a weight is not positive and finite.</exception>
    public WordLabels(IReadOnlyList<IReadOnlyList<KeyValuePair<int, float>>> rows, int wordCount)
    {
        ArgumentNullException.ThrowIfNull(rows);
        _offsets = new int[rows.Count + 1];
        var words = new List<int>();
        var weights = new List<float>();
        var seen = new HashSet<int>();
        for (int r = 0; r < rows.Count; r++)
        {
            seen.Clear();
            if (rows[r] is not { Count: > 0 } row) throw new ArgumentException($"Row {r} has no positive word.", nameof(rows));
            foreach (var (w, q) in row)
            {
                if ((uint)w >= (uint)wordCount) throw new ArgumentException($"Row {r}: word index {w} is outside the list of {wordCount}.", nameof(rows));
                if (!seen.Add(w)) throw new ArgumentException($"Row {r}: word index {w} is repeated.", nameof(rows));
                if (!(q > 0f && float.IsFinite(q))) throw new ArgumentException($"Row {r}: weight {q} is not positive and finite.", nameof(rows));
                words.Add(w);
                weights.Add(q);
            }
            _offsets[r + 1] = words.Count;
        }
        _words = [.. words];
        _weights = [.. weights];
        WordCount = wordCount;
    }

    /// <summary>Rows.</summary>
    public int Count => _offsets.Length - 1;

    /// <summary>Length of the word list.</summary>
    public int WordCount { get; }

    /// <summary>The word indices of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<int> Words(int row) => _words.AsSpan(_offsets[row], _offsets[row + 1] - _offsets[row]);

    /// <summary>The weights of row <paramref name="row"/> (same order as <see cref="Words"/>).</summary>
    public ReadOnlySpan<float> Weights(int row) => _weights.AsSpan(_offsets[row], _offsets[row + 1] - _offsets[row]);
}
