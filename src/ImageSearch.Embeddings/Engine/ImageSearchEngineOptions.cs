
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

    /// <summary>
    /// Whether DeViSE uses four views of every photo (the photo, mirrored, stretched without a crop, stretched and
    /// mirrored: <see cref="DeviseViews.Default"/>), the setting the README's DeViSE figures were measured with:
    /// training takes every view as a sample, and a photo's word-space vector is the head applied to the mean of its
    /// views. Costs three more model runs per photo once a head is trained (and for every photo when one is first
    /// trained), and the stored per-view features. <see langword="true"/> by default; applies only to an
    /// <see cref="OnnxImageEmbedder"/> (other embedders have no views to vary) and only when a head is trained (an opened
    /// engine keeps the setting its head was trained with).
    /// </summary>
    public bool UseDeviseViews { get; init; } = true;

    /// <summary>
    /// After a sync, compact an index (<see cref="IVectorIndex.Compact"/>) whose deleted vectors exceed this share of its
    /// live ones; 0.2 by default. Every removed or changed photo leaves one (an <see cref="HnswIndex"/> tombstone keeps
    /// routing searches and costs memory until then; an <see cref="ExactIndex"/> reuses its slots for later adds).
    /// </summary>
    public double CompactionThreshold { get; init; } = 0.2;

    /// <summary>
    /// Whether a sync reads each photo's description (<see cref="PhotoDescriptions"/>: <see cref="Descriptions"/>, a
    /// sidecar <c>photo.jpg.txt</c> or <c>photo.txt</c>, a <c>descriptions.tsv</c> mapping file, or the description
    /// embedded in the photo: see <see cref="ReadEmbeddedDescriptions"/>) into <see cref="PhotoInfo.Description"/>.
    /// <see langword="true"/> by default.
    /// </summary>
    public bool ReadDescriptions { get; init; } = true;

    /// <summary>
    /// Whether, when <see cref="ReadDescriptions"/> is on, a photo without any other description gets the one embedded in
    /// it (EXIF ImageDescription, else XMP <c>dc:description</c>; JPEG only; <see cref="PhotoDescriptions.ReadEmbedded"/>:
    /// bounded, camera placeholder texts ignored, malformed metadata is no description and never fails a sync).
    /// <see langword="true"/> by default.
    /// </summary>
    public bool ReadEmbeddedDescriptions { get; init; } = true;

    /// <summary>Descriptions given in code: absolute photo path -> text, looked up before sidecar and mapping files; <see langword="null"/> for none.</summary>
    public IReadOnlyDictionary<string, string>? Descriptions { get; init; }

    /// <summary>
    /// Whether <see cref="ImageSearchEngine.TrainDeviseAsync"/> trains on the photos' descriptions when any photo has
    /// one (targets from the label and the description's words, <see cref="DescriptionTargets"/>, with
    /// <see cref="DeviseLoss.WordSoftmax"/>); otherwise, or when no photo has one, on the folder labels alone.
    /// <see langword="true"/> by default.
    /// </summary>
    public bool TrainOnDescriptions { get; init; } = true;

    /// <summary>How many of the most frequent words may be tags (see <see cref="DeviseTagger"/>); 50,000 by default.</summary>
    public int TagVocabulary { get; init; } = 50_000;

    /// <summary>Batching and threads of the ONNX image model when the engine loads it.</summary>
    public OnnxImageEmbedderOptions? EmbedderOptions { get; init; }

    internal static IVectorIndex DefaultIndex(int dimension) => new ExactIndex(dimension, DistanceMetric.Cosine);
}
