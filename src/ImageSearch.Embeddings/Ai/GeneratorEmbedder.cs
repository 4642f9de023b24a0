using Microsoft.Extensions.AI;

namespace ImageSearch;

/// <summary>
/// The reverse adapter: any Microsoft.Extensions.AI <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> of
/// <see cref="Embedding{T}"/> of <see cref="float"/> used as an ImageSearch <see cref="IEmbedder{TInput}"/>
/// (for example a hosted text-embedding service feeding an index).
/// </summary>
/// <typeparam name="TInput">What is embedded.</typeparam>
/// <remarks>
/// <para>A batch is sent to the generator in one call; if that call fails, each input is retried alone so the
/// failures can be reported per item as <see cref="IEmbedder{TInput}"/> requires.</para>
/// <para>Thread-safety: as thread-safe as the wrapped generator.</para>
/// </remarks>
public sealed class GeneratorEmbedder<TInput> : IEmbedder<TInput>
{
    /// <summary>Wraps a generator.</summary>
    /// <param name="generator">The generator.</param>
    /// <param name="dimension">Its vector length; <see langword="null"/> to take it from the generator's
    /// <see cref="EmbeddingGeneratorMetadata.DefaultModelDimensions"/>.</param>
    /// <exception cref="ArgumentException">No dimension given and the generator does not report one.</exception>
    public GeneratorEmbedder(IEmbeddingGenerator<TInput, Embedding<float>> generator, int? dimension = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        Generator = generator;
        int? d = dimension ?? generator.GetService<EmbeddingGeneratorMetadata>()?.DefaultModelDimensions;
        if (d is not int value)
        {
            throw new ArgumentException("The generator does not report its dimension; pass it explicitly.", nameof(dimension));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, nameof(dimension));
        Dimension = value;
    }

    /// <summary>The wrapped generator.</summary>
    public IEmbeddingGenerator<TInput, Embedding<float>> Generator { get; }

    /// <inheritdoc/>
    public int Dimension { get; }

    /// <inheritdoc/>
    public async Task<float[]> EmbedAsync(TInput input, CancellationToken cancellationToken = default)
    {
        GeneratedEmbeddings<Embedding<float>> generated;
        try
        {
            generated = await Generator.GenerateAsync([input], null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not EmbeddingException)
        {
            throw new EmbeddingException($"Cannot embed '{input}': {e.Message}", e);
        }

        if (generated.Count != 1)
        {
            throw new EmbeddingException($"Cannot embed '{input}': the generator returned {generated.Count} embeddings for one input.");
        }

        return ToVector(generated[0], input);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<EmbeddingResult>> EmbedBatchAsync(
        IReadOnlyList<TInput> inputs,
        IProgress<EmbeddingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var results = new EmbeddingResult[inputs.Count];
        GeneratedEmbeddings<Embedding<float>>? generated = null;
        try
        {
            generated = await Generator.GenerateAsync(inputs, null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Fall through to one call per input, to tell which inputs fail.
        }

        int failed = 0;
        for (int i = 0; i < results.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                float[] v = generated is not null && generated.Count == inputs.Count
                    ? ToVector(generated[i], inputs[i])
                    : await EmbedAsync(inputs[i], cancellationToken).ConfigureAwait(false);
                results[i] = new EmbeddingResult(i, v, null);
            }
            catch (EmbeddingException e)
            {
                failed++;
                results[i] = new EmbeddingResult(i, null, e);
            }

            progress?.Report(new EmbeddingProgress(i + 1, failed, results.Length));
        }

        return results;
    }

    private float[] ToVector(Embedding<float> embedding, TInput input)
    {
        ReadOnlySpan<float> v = embedding.Vector.Span;
        if (v.Length != Dimension)
        {
            throw new EmbeddingException($"Cannot embed '{input}': the generator returned {v.Length} elements, expected {Dimension}.");
        }

        return v.ToArray();
    }
}
