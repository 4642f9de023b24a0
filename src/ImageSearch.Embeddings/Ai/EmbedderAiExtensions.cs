using Microsoft.Extensions.AI;

namespace ImageSearch;

/// <summary>Conversions between ImageSearch embedders and Microsoft.Extensions.AI embedding generators.</summary>
public static class EmbedderAiExtensions
{
    /// <summary>
    /// Exposes an embedder as an <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> (see
    /// <see cref="EmbeddingGeneratorAdapter{TInput}"/>). An embedder made by <see cref="AsEmbedder{TInput}"/> gives back
    /// its original generator.
    /// </summary>
    /// <typeparam name="TInput">What is embedded.</typeparam>
    /// <param name="embedder">The embedder.</param>
    /// <param name="modelId">Model id for the metadata; defaults to the embedder's type name.</param>
    /// <returns>The generator.</returns>
    public static IEmbeddingGenerator<TInput, Embedding<float>> AsEmbeddingGenerator<TInput>(this IEmbedder<TInput> embedder, string? modelId = null)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        return embedder is GeneratorEmbedder<TInput> wrapped && modelId is null
            ? wrapped.Generator
            : new EmbeddingGeneratorAdapter<TInput>(embedder, modelId);
    }

    /// <summary>
    /// Uses an <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> as an ImageSearch embedder (see
    /// <see cref="GeneratorEmbedder{TInput}"/>). A generator made by <see cref="AsEmbeddingGenerator{TInput}"/> gives
    /// back its original embedder.
    /// </summary>
    /// <typeparam name="TInput">What is embedded.</typeparam>
    /// <param name="generator">The generator.</param>
    /// <param name="dimension">Its vector length, when its metadata does not report it.</param>
    /// <returns>The embedder.</returns>
    public static IEmbedder<TInput> AsEmbedder<TInput>(this IEmbeddingGenerator<TInput, Embedding<float>> generator, int? dimension = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        return generator is EmbeddingGeneratorAdapter<TInput> wrapped && (dimension is null || dimension == wrapped.Embedder.Dimension)
            ? wrapped.Embedder
            : new GeneratorEmbedder<TInput>(generator, dimension);
    }
}
