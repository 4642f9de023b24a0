namespace ImageSearch;

/// <summary>
/// Embeds a word or a whitespace-separated phrase with a <see cref="WordVectors"/> table: a word gives its vector, a
/// phrase the average (or sum) of its words' vectors (see <see cref="WordVectors.Compose(string, TermCombination, UnknownWordPolicy)"/>).
/// </summary>
/// <remarks>Thread-safety: thread-safe (the table is immutable). The work is a few lookups, so it runs on the calling thread.</remarks>
public sealed class WordEmbedder : IEmbedder<string>
{
    /// <summary>Creates the embedder.</summary>
    /// <param name="vectors">The word vectors.</param>
    /// <param name="combination">How a phrase's words are combined; average by default.</param>
    /// <param name="unknownWords">Whether an unknown word fails the input (default) or is skipped; an input with no known word always fails.</param>
    public WordEmbedder(WordVectors vectors, TermCombination combination = TermCombination.Average, UnknownWordPolicy unknownWords = UnknownWordPolicy.Throw)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        if (combination is not (TermCombination.Average or TermCombination.Sum))
        {
            throw new ArgumentOutOfRangeException(nameof(combination), combination, "Unknown phrase combination.");
        }

        if (unknownWords is not (UnknownWordPolicy.Throw or UnknownWordPolicy.Skip))
        {
            throw new ArgumentOutOfRangeException(nameof(unknownWords), unknownWords, "Unknown policy.");
        }

        Vectors = vectors;
        Combination = combination;
        UnknownWords = unknownWords;
    }

    /// <summary>The word vectors used.</summary>
    public WordVectors Vectors { get; }

    /// <summary>How a phrase's words are combined.</summary>
    public TermCombination Combination { get; }

    /// <summary>What happens to unknown words.</summary>
    public UnknownWordPolicy UnknownWords { get; }

    /// <inheritdoc/>
    public int Dimension => Vectors.Dimension;

    /// <summary>The vector of a word or phrase (a new array).</summary>
    /// <param name="input">A word or a phrase.</param>
    /// <returns>A new vector of <see cref="Dimension"/> elements.</returns>
    /// <exception cref="EmbeddingException">The input is blank or has unknown words (the message names them; the inner
    /// exception is the <see cref="UnknownWordException"/>).</exception>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    public float[] Embed(string input)
    {
        ArgumentNullException.ThrowIfNull(input);
        string[] words = WordVectors.SplitPhrase(input);
        if (words.Length == 0)
        {
            throw new EmbeddingException("Cannot embed an empty or blank phrase.");
        }

        try
        {
            return Vectors.Compose(words, Combination, UnknownWords);
        }
        catch (UnknownWordException e)
        {
            throw new EmbeddingException($"Cannot embed '{input}': {e.Message}", e);
        }
    }

    /// <inheritdoc/>
    public Task<float[]> EmbedAsync(string input, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Embed(input));
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<EmbeddingResult>> EmbedBatchAsync(
        IReadOnlyList<string> inputs,
        IProgress<EmbeddingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var results = new EmbeddingResult[inputs.Count];
        int failed = 0;
        for (int i = 0; i < results.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                string input = inputs[i] ?? throw new EmbeddingException($"Input {i} is null.");
#pragma warning disable CA1849 // a table lookup: EmbedAsync would only wrap it in a completed task
                results[i] = new EmbeddingResult(i, Embed(input), null);
#pragma warning restore CA1849
            }
            catch (EmbeddingException e)
            {
                failed++;
                results[i] = new EmbeddingResult(i, null, e);
            }

            progress?.Report(new EmbeddingProgress(i + 1, failed, results.Length));
        }

        return Task.FromResult<IReadOnlyList<EmbeddingResult>>(results);
    }
}
