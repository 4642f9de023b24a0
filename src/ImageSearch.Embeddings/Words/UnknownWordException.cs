namespace ImageSearch;

/// <summary>One or more words are not in a <see cref="WordVectors"/> vocabulary.</summary>
/// <remarks>Derives from <see cref="KeyNotFoundException"/>, so code that catches a missing key catches it too.</remarks>
public sealed class UnknownWordException : KeyNotFoundException
{
    /// <summary>Creates the exception for the given unknown words.</summary>
    /// <param name="words">The unknown words, as the caller wrote them.</param>
    /// <param name="vocabularySize">Size of the vocabulary they were looked up in (for the message).</param>
    public UnknownWordException(IReadOnlyList<string> words, int vocabularySize)
        : base(BuildMessage(words, vocabularySize))
    {
        Words = words;
    }

    /// <summary>The unknown words, in the order they were met, as the caller wrote them.</summary>
    public IReadOnlyList<string> Words { get; }

    private static string BuildMessage(IReadOnlyList<string> words, int vocabularySize)
    {
        ArgumentNullException.ThrowIfNull(words);
        string list = string.Join(", ", words.Select(w => "'" + w + "'"));
        return words.Count == 1
            ? $"Unknown word {list}: it is not in the {vocabularySize:N0}-word vocabulary."
            : $"Unknown words {list}: they are not in the {vocabularySize:N0}-word vocabulary.";
    }
}
