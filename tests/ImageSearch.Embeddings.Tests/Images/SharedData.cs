
namespace ImageSearch.Embeddings.Tests.Images;

/// <summary>Locates the shared models and photos; tests needing them are skipped (with this reason) when absent.</summary>
internal static class SharedData
{
    public static string? Folder => TestRepository.Data?.SharedFolder;

    /// <summary>The shared copy of MobileNetV2 (the library has its own built in; tests compare the two).</summary>
    public static string MobileNetV2Path => Path.Combine(Folder!, "models", ImageModels.MobileNetV2FileName);

    public static string LabelsPath => Path.Combine(Folder!, "models", "imagenet-labels.txt");

    /// <summary>The Pascal Sentences <c>dataset</c> folder.</summary>
    public static string PascalFolder => TestRepository.Data?.PascalDatasetFolder ?? throw new DirectoryNotFoundException(MissingReason);

    /// <summary>The Pascal Sentences listing.</summary>
    public static PascalDataset Pascal => field ??= PascalDataset.Load(PascalFolder);

    public static string? MissingReason { get; } = ComputeMissing();

    private static string? ComputeMissing()
    {
        if (TestRepository.Data is null)
        {
            return "the repository checkout was not found (ImageSearch.RepositoryRoot metadata)";
        }

        if (Folder is null)
        {
            return $"shared data folder not found (set {RepositoryData.SharedVariable}); looked beside {TestRepository.Data.Root}";
        }

        if (!File.Exists(MobileNetV2Path))
        {
            return $"{MobileNetV2Path} is missing";
        }

        if (TestRepository.Data.PascalDatasetFolder is null)
        {
            return "shared/datasets/pascal-sentences/dataset is missing";
        }

        try
        {
            ImageModels.ResNet18();
        }
        catch (FileNotFoundException ex)
        {
            return ex.Message;
        }

        return null;
    }
}

/// <summary>A fact that is skipped, with the reason shown, when the shared models or photos are missing.</summary>
public sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute()
    {
        if (SharedData.MissingReason is { } reason)
        {
            Skip = "Needs the shared data: " + reason;
        }
    }
}
