namespace ImageSearch.Cli.Web;

/// <summary>What <c>imagesearch serve</c> serves.</summary>
/// <param name="IndexDirectory">The index folder (may not hold an index yet: the page then says it is being built).</param>
/// <param name="EngineOptions">How the engine is opened (where GloVe is).</param>
public sealed record ServeOptions(string IndexDirectory, ImageSearchEngineOptions EngineOptions)
{
    /// <summary>The largest uploaded photo accepted (bytes); larger ones get 413.</summary>
    public long MaxUploadBytes { get; init; } = 20 * 1024 * 1024;

    /// <summary>The largest <c>k</c> a request may ask for.</summary>
    public int MaxK { get; init; } = 1000;
}
