namespace ImageSearch;

/// <summary>
/// Some inputs of a batch could not be embedded. Thrown by the generators that
/// <see cref="EmbedderAiExtensions"/>'s <c>AsIEmbeddingGenerator</c> makes, whose contract (one embedding per input)
/// cannot hold gaps. <see cref="Failures"/> says which inputs failed and why;
/// <see cref="Exception.InnerException"/> is an <see cref="AggregateException"/> of the same errors.
/// </summary>
public sealed class EmbeddingBatchException : EmbeddingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="failures">The failed items (each with its index in the batch and its error).</param>
    /// <param name="total">How many inputs the batch had.</param>
    /// <param name="describe">Describes input <c>i</c> for the message; may be null.</param>
    public EmbeddingBatchException(IReadOnlyList<EmbeddingResult> failures, int total, Func<int, string>? describe = null)
        : base(BuildMessage(failures, total, describe), new AggregateException(failures.Select(f => f.Error ?? new EmbeddingException($"Input {f.Index} failed."))))
    {
        Failures = failures;
        Total = total;
    }

    /// <summary>The failed inputs, in batch order.</summary>
    public IReadOnlyList<EmbeddingResult> Failures { get; }

    /// <summary>How many inputs the batch had.</summary>
    public int Total { get; }

    private static string BuildMessage(IReadOnlyList<EmbeddingResult> failures, int total, Func<int, string>? describe)
    {
        ArgumentNullException.ThrowIfNull(failures);
        const int Shown = 10;
        var lines = failures.Take(Shown).Select(f =>
            $"  #{f.Index}{(describe is null ? "" : " " + describe(f.Index))}: {f.Error?.Message ?? "failed"}");
        string more = failures.Count > Shown ? $"{Environment.NewLine}  ... and {failures.Count - Shown} more" : "";
        return $"{failures.Count} of {total} inputs could not be embedded:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}{more}";
    }
}
