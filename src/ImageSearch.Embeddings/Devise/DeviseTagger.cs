
namespace ImageSearch;

/// <summary>
/// Tags a DeViSE photo vector with its nearest words (cosine) from a tag vocabulary: the words among the N most frequent
/// of a <see cref="WordVectors"/> table (GloVe's file order is frequency order), or a user word list. The vocabulary sits
/// in an exact cosine <see cref="ExactIndex"/> keyed by word rank. This is the library's one tag path:
/// <see cref="ImageSearchEngine.TagsAsync"/>, the <c>imagesearch</c> tool and the evaluation all tag through it.
/// </summary>
/// <remarks>Thread-safe: immutable after construction; tagging runs concurrently.</remarks>
public sealed class DeviseTagger
{
    private readonly ExactIndex _index;

    /// <summary>
    /// Tags with the words among the <paramref name="mostFrequent"/> most frequent entries: only entries of two or
    /// more letters (<see cref="IsWord"/>), since GloVe's most frequent tokens include punctuation and numbers.
    /// </summary>
    /// <param name="words">The word vectors (the space the head was trained into).</param>
    /// <param name="mostFrequent">How many of the first entries to consider (capped at the vocabulary size); positive.</param>
    public DeviseTagger(WordVectors words, int mostFrequent = 50_000)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(mostFrequent);
        int n = Math.Min(mostFrequent, words.Count);
        var ranks = new List<int>(n);
        for (int i = 0; i < n; i++)
            if (IsWord(words.Words[i])) ranks.Add(i);
        Words = words;
        _index = Build(words, ranks.ToArray());
    }

    /// <summary>Whether a vocabulary entry may be a frequency-chosen tag: two or more characters, every one a letter.</summary>
    /// <param name="entry">A vocabulary entry.</param>
    /// <returns><see langword="true"/> for a word such as <c>dog</c>; <see langword="false"/> for <c>,</c>, <c>1990</c> or <c>a</c>.</returns>
    public static bool IsWord(string entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Length < 2) return false;
        foreach (char c in entry)
            if (!char.IsLetter(c)) return false;
        return true;
    }

    /// <summary>Tags with a user word list (taken as given, without the <see cref="IsWord"/> filter).</summary>
    /// <param name="words">The word vectors.</param>
    /// <param name="vocabulary">The allowed tags; duplicates are ignored.</param>
    /// <exception cref="UnknownWordException">A word is not in <paramref name="words"/> (all unknown ones are named).</exception>
    /// <exception cref="ArgumentException">The list is empty.</exception>
    public DeviseTagger(WordVectors words, IEnumerable<string> vocabulary)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(vocabulary);
        var ranks = new List<int>();
        var seen = new HashSet<int>();
        var unknown = new List<string>();
        foreach (string w in vocabulary)
        {
            int r = words.IndexOf(w);
            if (r < 0) unknown.Add(w);
            else if (seen.Add(r)) ranks.Add(r);
        }
        if (unknown.Count > 0) throw new UnknownWordException(unknown, words.Count);
        if (ranks.Count == 0) throw new ArgumentException("The tag vocabulary is empty.", nameof(vocabulary));
        Words = words;
        _index = Build(words, ranks.ToArray());
    }

    /// <summary>The word vectors tags come from.</summary>
    public WordVectors Words { get; }

    /// <summary>Number of candidate tags (zero-vector words are left out).</summary>
    public int VocabularySize => _index.Count;

    private static ExactIndex Build(WordVectors words, int[] ranks)
    {
        int d = words.Dimension;
        var keys = new List<long>(ranks.Length);
        var vectors = new float[ranks.Length * d];
        int k = 0;
        foreach (int r in ranks)
        {
            ReadOnlySpan<float> v = words.GetVector(r);
            if (v.IndexOfAnyExcept(0f) < 0) continue; // no direction under cosine
            v.CopyTo(vectors.AsSpan(k * d));
            keys.Add(r);
            k++;
        }
        var index = new ExactIndex(d, DistanceMetric.Cosine);
        index.AddRange(keys.ToArray(), vectors.AsSpan(0, k * d));
        return index;
    }

    /// <summary>The <paramref name="k"/> nearest tags of a photo vector.</summary>
    /// <param name="photoVector">A DeViSE vector (<see cref="WordVectors.Dimension"/> finite elements, not zero).</param>
    /// <param name="k">How many tags; positive.</param>
    /// <returns>The tags, nearest first, with cosine distances.</returns>
    /// <exception cref="ArgumentException">Wrong length, NaN or zero vector.</exception>
    public ImageTags Tag(ReadOnlySpan<float> photoVector, int k = 5)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        if (photoVector.Length != Words.Dimension)
            throw new ArgumentException($"Expected a {Words.Dimension}-d vector, got {photoVector.Length}.", nameof(photoVector));
        SearchResult[] hits = ((IVectorIndex)_index).Search(photoVector, k);
        var tags = new WordNeighbour[hits.Length];
        for (int i = 0; i < hits.Length; i++) tags[i] = new WordNeighbour(Words.Words[(int)hits[i].Key], (int)hits[i].Key, hits[i].Distance);
        return new ImageTags(tags);
    }

    /// <summary>Tags many photo vectors at once (row after row), using every core.</summary>
    /// <param name="photoVectors">A multiple of <see cref="WordVectors.Dimension"/> elements.</param>
    /// <param name="k">Tags per photo; positive.</param>
    /// <returns>One <see cref="ImageTags"/> per row.</returns>
    public ImageTags[] TagBatch(ReadOnlySpan<float> photoVectors, int k = 5)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        if (photoVectors.Length % Words.Dimension != 0)
            throw new ArgumentException($"Length {photoVectors.Length} is not a multiple of {Words.Dimension}.", nameof(photoVectors));
        SearchResult[][] all = _index.SearchBatch(photoVectors, k);
        var r = new ImageTags[all.Length];
        for (int q = 0; q < all.Length; q++)
        {
            var tags = new WordNeighbour[all[q].Length];
            for (int i = 0; i < tags.Length; i++) tags[i] = new WordNeighbour(Words.Words[(int)all[q][i].Key], (int)all[q][i].Key, all[q][i].Distance);
            r[q] = new ImageTags(tags);
        }
        return r;
    }
}

/// <summary>A photo's tags, nearest first. <see cref="WordNeighbour.WordIndex"/> is the word's frequency rank.</summary>
/// <param name="Tags">The tags with cosine distances.</param>
public sealed record ImageTags(IReadOnlyList<WordNeighbour> Tags)
{
    /// <summary>Whether <paramref name="word"/> is among the first <paramref name="k"/> tags (ordinal, case-insensitive).</summary>
    /// <param name="word">The word.</param>
    /// <param name="k">How many leading tags to look at; all when larger than the list.</param>
    /// <returns><see langword="true"/> when found.</returns>
    public bool Contains(string word, int k = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(word);
        for (int i = 0; i < Tags.Count && i < k; i++)
            if (string.Equals(Tags[i].Word, word, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    /// <summary>The tags as "word (distance)" text.</summary>
    /// <returns>A readable list.</returns>
    public override string ToString() => string.Join(", ", Tags.Select(t => $"{t.Word} ({t.CosineDistance:F3})"));
}
