namespace ImageSearch;

/// <summary>What an <see cref="ImageSearchEngine"/> knows about one indexed photo: the payload of its search hits.</summary>
/// <param name="Path">The photo's absolute path.</param>
/// <param name="Label">The name of the folder holding the photo (its class label for class weighting and DeViSE).</param>
/// <param name="Size">File length in bytes when it was embedded.</param>
/// <param name="LastWriteUtc">File modification time (UTC) when it was last checked.</param>
/// <param name="ContentHash">Lower-case hex SHA-256 of the file's bytes, or <see langword="null"/> when hashing was off.</param>
public sealed record PhotoInfo(string Path, string Label, long Size, DateTime LastWriteUtc, string? ContentHash)
{
    /// <summary>
    /// What was written about the photo (a sidecar text file, a folder's mapping file or a mapping given in code:
    /// <see cref="PhotoDescriptions"/>), or <see langword="null"/> when nothing was found. DeViSE training uses it
    /// when any photo has one.
    /// </summary>
    public string? Description { get; init; }
}
