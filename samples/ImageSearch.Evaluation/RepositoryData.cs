using System.Reflection;

namespace ImageSearch.Evaluation;

/// <summary>
/// Where this repository keeps its data: the git-ignored cache (<c>.cache/glove</c>, <c>.cache/features</c>) and the
/// shared folder beside the checkout (<c>../shared</c>: the Pascal Sentences photos and MobileNetV2). Only the
/// repository's own tools and tests use this; the library takes explicit paths. Immutable, thread-safe.
/// </summary>
public sealed class RepositoryData
{
    /// <summary>Environment variable that moves the cache root (the folder holding <c>glove/</c>), as in <c>scripts/lib.sh</c>.</summary>
    public const string CacheVariable = "IMAGESEARCH_CACHE";

    /// <summary>Environment variable naming the shared folder (the one holding <c>models/</c> and <c>datasets/</c>).</summary>
    public const string SharedVariable = "IMAGESEARCH_SHARED";

    /// <summary>Describes the checkout at <paramref name="root"/>.</summary>
    /// <param name="root">The folder holding <c>ImageSearch.sln</c>.</param>
    public RepositoryData(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
        string? cache = Environment.GetEnvironmentVariable(CacheVariable);
        CacheFolder = string.IsNullOrWhiteSpace(cache) ? Path.Combine(Root, ".cache") : Path.GetFullPath(cache);
        string? shared = Environment.GetEnvironmentVariable(SharedVariable);
        SharedFolder = !string.IsNullOrWhiteSpace(shared) ? Path.GetFullPath(shared)
            : new[] { Path.Combine(Root, "..", "shared"), Path.Combine(Root, "shared") }.Select(Path.GetFullPath).FirstOrDefault(Directory.Exists);
    }

    /// <summary>The checkout.</summary>
    public string Root { get; }

    /// <summary>The cache root: <c>IMAGESEARCH_CACHE</c>, else <c>&lt;root&gt;/.cache</c>.</summary>
    public string CacheFolder { get; }

    /// <summary>The GloVe folder (<c>scripts/fetch-glove.sh</c> fills it).</summary>
    public string GloveFolder => Path.Combine(CacheFolder, "glove");

    /// <summary>The folder of the evaluation's feature caches (one file per model view).</summary>
    public string FeatureCacheFolder => Path.Combine(CacheFolder, "features");

    /// <summary>The shared folder: <c>IMAGESEARCH_SHARED</c>, else <c>../shared</c> or <c>./shared</c> of the checkout; <see langword="null"/> when absent.</summary>
    public string? SharedFolder { get; }

    /// <summary>The Pascal Sentences <c>dataset</c> folder (one sub-folder of photos per class), or <see langword="null"/> when absent.</summary>
    public string? PascalDatasetFolder => Existing(SharedFolder is null ? null : Path.Combine(SharedFolder, "datasets", "pascal-sentences", "dataset"));

    /// <summary>The shared <c>mobilenetv2-12-int8.onnx</c>, or <see langword="null"/> when absent.</summary>
    public string? MobileNetV2File => ExistingFile(SharedFolder is null ? null : Path.Combine(SharedFolder, "models", "mobilenetv2-12-int8.onnx"));

    /// <summary>The shared <c>imagenet-labels.txt</c>, or <see langword="null"/> when absent.</summary>
    public string? ImageNetLabelsFile => ExistingFile(SharedFolder is null ? null : Path.Combine(SharedFolder, "models", "imagenet-labels.txt"));

    /// <summary>Whether the GloVe folder holds something <see cref="Glove.OpenAsync"/> can open.</summary>
    public bool HasGlove => Glove.IsAvailable(GloveFolder);

    /// <summary>
    /// The checkout recorded in an assembly's <c>ImageSearch.RepositoryRoot</c> metadata (test projects get it from
    /// <c>Directory.Build.props</c>), else the first folder holding <c>ImageSearch.sln</c> above the current directory.
    /// </summary>
    /// <param name="assembly">The assembly whose metadata is read; <see langword="null"/> to only walk up.</param>
    /// <returns>The layout, or <see langword="null"/> when no checkout is found.</returns>
    public static RepositoryData? Find(Assembly? assembly = null)
    {
        string? recorded = assembly?.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "ImageSearch.RepositoryRoot")?.Value;
        if (recorded is not null && File.Exists(Path.Combine(recorded, "ImageSearch.sln")))
        {
            return new RepositoryData(recorded);
        }

        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ImageSearch.sln")))
            {
                return new RepositoryData(dir.FullName);
            }
        }

        return null;
    }

    private static string? Existing(string? dir) => dir is not null && Directory.Exists(dir) ? dir : null;

    private static string? ExistingFile(string? file) => file is not null && File.Exists(file) ? file : null;
}
