
namespace ImageSearch;

/// <summary>Settings of an <see cref="ImageSearchEngine"/>. Immutable once passed; may be shared.</summary>
public sealed record ImageSearchEngineOptions
{
    /// <summary>The file extensions indexed (case-insensitive, with the dot).</summary>
    public static IReadOnlyCollection<string> DefaultExtensions { get; } = [".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"];

    /// <summary>
    /// Creates the empty photo index of a new engine from the model's dimension. <see langword="null"/> (default) makes an
    /// exact cosine <see cref="ExactIndex"/>; pass for example <c>d =&gt; new HnswIndex(d, DistanceMetric.Cosine)</c> for
    /// large collections. The index must use <see cref="DistanceMetric.Cosine"/>. Ignored when opening a folder (the
    /// saved index keeps its type).
    /// </summary>
    public Func<int, IVectorIndex>? IndexFactory { get; init; }

    /// <summary>Whether to keep a SHA-256 of every file, so a file whose time changed but content did not is not
    /// embedded again. <see langword="true"/> by default.</summary>
    public bool HashContent { get; init; } = true;

    /// <summary>Extensions of the files a sync indexes; <see cref="DefaultExtensions"/> unless set.</summary>
    public IReadOnlyCollection<string> Extensions { get; init; } = DefaultExtensions;

    /// <summary>Word vectors for DeViSE (training, word search, tags); when <see langword="null"/>, the GloVe in
    /// <see cref="GloveDirectory"/> is opened the first time they are needed.</summary>
    public WordVectors? Words { get; init; }

    /// <summary>A GloVe folder (<see cref="Glove.OpenAsync"/>; <see cref="Glove.DownloadAsync"/> fills it), opened the
    /// first time words are needed when <see cref="Words"/> is <see langword="null"/>. With neither, DeViSE training,
    /// word search and tags throw <see cref="InvalidOperationException"/>; indexing and look-alike search need no words.</summary>
    public string? GloveDirectory { get; init; }

    /// <summary>How many of the most frequent words may be tags; 50,000 by default.</summary>
    public int TagVocabulary { get; init; } = 50_000;

    /// <summary>Batching and threads of the ONNX image model when the engine loads it.</summary>
    public OnnxImageEmbedderOptions? EmbedderOptions { get; init; }

    internal static IVectorIndex DefaultIndex(int dimension) => new ExactIndex(dimension, DistanceMetric.Cosine);
}
