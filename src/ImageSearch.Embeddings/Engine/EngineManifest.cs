using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImageSearch;

/// <summary>The <c>manifest.json</c> of an engine folder: written last on save, so it names only complete files.</summary>
internal sealed record EngineManifest
{
    public const string FileName = "manifest.json";
    public const string FormatName = "imagesearch-engine";
    // 2: the DeViSE section records the word vectors' fingerprint, the views and the stored features.
    // 3: catalog entries may carry a description, and the DeViSE section says whether the head was trained on them.
    public const int CurrentVersion = 3;
    public const string IndexFileName = "photos.isindex";
    public const string CatalogFileName = "photos.catalog";
    public const string DeviseHeadFileName = "devise.head";
    public const string DeviseIndexFileName = "devise.isindex";
    public const string DeviseFeaturesFileName = "devise.features.isindex";
    public const string ClassesFileName = "classes.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };

    public string Format { get; init; } = FormatName;
    public int FormatVersion { get; init; } = CurrentVersion;
    public string LibraryVersion { get; init; } = typeof(EngineManifest).Assembly.GetName().Version?.ToString() ?? "0";
    public required string ModelId { get; init; }
    public required string ModelSource { get; init; }
    public required int Dimension { get; init; }
    public required string Metric { get; init; }
    public required string IndexType { get; init; }
    public required int IndexFormatVersion { get; init; }
    public required string Index { get; init; }
    public required string Catalog { get; init; }
    public required int Count { get; init; }
    public DeviseManifest? Devise { get; init; }
    public string? Classes { get; init; }
    public DateTime SavedUtc { get; init; } = DateTime.UtcNow;

    public sealed record DeviseManifest(string Head, string Index, string Words, int WordDimension, IReadOnlyDictionary<string, string[]> Labels)
    {
        /// <summary>Number of words (version 2; absent in version 1, whose word vectors are not checked).</summary>
        public int? WordCount { get; init; }

        /// <summary>The word vectors' SHA-256 (see <see cref="WordsFingerprint"/>).</summary>
        public string? WordsSha256 { get; init; }

        /// <summary>The views (see <see cref="EngineViews"/>); absent or one view for a single-view head.</summary>
        public IReadOnlyList<string>? Views { get; init; }

        /// <summary>The stored per-view features, in views mode.</summary>
        public string? Features { get; init; }

        /// <summary>Photos whose descriptions the head was trained on (version 3; absent or 0: labels only).</summary>
        public int? Descriptions { get; init; }
    }

    public byte[] ToUtf8() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    public static EngineManifest Read(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                System.IO.Directory.Exists(directory)
                    ? $"'{directory}' is not an ImageSearch index folder (no {FileName})."
                    : $"Index folder '{directory}' does not exist.",
                path);
        }

        EngineManifest? m;
        try
        {
            m = JsonSerializer.Deserialize<EngineManifest>(File.ReadAllBytes(path), Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not a valid manifest: {e.Message}", e);
        }

        if (m is null || m.Format != FormatName)
        {
            throw new InvalidDataException($"'{path}' is not an ImageSearch engine manifest.");
        }

        if (m.FormatVersion is not (1 or 2 or CurrentVersion))
        {
            throw new InvalidDataException($"'{path}' is format version {m.FormatVersion}; this library reads versions 1 to {CurrentVersion}.");
        }

        return m;
    }
}
