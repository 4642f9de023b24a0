using System.Numerics.Tensors;

namespace ImageSearch;

/// <summary>
/// Composes a query from weighted terms — raw vectors, or inputs embedded on demand (a photo, a word, a phrase) — and
/// runs it against any index (<see cref="IReadOnlyVectorIndex"/>) with k, a key filter, ef and optional class weighting.
/// </summary>
/// <example>
/// Photos like <c>cat.jpg</c>, leaning toward sofas, without other cats' owners' dogs:
/// <code>
/// var hits = await new QueryBuilder(index.Dimension)
///     .Add(imageEmbedder, ImageInput.FromFile("cat.jpg"))
///     .Add(wordEmbedder, "sofa", weight: 0.5f)
///     .Subtract(wordEmbedder, "dog", weight: 0.25f)
///     .Take(10)
///     .SearchAsync(index, key => paths[key]);
/// </code>
/// </example>
/// <remarks>
/// Each term is checked when it is added: a vector of another length or an embedder of another dimension throws an
/// <see cref="ArgumentException"/> there, naming the term (its position, input and embedder). Terms are embedded when
/// the query runs, in the order they were added; embedding failures surface then, as the embedder's
/// <see cref="EmbeddingException"/>.
/// Thread-safety: a builder is not thread-safe while it is being configured; once configured, <see cref="BuildVectorAsync"/>
/// and the search methods may be called concurrently (they do not change the builder).
/// </remarks>
public sealed class QueryBuilder
{
    private readonly List<(Func<CancellationToken, Task<float[]>> Vector, float Weight, string Description)> _terms = [];

    /// <summary>Creates an empty query for vectors of <paramref name="dimension"/> elements.</summary>
    /// <param name="dimension">The index's dimension; positive.</param>
    public QueryBuilder(int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        Dimension = dimension;
    }

    /// <summary>Number of elements of every term and of the composed vector.</summary>
    public int Dimension { get; }

    /// <summary>How terms are combined; <see cref="TermCombination.Sum"/> unless set.</summary>
    public TermCombination Combination { get; private set; }

    /// <summary>Whether each term is scaled to unit length before weighting (so that no term dominates by its norm).</summary>
    public bool NormalizesTerms { get; private set; }

    /// <summary>How many results to return; 10 unless set.</summary>
    public int K { get; private set; } = 10;

    /// <summary>The key filter, if any.</summary>
    public Func<long, bool>? Filter { get; private set; }

    /// <summary>The HNSW candidate-list size, if set.</summary>
    public int? Ef { get; private set; }

    /// <summary>The class weights, empty when the search is not class-weighted.</summary>
    public ReadOnlyMemory<float> ClassWeights { get; private set; }

    /// <summary>Number of terms added.</summary>
    public int TermCount => _terms.Count;

    /// <summary>Adds a vector term.</summary>
    /// <param name="vector"><see cref="Dimension"/> finite elements; copied.</param>
    /// <param name="weight">A finite, non-zero weight; negative subtracts.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">Wrong length, or a NaN or infinite element (the message gives the term's position).</exception>
    public QueryBuilder Add(ReadOnlySpan<float> vector, float weight = 1f)
    {
        CheckVector(vector, nameof(vector), $"Term #{_terms.Count} (a vector)");
        CheckWeight(weight);
        float[] copy = vector.ToArray();
        _terms.Add((_ => Task.FromResult(copy), weight, "vector"));
        return this;
    }

    /// <summary>Subtracts a vector term (adds it with weight <c>-weight</c>).</summary>
    /// <param name="vector"><see cref="Dimension"/> finite elements; copied.</param>
    /// <param name="weight">A finite, positive weight.</param>
    /// <returns>This builder.</returns>
    public QueryBuilder Subtract(ReadOnlySpan<float> vector, float weight = 1f) => Add(vector, -weight);

    /// <summary>Adds the embedding of <paramref name="input"/> (embedded when the query runs).</summary>
    /// <typeparam name="TInput">The embedder's input type.</typeparam>
    /// <param name="embedder">An embedder whose dimension is <see cref="Dimension"/>.</param>
    /// <param name="input">What to embed: a photo, a word, a phrase.</param>
    /// <param name="weight">A finite, non-zero weight; negative subtracts.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The embedder's dimension differs from <see cref="Dimension"/> (the message
    /// names the term's position, its input and the embedder's type and dimension).</exception>
    public QueryBuilder Add<TInput>(IEmbedder<TInput> embedder, TInput input, float weight = 1f)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        ArgumentNullException.ThrowIfNull(input);
        CheckEmbedder(embedder, input, _terms.Count);
        CheckWeight(weight);
        _terms.Add((ct => embedder.EmbedAsync(input, ct), weight, Describe(input)));
        return this;
    }

    /// <summary>Subtracts the embedding of <paramref name="input"/>.</summary>
    /// <typeparam name="TInput">The embedder's input type.</typeparam>
    /// <param name="embedder">An embedder whose dimension is <see cref="Dimension"/>.</param>
    /// <param name="input">What to embed.</param>
    /// <param name="weight">A finite, positive weight.</param>
    /// <returns>This builder.</returns>
    public QueryBuilder Subtract<TInput>(IEmbedder<TInput> embedder, TInput input, float weight = 1f) => Add(embedder, input, -weight);

    /// <summary>Adds several inputs with the same weight each (e.g. the words of "cat sofa").</summary>
    /// <typeparam name="TInput">The embedder's input type.</typeparam>
    /// <param name="embedder">An embedder whose dimension is <see cref="Dimension"/>.</param>
    /// <param name="inputs">What to embed.</param>
    /// <param name="weight">The weight of each input.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The embedder's dimension differs from <see cref="Dimension"/> (named as in
    /// <see cref="Add{TInput}(IEmbedder{TInput}, TInput, float)"/>), or an input is null; no term is added then.</exception>
    public QueryBuilder AddRange<TInput>(IEmbedder<TInput> embedder, IEnumerable<TInput> inputs, float weight = 1f)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        ArgumentNullException.ThrowIfNull(inputs);
        TInput[] all = inputs.ToArray();
        for (int i = 0; i < all.Length; i++)
        {
            if (all[i] is null)
            {
                throw new ArgumentException($"Input {i} is null.", nameof(inputs));
            }

            CheckEmbedder(embedder, all[i], _terms.Count + i);
        }

        CheckWeight(weight);
        foreach (TInput input in all)
        {
            _terms.Add((ct => embedder.EmbedAsync(input, ct), weight, Describe(input)));
        }

        return this;
    }

    /// <summary>Sets how terms are combined.</summary>
    /// <param name="combination">Sum (arithmetic) or average.</param>
    /// <returns>This builder.</returns>
    public QueryBuilder Combine(TermCombination combination)
    {
        if (combination is not (TermCombination.Sum or TermCombination.Average))
        {
            throw new ArgumentOutOfRangeException(nameof(combination), combination, "Unknown combination.");
        }

        Combination = combination;
        return this;
    }

    /// <summary>Scales each term to unit length before weighting.</summary>
    /// <param name="normalize">Whether to normalise terms.</param>
    /// <returns>This builder.</returns>
    public QueryBuilder NormalizeTerms(bool normalize = true)
    {
        NormalizesTerms = normalize;
        return this;
    }

    /// <summary>Sets how many results to return.</summary>
    /// <param name="k">Positive.</param>
    /// <returns>This builder.</returns>
    public QueryBuilder Take(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        K = k;
        return this;
    }

    /// <summary>Only keys for which <paramref name="filter"/> returns <see langword="true"/> can be returned.</summary>
    /// <param name="filter">A thread-safe predicate over keys.</param>
    /// <returns>This builder.</returns>
    public QueryBuilder Where(Func<long, bool> filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        Filter = filter;
        return this;
    }

    /// <summary>Sets the HNSW candidate-list size for this query (ignored by exact indexes).</summary>
    /// <param name="ef">Positive.</param>
    /// <returns>This builder.</returns>
    public QueryBuilder WithEf(int ef)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ef);
        Ef = ef;
        return this;
    }

    /// <summary>
    /// Class-weighted search: query and stored vectors are multiplied element-wise by <paramref name="weights"/> (one
    /// class's column of a classifier's last layer) so the search leans toward that class.
    /// </summary>
    /// <param name="weights"><see cref="Dimension"/> finite weights, not all zero; copied.</param>
    /// <returns>This builder.</returns>
    public QueryBuilder WithClassWeights(ReadOnlySpan<float> weights)
    {
        CheckVector(weights, nameof(weights), "The class weights");
        if (TensorPrimitives.MaxMagnitude(weights) == 0)
        {
            throw new ArgumentException("Class weights are all zero.", nameof(weights));
        }

        ClassWeights = weights.ToArray();
        return this;
    }

    /// <summary>Embeds the terms and combines them into the query vector.</summary>
    /// <param name="cancellationToken">Cancels embedding.</param>
    /// <returns>A new vector of <see cref="Dimension"/> elements.</returns>
    /// <exception cref="InvalidOperationException">No terms were added, or the terms cancel out to a zero vector.</exception>
    public async Task<float[]> BuildVectorAsync(CancellationToken cancellationToken = default)
    {
        if (_terms.Count == 0)
        {
            throw new InvalidOperationException("The query has no terms: add a vector, a photo or a word first.");
        }

        var result = new float[Dimension];
        float weightSum = 0;
        for (int i = 0; i < _terms.Count; i++)
        {
            var (vector, weight, description) = _terms[i];
            float[] v = await vector(cancellationToken).ConfigureAwait(false);
            if (v.Length != Dimension)
            {
                throw new InvalidOperationException($"Term #{i} ({description}) embedded to {v.Length} elements, not {Dimension}.");
            }

            float scale = weight;
            if (NormalizesTerms)
            {
                float norm = TensorPrimitives.Norm(v);
                if (norm == 0)
                {
                    throw new InvalidOperationException($"Term #{i} ({description}) is a zero vector and cannot be normalised.");
                }

                scale /= norm;
            }

            // result += scale * v
            TensorPrimitives.MultiplyAdd(v, scale, result, result);
            weightSum += MathF.Abs(weight);
        }

        if (Combination == TermCombination.Average)
        {
            TensorPrimitives.Divide(result, weightSum, result);
        }

        if (VectorStore.IndexOfNonFinite(result) >= 0)
        {
            throw new InvalidOperationException("The composed query overflowed (an element is infinite); use smaller weights.");
        }

        if (TensorPrimitives.MaxMagnitude(result) == 0)
        {
            throw new InvalidOperationException("The terms cancel out: the composed query is the zero vector.");
        }

        return result;
    }

    /// <summary>The search options this query runs with (filter, ef, class weights).</summary>
    /// <returns>New options.</returns>
    public SearchOptions ToSearchOptions() => new() { Filter = Filter, Ef = Ef, ElementWeights = ClassWeights };

    /// <summary>Builds the vector and searches <paramref name="index"/>.</summary>
    /// <param name="index">An index of <see cref="Dimension"/>-d vectors.</param>
    /// <param name="cancellationToken">Cancels embedding.</param>
    /// <returns>Up to <see cref="K"/> results, nearest first.</returns>
    public async Task<SearchResult[]> SearchAsync(IReadOnlyVectorIndex index, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(index);
        if (index.Dimension != Dimension)
        {
            throw new ArgumentException($"The index holds {index.Dimension}-d vectors; this query is {Dimension}-d.", nameof(index));
        }

        float[] vector = await BuildVectorAsync(cancellationToken).ConfigureAwait(false);
        return index.Search(vector, K, ToSearchOptions());
    }

    /// <summary>Builds the vector, searches <paramref name="index"/> and joins each hit with its payload.</summary>
    /// <typeparam name="TPayload">The payload type.</typeparam>
    /// <param name="index">An index of <see cref="Dimension"/>-d vectors.</param>
    /// <param name="payload">Maps a key to its payload (a path, a word).</param>
    /// <param name="cancellationToken">Cancels embedding.</param>
    /// <returns>Up to <see cref="K"/> hits, nearest first, ranked from 1.</returns>
    public async Task<IReadOnlyList<SearchHit<TPayload>>> SearchAsync<TPayload>(
        IReadOnlyVectorIndex index, Func<long, TPayload> payload, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(payload);
        SearchResult[] results = await SearchAsync(index, cancellationToken).ConfigureAwait(false);
        var hits = new SearchHit<TPayload>[results.Length];
        for (int i = 0; i < results.Length; i++)
        {
            hits[i] = new SearchHit<TPayload>(i + 1, results[i].Key, results[i].Distance, payload(results[i].Key));
        }

        return hits;
    }

    private void CheckVector(ReadOnlySpan<float> vector, string name, string what)
    {
        if (vector.Length != Dimension)
        {
            throw new ArgumentException($"{what} has {vector.Length} elements; this query is {Dimension}-d.", name);
        }

        int bad = VectorStore.IndexOfNonFinite(vector);
        if (bad >= 0)
        {
            throw new ArgumentException($"{what}: element {bad} is {vector[bad]}; query terms must be finite.", name);
        }
    }

    private void CheckEmbedder<TInput>(IEmbedder<TInput> embedder, TInput input, int position)
    {
        if (embedder.Dimension != Dimension)
        {
            throw new ArgumentException(
                $"Term #{position} ({Describe(input)}): its embedder, a {embedder.GetType().Name}, produces {embedder.Dimension}-d vectors; this query is {Dimension}-d.",
                nameof(embedder));
        }
    }

    // An image input's ToString is its name (the path for files); a word is itself.
    private static string Describe<TInput>(TInput input)
    {
        string text = input?.ToString() ?? "null";
        return text.Length <= 80 ? $"'{text}'" : $"'{text[..77]}...'";
    }

    private static void CheckWeight(float weight)
    {
        if (!float.IsFinite(weight) || weight == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "A term's weight must be finite and non-zero.");
        }
    }
}
