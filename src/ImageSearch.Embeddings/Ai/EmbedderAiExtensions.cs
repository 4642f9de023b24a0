using Microsoft.Extensions.AI;

namespace ImageSearch;

/// <summary>
/// Conversions between ImageSearch embedders and Microsoft.Extensions.AI embedding generators. Images cross as
/// <see cref="DataContent"/> (media type <c>image/*</c>) and words as strings, so a generator made from an image
/// embedder cannot be handed text, nor the reverse.
/// </summary>
/// <remarks>
/// <para>The generators embed a whole <c>GenerateAsync</c> call as one batch. Their contract is one embedding per
/// input, so a batch with failed inputs throws an <see cref="EmbeddingBatchException"/> listing every failed input.
/// <see cref="EmbeddingGenerationOptions.Dimensions"/> must be null or the embedder's dimension (else
/// <see cref="NotSupportedException"/>). <c>GetService(typeof(EmbeddingGeneratorMetadata))</c> reports provider
/// "ImageSearch", the model id and the dimension; the wrapped embedder is also served by its type.</para>
/// <para>The embedders made from generators send a batch in one call; if that call fails, each input is retried alone
/// so failures are reported per input, as <see cref="IEmbedder{TInput}"/> requires.</para>
/// <para>Thread-safety: as thread-safe as what they wrap (all ImageSearch embedders are).</para>
/// </remarks>
public static class EmbedderAiExtensions
{
    /// <summary>
    /// Exposes an image embedder as an <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> of image
    /// <see cref="DataContent"/>. A non-image content is refused with an <see cref="ArgumentException"/> giving its media
    /// type. An embedder made by <see cref="AsEmbedder(IEmbeddingGenerator{DataContent, Embedding{float}}, int?)"/>
    /// gives back its original generator.
    /// </summary>
    /// <param name="embedder">The image embedder.</param>
    /// <param name="modelId">Model id for the metadata and embeddings; defaults to the embedder's type name.</param>
    /// <param name="disposeEmbedder">Whether disposing the generator disposes the embedder (when it is <see cref="IDisposable"/>).</param>
    /// <returns>The generator.</returns>
    public static IEmbeddingGenerator<DataContent, Embedding<float>> AsIEmbeddingGenerator(
        this IEmbedder<ImageInput> embedder, string? modelId = null, bool disposeEmbedder = false)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        return embedder is GeneratorEmbedder<ImageInput, DataContent> wrapped && modelId is null && !disposeEmbedder
            ? wrapped.Generator
            : new EmbeddingGeneratorAdapter<DataContent, ImageInput>(embedder, ImageInput.FromDataContent, modelId, disposeEmbedder);
    }

    /// <summary>
    /// Exposes a word (text) embedder as an <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> of strings. An
    /// embedder made by <see cref="AsEmbedder(IEmbeddingGenerator{string, Embedding{float}}, int?)"/> gives back its
    /// original generator.
    /// </summary>
    /// <param name="embedder">The text embedder, for example a <see cref="WordEmbedder"/>.</param>
    /// <param name="modelId">Model id for the metadata and embeddings; defaults to the embedder's type name.</param>
    /// <param name="disposeEmbedder">Whether disposing the generator disposes the embedder (when it is <see cref="IDisposable"/>).</param>
    /// <returns>The generator.</returns>
    public static IEmbeddingGenerator<string, Embedding<float>> AsIEmbeddingGenerator(
        this IEmbedder<string> embedder, string? modelId = null, bool disposeEmbedder = false)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        return embedder is GeneratorEmbedder<string, string> wrapped && modelId is null && !disposeEmbedder
            ? wrapped.Generator
            : new EmbeddingGeneratorAdapter<string, string>(embedder, static s => s, modelId, disposeEmbedder);
    }

    /// <summary>
    /// Uses a generator of image <see cref="DataContent"/> (for example a hosted multimodal model) as an image embedder:
    /// each <see cref="ImageInput"/> is sent as a <see cref="DataContent"/> whose media type comes from the image's
    /// signature (JPEG, PNG, GIF, WebP, BMP). A generator made by
    /// <see cref="AsIEmbeddingGenerator(IEmbedder{ImageInput}, string?, bool)"/> gives back its original embedder.
    /// </summary>
    /// <param name="generator">The generator.</param>
    /// <param name="dimension">Its vector length, when its metadata does not report it.</param>
    /// <returns>The embedder.</returns>
    /// <exception cref="ArgumentException">No dimension given and the generator does not report one.</exception>
    public static IEmbedder<ImageInput> AsEmbedder(this IEmbeddingGenerator<DataContent, Embedding<float>> generator, int? dimension = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        return generator is EmbeddingGeneratorAdapter<DataContent, ImageInput> wrapped && (dimension is null || dimension == wrapped.Embedder.Dimension)
            ? wrapped.Embedder
            : new GeneratorEmbedder<ImageInput, DataContent>(generator, static image => image.ToDataContent(), dimension);
    }

    /// <summary>
    /// Uses a text generator (for example a hosted text-embedding service) as an ImageSearch text embedder. A generator
    /// made by <see cref="AsIEmbeddingGenerator(IEmbedder{string}, string?, bool)"/> gives back its original embedder.
    /// </summary>
    /// <param name="generator">The generator.</param>
    /// <param name="dimension">Its vector length, when its metadata does not report it.</param>
    /// <returns>The embedder.</returns>
    /// <exception cref="ArgumentException">No dimension given and the generator does not report one.</exception>
    public static IEmbedder<string> AsEmbedder(this IEmbeddingGenerator<string, Embedding<float>> generator, int? dimension = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        return generator is EmbeddingGeneratorAdapter<string, string> wrapped && (dimension is null || dimension == wrapped.Embedder.Dimension)
            ? wrapped.Embedder
            : new GeneratorEmbedder<string, string>(generator, static s => s, dimension);
    }
}
