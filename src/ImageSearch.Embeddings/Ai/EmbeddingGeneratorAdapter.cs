using Microsoft.Extensions.AI;

namespace ImageSearch;

/// <summary>
/// Exposes any <see cref="IEmbedder{TInput}"/> as a Microsoft.Extensions.AI
/// <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> of <see cref="Embedding{T}"/> of <see cref="float"/>, so the
/// ImageSearch embedders plug into the .NET AI ecosystem (vector stores, caching and logging middleware, DI).
/// </summary>
/// <typeparam name="TInput">What is embedded: a file path, a word, ...</typeparam>
/// <remarks>
/// <para>A batch goes through <see cref="IEmbedder{TInput}.EmbedBatchAsync"/> in one call. Because the generator
/// contract returns one embedding per input, a batch with failed inputs throws an
/// <see cref="EmbeddingBatchException"/> that lists every failed input with its reason.</para>
/// <para>Thread-safety: as thread-safe as the wrapped embedder (all ImageSearch embedders are).</para>
/// </remarks>
public sealed class EmbeddingGeneratorAdapter<TInput> : IEmbeddingGenerator<TInput, Embedding<float>>
{
    private readonly bool _disposeEmbedder;
    private int _disposed;

    /// <summary>Wraps an embedder.</summary>
    /// <param name="embedder">The embedder to expose.</param>
    /// <param name="modelId">Model id reported in <see cref="Metadata"/> and on each embedding; defaults to the embedder's type name.</param>
    /// <param name="disposeEmbedder">Whether <see cref="Dispose"/> disposes the embedder (when it is <see cref="IDisposable"/>).</param>
    public EmbeddingGeneratorAdapter(IEmbedder<TInput> embedder, string? modelId = null, bool disposeEmbedder = false)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        Embedder = embedder;
        _disposeEmbedder = disposeEmbedder;
        Metadata = new EmbeddingGeneratorMetadata("ImageSearch", providerUri: null, modelId ?? embedder.GetType().Name, embedder.Dimension);
    }

    /// <summary>The wrapped embedder.</summary>
    public IEmbedder<TInput> Embedder { get; }

    /// <summary>Provider "ImageSearch", the model id and the embedder's dimension.</summary>
    public EmbeddingGeneratorMetadata Metadata { get; }

    /// <summary>Embeds every value in one batch.</summary>
    /// <param name="values">The inputs.</param>
    /// <param name="options">Only <see cref="EmbeddingGenerationOptions.Dimensions"/> is honoured: it must be null or
    /// the embedder's dimension (the vectors cannot be resized).</param>
    /// <param name="cancellationToken">Cancels the batch.</param>
    /// <returns>One embedding per input, in input order.</returns>
    /// <exception cref="EmbeddingBatchException">One or more inputs failed; all of them are listed.</exception>
    /// <exception cref="NotSupportedException">A different dimension was requested.</exception>
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<TInput> values,
        EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (options?.Dimensions is int wanted && wanted != Embedder.Dimension)
        {
            throw new NotSupportedException($"This embedder produces {Embedder.Dimension}-dimensional vectors; {wanted} were requested.");
        }

        IReadOnlyList<TInput> inputs = values as IReadOnlyList<TInput> ?? values.ToList();
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

    /// <summary>
    /// Returns <see cref="Metadata"/> for <see cref="EmbeddingGeneratorMetadata"/>, this adapter or the wrapped embedder
    /// when they are of the requested type, else <see langword="null"/>. Keyed requests get <see langword="null"/>.
    /// </summary>
    /// <param name="serviceType">The type asked for.</param>
    /// <param name="serviceKey">A key; only <see langword="null"/> is served.</param>
    /// <returns>The service, or <see langword="null"/>.</returns>
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

    /// <summary>Disposes the embedder when asked to at construction; later calls to <see cref="GenerateAsync"/> throw.</summary>
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
