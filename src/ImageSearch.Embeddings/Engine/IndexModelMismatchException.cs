namespace ImageSearch;

/// <summary>An engine folder was opened with a different image model (or dimension) than the one that built it.</summary>
public sealed class IndexModelMismatchException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="directory">The engine folder.</param>
    /// <param name="indexModel">The model id recorded in the folder.</param>
    /// <param name="indexDimension">The dimension recorded in the folder.</param>
    /// <param name="requestedModel">The model id it was opened with.</param>
    /// <param name="requestedDimension">That model's dimension.</param>
    public IndexModelMismatchException(string directory, string indexModel, int indexDimension, string requestedModel, int requestedDimension)
        : base($"The index in '{directory}' was built with model '{indexModel}' ({indexDimension}-d); it cannot be used with model " +
               $"'{requestedModel}' ({requestedDimension}-d). Open it with '{indexModel}', or build a new index in another folder.")
    {
        Directory = directory;
        IndexModel = indexModel;
        RequestedModel = requestedModel;
    }

    /// <summary>The engine folder.</summary>
    public string Directory { get; }

    /// <summary>The model id recorded in the folder.</summary>
    public string IndexModel { get; }

    /// <summary>The model id it was opened with.</summary>
    public string RequestedModel { get; }
}
