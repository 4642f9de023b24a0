namespace ImageSearch;

/// <summary>What a phrase lookup does with words that are not in the vocabulary.</summary>
public enum UnknownWordPolicy
{
    /// <summary>Throw an <see cref="UnknownWordException"/> naming every unknown word of the phrase.</summary>
    Throw = 0,

    /// <summary>
    /// Leave unknown words out (an average is then over the known words only). A phrase with no known word at all
    /// still throws an <see cref="UnknownWordException"/>.
    /// </summary>
    Skip = 1,
}
