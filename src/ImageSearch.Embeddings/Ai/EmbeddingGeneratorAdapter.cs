using Microsoft.Extensions.AI;

namespace ImageSearch;

/// <summary>
/// An <see cref="IEmbedder{TInput}"/> seen as an <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> of
/// <typeparamref name="TValue"/>; made by <see cref="EmbedderAiExtensions"/>, which documents the behaviour.
/// </summary>
/// <typeparam name="TValue">What the generator takes (<see cref="DataContent"/> for images, strings for words).</typeparam>
/// <typeparam name="TInput">What the embedder takes.</typeparam>
internal sealed class EmbeddingGeneratorAdapter<TValue, TInput> : IEmbeddingGenerator<TValue, Embedding<float>>
{
    private readonly Func<TValue, TInput> _toInput;
    private readonly bool _disposeEmbedder;
    private int _disposed;

    public EmbeddingGeneratorAdapter(IEmbedder<TInput> embedder, Func<TValue, TInput> toInput, string? modelId, bool disposeEmbedder)
    {
        Embedder = embedder;
        _toInput = toInput;
        _disposeEmbedder = disposeEmbedder;
        Metadata = new EmbeddingGeneratorMetadata("ImageSearch", providerUri: null, modelId ?? embedder.GetType().Name, embedder.Dimension);
    }

    public IEmbedder<TInput> Embedder { get; }

    public EmbeddingGeneratorMetadata Metadata { get; }

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<TValue> values,
        EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (options?.Dimensions is int wanted && wanted != Embedder.Dimension)
        {
            throw new NotSupportedException($"This embedder produces {Embedder.Dimension}-dimensional vectors; {wanted} were requested.");
        }

        // Convert every value before embedding any, so a wrong kind of input fails the call up front.
        var inputs = new List<TInput>();
        foreach (TValue value in values)
        {
            ArgumentNullException.ThrowIfNull(value, nameof(values));
            try
            {
                inputs.Add(_toInput(value));
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"Value {inputs.Count}: {e.Message}", nameof(values), e);
            }
        }

        IReadOnlyList<EmbeddingResult> results = await Embedder.EmbedBatchAsync(inputs, null, cancellationToken).ConfigureAwait(false);
        if (results.Count != inputs.Count)
        {
            throw new InvalidOperationException($"The embedder returned {results.Count} results for {inputs.Count} inputs.");
        }

        List<EmbeddingResult>? failures = null;
        foreach (var r in results)
        {
            if (!r.Succeeded)
            {
                (failures ??= []).Add(r);
            }
        }

        if (failures is not null)
        {
            throw new EmbeddingBatchException(failures, inputs.Count, i => Describe(inputs[i]));
        }

        var created = DateTimeOffset.UtcNow;
        var embeddings = new GeneratedEmbeddings<Embedding<float>>(results.Count);
        foreach (var r in results)
        {
            embeddings.Add(new Embedding<float>(r.Vector!) { ModelId = Metadata.DefaultModelId, CreatedAt = created });
        }

        return embeddings;
    }

    /// <summary>The metadata for <see cref="EmbeddingGeneratorMetadata"/>, else this adapter or the embedder when of the
    /// requested type; keyed requests get <see langword="null"/>.</summary>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        if (serviceType == typeof(EmbeddingGeneratorMetadata))
        {
            return Metadata;
        }

        return serviceType.IsInstanceOfType(this) ? this
            : serviceType.IsInstanceOfType(Embedder) ? Embedder
            : null;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && _disposeEmbedder && Embedder is IDisposable d)
        {
            d.Dispose();
        }
    }

    private static string Describe(TInput input)
    {
        string text = input?.ToString() ?? "(null)";
        return text.Length <= 80 ? $"'{text}'" : $"'{text[..77]}...'";
    }
}
