namespace ImageSearch;

/// <summary>
/// Turns inputs (images, words, ...) into fixed-dimension vectors for an <see cref="IVectorIndex"/>.
/// </summary>
/// <typeparam name="TInput">What is embedded: each kind of input has its own type (ImageSearch.Embeddings uses
/// <c>ImageInput</c> for images and <see cref="string"/> for words), so the compiler keeps them apart.</typeparam>
/// <remarks>Implementations state their own thread-safety; those in ImageSearch.Embeddings are thread-safe.</remarks>
public interface IEmbedder<in TInput>
{
    /// <summary>Number of elements in every vector this embedder returns.</summary>
    int Dimension { get; }

    /// <summary>Embeds one input.</summary>
    /// <param name="input">The input.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>A new vector of <see cref="Dimension"/> elements.</returns>
    /// <exception cref="EmbeddingException">The input could not be embedded (the message names it).</exception>
    Task<float[]> EmbedAsync(TInput input, CancellationToken cancellationToken = default);

    /// <summary>
    /// Embeds many inputs. A failing input does not stop the others: each result says whether it succeeded, and
    /// failures carry the exception. Results come back in input order.
    /// </summary>
    /// <param name="inputs">The inputs.</param>
    /// <param name="progress">Told after each input is done; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the whole batch (throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>One result per input, in input order.</returns>
    Task<IReadOnlyList<EmbeddingResult>> EmbedBatchAsync(
        IReadOnlyList<TInput> inputs,
        IProgress<EmbeddingProgress>? progress = null,
        CancellationToken cancellationToken = default);
}

/// <summary>The outcome of embedding one input of a batch.</summary>
/// <param name="Index">The input's position in the batch.</param>
/// <param name="Vector">The vector, or <see langword="null"/> when the input failed.</param>
/// <param name="Error">Why the input failed, or <see langword="null"/> when it succeeded.</param>
public sealed record EmbeddingResult(int Index, float[]? Vector, Exception? Error)
{
    /// <summary>Whether <see cref="Vector"/> holds a result.</summary>
    public bool Succeeded => Vector is not null;
}

/// <summary>Progress of a batch: how many inputs are done (succeeded or failed) out of how many.</summary>
/// <param name="Completed">Inputs finished so far, failures included.</param>
/// <param name="Failed">Inputs that failed so far.</param>
/// <param name="Total">Inputs in the batch.</param>
public readonly record struct EmbeddingProgress(int Completed, int Failed, int Total);

/// <summary>An input could not be turned into a vector (unreadable file, corrupt image, unknown word, ...).</summary>
public class EmbeddingException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed and which input.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public EmbeddingException(string message, Exception? innerException = null) : base(message, innerException) { }
}
