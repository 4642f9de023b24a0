using Microsoft.Extensions.AI;

namespace ImageSearch;

/// <summary>
/// An <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> of <typeparamref name="TValue"/> used as an
/// <see cref="IEmbedder{TInput}"/>; made by <see cref="EmbedderAiExtensions"/>, which documents the behaviour.
/// </summary>
/// <typeparam name="TInput">What the embedder takes.</typeparam>
/// <typeparam name="TValue">What the generator takes.</typeparam>
internal sealed class GeneratorEmbedder<TInput, TValue> : IEmbedder<TInput>
{
    // May throw EmbeddingException (an image file that cannot be read): that input fails, not the batch.
    private readonly Func<TInput, TValue> _toValue;

    public GeneratorEmbedder(IEmbeddingGenerator<TValue, Embedding<float>> generator, Func<TInput, TValue> toValue, int? dimension)
    {
        Generator = generator;
        _toValue = toValue;
        int? d = dimension ?? generator.GetService<EmbeddingGeneratorMetadata>()?.DefaultModelDimensions;
        if (d is not int value)
        {
            throw new ArgumentException("The generator does not report its dimension; pass it explicitly.", nameof(dimension));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, nameof(dimension));
        Dimension = value;
    }

    public IEmbeddingGenerator<TValue, Embedding<float>> Generator { get; }

    public int Dimension { get; }

    public Task<float[]> EmbedAsync(TInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        return EmbedOneAsync(input, _toValue(input), cancellationToken);
    }

    public async Task<IReadOnlyList<EmbeddingResult>> EmbedBatchAsync(
        IReadOnlyList<TInput> inputs,
        IProgress<EmbeddingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var results = new EmbeddingResult[inputs.Count];
        var values = new List<TValue>(inputs.Count);
        var slot = new int[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(inputs[i], nameof(inputs));
            try
            {
                values.Add(_toValue(inputs[i]));
                slot[i] = values.Count - 1;
            }
            catch (EmbeddingException e)
            {
                results[i] = new EmbeddingResult(i, null, e);
                slot[i] = -1;
            }
        }

        GeneratedEmbeddings<Embedding<float>>? generated = null;
        if (values.Count > 0)
        {
            try
            {
                generated = await Generator.GenerateAsync(values, null, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Fall through to one call per input, to tell which inputs fail.
            }
        }

        int failed = 0;
        for (int i = 0; i < results.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (slot[i] >= 0)
            {
                try
                {
                    float[] v = generated is not null && generated.Count == values.Count
                        ? ToVector(generated[slot[i]], inputs[i])
                        : await EmbedOneAsync(inputs[i], values[slot[i]], cancellationToken).ConfigureAwait(false);
                    results[i] = new EmbeddingResult(i, v, null);
                }
                catch (EmbeddingException e)
                {
                    results[i] = new EmbeddingResult(i, null, e);
                }
            }

            if (!results[i].Succeeded)
            {
                failed++;
            }

            progress?.Report(new EmbeddingProgress(i + 1, failed, results.Length));
        }

        return results;
    }

    private async Task<float[]> EmbedOneAsync(TInput input, TValue value, CancellationToken cancellationToken)
    {
        GeneratedEmbeddings<Embedding<float>> generated;
        try
        {
            generated = await Generator.GenerateAsync([value], null, cancellationToken).ConfigureAwait(false);
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
