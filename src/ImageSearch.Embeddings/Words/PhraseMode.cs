namespace ImageSearch;

/// <summary>How <see cref="WordVectors.Compose(IEnumerable{string}, PhraseMode, UnknownWordPolicy)"/> combines the vectors of a phrase's words.</summary>
public enum PhraseMode
{
    /// <summary>The element-wise mean of the words' vectors (the usual phrase vector).</summary>
    Average = 0,

    /// <summary>The element-wise sum of the words' vectors.</summary>
    Sum = 1,
}
