
namespace ImageSearch;

/// <summary>
/// Nearest words by cosine, for a word or for any vector, through an <see cref="IVectorIndex"/> whose keys are word
/// ranks. By default the index is an exact cosine <see cref="ExactIndex"/> over the whole vocabulary; pass a factory to
/// use another (for example an HNSW index for faster approximate answers).
/// </summary>
/// <remarks>
/// <para>The index is built on first use, once, even when several threads ask at the same time.</para>
/// <para>Words whose vector is all zeros have no direction under cosine and are left out of the index.</para>
/// <para>Thread-safety: all members are thread-safe; searches run concurrently.</para>
/// </remarks>
public sealed class WordNeighbours
{
    private readonly Lazy<IVectorIndex> _index;

    /// <summary>Nearest words through an exact cosine index built on first use.</summary>
    /// <param name="words">The vocabulary to search.</param>
    public WordNeighbours(WordVectors words)
        : this(words, static w => BuildExactIndex(w))
    {
    }

    /// <summary>Nearest words through an index of your choice.</summary>
    /// <param name="words">The vocabulary to search.</param>
    /// <param name="indexFactory">Called once, on first use, to build the index: it must hold each word's vector under
    /// its rank as key, with <see cref="DistanceMetric.Cosine"/> and the vocabulary's dimension.</param>
    public WordNeighbours(WordVectors words, Func<WordVectors, IVectorIndex> indexFactory)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(indexFactory);
        Words = words;
        _index = new Lazy<IVectorIndex>(() => CheckIndex(indexFactory(words), words), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The vocabulary searched.</summary>
    public WordVectors Words { get; }

    /// <summary>The index searched (built now if not yet built). Keys are word ranks.</summary>
    public IVectorIndex Index => _index.Value;

    /// <summary>
    /// Builds the default index: an exact cosine <see cref="ExactIndex"/> holding every word with a non-zero vector
    /// under its rank.
    /// </summary>
    /// <param name="words">The vocabulary.</param>
    /// <returns>A new index.</returns>
    public static ExactIndex BuildExactIndex(WordVectors words)
    {
        ArgumentNullException.ThrowIfNull(words);
        var index = new ExactIndex(words.Dimension, DistanceMetric.Cosine);
        int dim = words.Dimension;
        ReadOnlySpan<float> all = words.Vectors.Span;
        var keys = new long[words.Count];
        int kept = 0;
        float[]? compacted = null;
        for (int rank = 0; rank < words.Count; rank++)
        {
            ReadOnlySpan<float> row = all.Slice(rank * dim, dim);
            if (row.IndexOfAnyExcept(0f) < 0)
            {
                // A zero vector is rejected under cosine; keep the others, compacted.
                if (compacted is null)
                {
                    compacted = GC.AllocateUninitializedArray<float>(all.Length);
                    all[..(kept * dim)].CopyTo(compacted);
                }

                continue;
            }

            if (compacted is not null)
            {
                row.CopyTo(compacted.AsSpan(kept * dim));
            }

            keys[kept++] = rank;
        }

        index.AddRange(keys.AsSpan(0, kept), compacted is null ? all : compacted.AsSpan(0, kept * dim));
        return index;
    }

    /// <summary>The nearest words to a word, by cosine; the word itself is left out unless
    /// <see cref="NearestWordsOptions.IncludeQueryWord"/> is set.</summary>
    /// <param name="word">A known word (looked up as by <see cref="WordVectors.IndexOf(string)"/>).</param>
    /// <param name="k">How many neighbours at most; positive.</param>
    /// <param name="options">Restrictions; <see langword="null"/> for none.</param>
    /// <returns>Up to <paramref name="k"/> neighbours, nearest first (ties by rank).</returns>
    /// <exception cref="UnknownWordException">The word, or a candidate word, is unknown.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> or <see cref="NearestWordsOptions.MostFrequent"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The word's vector is all zeros (it has no direction).</exception>
    public WordNeighbour[] Nearest(string word, int k, NearestWordsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(word);
        int rank = Words.IndexOf(word);
        if (rank < 0)
        {
            throw new UnknownWordException([word], Words.Count);
        }

        return Search(Words.GetVector(rank), k, options, options?.IncludeQueryWord == true ? -1 : rank);
    }

    /// <summary>The nearest words to any vector (for example a phrase from <see cref="WordVectors.Compose(string, TermCombination, UnknownWordPolicy)"/>), by cosine.</summary>
    /// <param name="vector"><see cref="WordVectors.Dimension"/> finite elements, not all zero.</param>
    /// <param name="k">How many neighbours at most; positive.</param>
    /// <param name="options">Restrictions; <see langword="null"/> for none.</param>
    /// <returns>Up to <paramref name="k"/> neighbours, nearest first (ties by rank).</returns>
    /// <exception cref="ArgumentException">Wrong length, a NaN or infinite element, or a zero vector.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> or <see cref="NearestWordsOptions.MostFrequent"/> is not positive.</exception>
    /// <exception cref="UnknownWordException">A candidate word is unknown.</exception>
    public WordNeighbour[] Nearest(ReadOnlySpan<float> vector, int k, NearestWordsOptions? options = null)
        => Search(vector, k, options, -1);

    private WordNeighbour[] Search(ReadOnlySpan<float> query, int k, NearestWordsOptions? options, int excludeRank)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        if (query.Length != Words.Dimension)
        {
            throw new ArgumentException($"Expected {Words.Dimension} elements, got {query.Length}.", nameof(query));
        }

        var filter = BuildFilter(options, excludeRank);
        var searchOptions = filter is null && options?.Ef is null ? null : new SearchOptions { Filter = filter, Ef = options?.Ef };
        SearchResult[] hits = Index.Search(query, k, searchOptions);
        var result = new WordNeighbour[hits.Length];
        for (int i = 0; i < hits.Length; i++)
        {
            int rank = checked((int)hits[i].Key);
            result[i] = new WordNeighbour(Words.Words[rank], rank, hits[i].Distance);
        }

        return result;
    }

    private Func<long, bool>? BuildFilter(NearestWordsOptions? options, int excludeRank)
    {
        long limit = long.MaxValue;
        if (options?.MostFrequent is int n)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n, "options.MostFrequent");
            limit = n;
        }

        HashSet<long>? allowed = null;
        if (options?.Candidates is { } candidates)
        {
            allowed = new HashSet<long>(candidates.Count);
            List<string>? unknown = null;
            foreach (string w in candidates)
            {
                int r = w is null ? -1 : Words.IndexOf(w);
                if (r < 0)
                {
                    (unknown ??= []).Add(w ?? "(null)");
                }
                else
                {
                    allowed.Add(r);
                }
            }

            if (unknown is not null)
            {
                throw new UnknownWordException(unknown, Words.Count);
            }
        }

        HashSet<long>? excluded = null;
        if (options?.Exclude is { Count: > 0 } exclude)
        {
            excluded = new HashSet<long>(exclude.Count + 1);
            foreach (string w in exclude)
            {
                int r = w is null ? -1 : Words.IndexOf(w);
                if (r >= 0)
                {
                    excluded.Add(r);
                }
            }
        }

        if (limit == long.MaxValue && allowed is null && excluded is null)
        {
            return excludeRank < 0 ? null : key => key != excludeRank;
        }

        return key => key < limit && key != excludeRank
            && (allowed is null || allowed.Contains(key))
            && (excluded is null || !excluded.Contains(key));
    }

    private static IVectorIndex CheckIndex(IVectorIndex index, WordVectors words)
    {
        if (index is null)
        {
            throw new InvalidOperationException("The index factory returned null.");
        }

        if (index.Metric != DistanceMetric.Cosine || index.Dimension != words.Dimension)
        {
            throw new InvalidOperationException(
                $"The word index must use the cosine metric with dimension {words.Dimension}; the factory gave {index.Metric} with dimension {index.Dimension}.");
        }

        return index;
    }
}
