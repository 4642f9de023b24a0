
namespace ImageSearch;

/// <summary>
/// Searches photos by words over an index of DeViSE photo vectors: one word, several words (average or sum of their
/// vectors, as training targets are built) or word arithmetic (<c>"beach + dog - water"</c>: unit-length word vectors
/// added and subtracted, as in word-analogy arithmetic). Any word of the vocabulary works, not only trained labels.
/// </summary>
/// <remarks>Thread-safe when the index is (the core indexes are); holds no mutable state of its own.</remarks>
public sealed class DevisePhotoSearch
{
    /// <summary>Searches <paramref name="photos"/> with query vectors built from <paramref name="words"/>.</summary>
    /// <param name="photos">An index of DeViSE photo vectors (cosine metric recommended), keys chosen by the caller.</param>
    /// <param name="words">The word vectors the head was trained against.</param>
    /// <exception cref="ArgumentException">The index dimension is not the word dimension.</exception>
    public DevisePhotoSearch(IVectorIndex photos, WordVectors words)
    {
        ArgumentNullException.ThrowIfNull(photos);
        ArgumentNullException.ThrowIfNull(words);
        if (photos.Dimension != words.Dimension)
            throw new ArgumentException($"The photo index is {photos.Dimension}-d but the word vectors are {words.Dimension}-d.", nameof(photos));
        Photos = photos;
        Words = words;
    }

    /// <summary>The photo index.</summary>
    public IVectorIndex Photos { get; }

    /// <summary>The word vectors.</summary>
    public WordVectors Words { get; }

    /// <summary>
    /// Builds an exact cosine index of DeViSE photo vectors from backbone features.
    /// </summary>
    /// <param name="head">The trained head.</param>
    /// <param name="features">Backbone features, row after row (<c>keys.Length * head.InputDimension</c>).</param>
    /// <param name="keys">One key per row (for example the photo's position in your list).</param>
    /// <returns>A new index.</returns>
    public static ExactIndex BuildIndex(DeviseHead head, ReadOnlySpan<float> features, ReadOnlySpan<long> keys)
    {
        ArgumentNullException.ThrowIfNull(head);
        var vectors = new float[keys.Length * head.OutputDimension];
        head.EmbedBatch(features, keys.Length, vectors);
        var index = new ExactIndex(head.OutputDimension, DistanceMetric.Cosine);
        index.AddRange(keys, vectors);
        return index;
    }

    /// <summary>Photos nearest to one word.</summary>
    /// <param name="word">A vocabulary word.</param>
    /// <param name="k">How many photos; positive.</param>
    /// <param name="options">Filter and parallelism, passed to the index.</param>
    /// <returns>Photos nearest first.</returns>
    /// <exception cref="UnknownWordException">The word is not in the vocabulary.</exception>
    public SearchResult[] SearchWord(string word, int k, SearchOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(word);
        return Photos.Search(Words.GetVector(word), k, options);
    }

    /// <summary>Photos nearest to several words together.</summary>
    /// <param name="words">The words (at least one).</param>
    /// <param name="k">How many photos; positive.</param>
    /// <param name="mode">Average (default) or sum of the words' vectors; under cosine both rank alike, but the sum keeps magnitude for other metrics.</param>
    /// <param name="options">Filter and parallelism.</param>
    /// <returns>Photos nearest first.</returns>
    /// <exception cref="UnknownWordException">A word is not in the vocabulary (all unknown ones are named).</exception>
    public SearchResult[] SearchWords(IEnumerable<string> words, int k, PhraseMode mode = PhraseMode.Average, SearchOptions? options = null)
        => Photos.Search(ComposeWords(words, mode), k, options);

    /// <summary>Photos nearest to a word-arithmetic expression such as <c>"dog + beach - water"</c>.</summary>
    /// <param name="expression">Words joined by <c> + </c> and <c> - </c> (operators separated by spaces, or
    /// prefixed to a word as in <c>-water</c>); a leading word counts as added; words separated only by spaces are all added.</param>
    /// <param name="k">How many photos; positive.</param>
    /// <param name="options">Filter and parallelism.</param>
    /// <returns>Photos nearest first.</returns>
    /// <exception cref="ArgumentException">The expression is empty, malformed, or cancels to a zero vector.</exception>
    /// <exception cref="UnknownWordException">A word is not in the vocabulary.</exception>
    public SearchResult[] SearchExpression(string expression, int k, SearchOptions? options = null)
        => Photos.Search(ComposeExpression(expression), k, options);

    /// <summary>The query vector for several words: the average or sum of their raw vectors.</summary>
    /// <param name="words">The words.</param>
    /// <param name="mode">Average or sum.</param>
    /// <returns>A new vector.</returns>
    public float[] ComposeWords(IEnumerable<string> words, PhraseMode mode = PhraseMode.Average)
    {
        ArgumentNullException.ThrowIfNull(words);
        string[] list = words.ToArray();
        if (list.Length == 0) throw new ArgumentException("At least one word is needed.", nameof(words));
        ThrowUnknown(list);
        var q = new float[Words.Dimension];
        foreach (string w in list)
        {
            ReadOnlySpan<float> v = Words.GetVector(w);
            for (int j = 0; j < q.Length; j++) q[j] += v[j];
        }
        if (mode == PhraseMode.Average)
            for (int j = 0; j < q.Length; j++) q[j] /= list.Length;
        return q;
    }

    /// <summary>The query vector of a word-arithmetic expression (unit word vectors added and subtracted).</summary>
    /// <param name="expression">See <see cref="SearchExpression"/>.</param>
    /// <returns>A new vector.</returns>
    public float[] ComposeExpression(string expression)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(expression);
        var terms = ParseExpression(expression);
        ThrowUnknown(terms.Select(t => t.Word).ToArray());
        var q = new float[Words.Dimension];
        var unit = new float[Words.Dimension];
        foreach (var (w, s) in terms)
        {
            Words.GetVector(w).CopyTo(unit);
            DeviseHead.Normalize(unit);
            for (int j = 0; j < q.Length; j++) q[j] += s * unit[j];
        }
        float norm = System.Numerics.Tensors.TensorPrimitives.Norm(q);
        if (!(norm > 1e-6f)) throw new ArgumentException($"'{expression}' cancels out to a zero vector.", nameof(expression));
        return q;
    }

    /// <summary>
    /// Splits "a + b - c" into signed words. Operators are whitespace-separated tokens or a token's first character
    /// ("-water"), so hyphenated words such as "t-shirt" stay whole.
    /// </summary>
    internal static List<(string Word, float Sign)> ParseExpression(string expression)
    {
        var terms = new List<(string Word, float Sign)>();
        float sign = 1f;
        bool pendingOp = false;
        foreach (string token in expression.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            string word = token;
            if (word[0] is '+' or '-')
            {
                if (pendingOp) throw new ArgumentException($"Two operators in a row in '{expression}'.", nameof(expression));
                sign = word[0] == '+' ? 1f : -1f;
                pendingOp = true;
                word = word[1..];
                if (word.Length == 0) continue;
            }
            terms.Add((word, sign));
            sign = 1f;
            pendingOp = false;
        }
        if (pendingOp) throw new ArgumentException($"'{expression}' ends with an operator.", nameof(expression));
        if (terms.Count == 0) throw new ArgumentException($"'{expression}' has no words.", nameof(expression));
        return terms;
    }

    private void ThrowUnknown(string[] words)
    {
        List<string>? unknown = null;
        foreach (string w in words)
            if (!Words.Contains(w)) (unknown ??= []).Add(w);
        if (unknown is not null) throw new UnknownWordException(unknown, Words.Count);
    }
}
