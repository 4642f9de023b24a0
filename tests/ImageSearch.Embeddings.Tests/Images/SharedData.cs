
namespace ImageSearch.Embeddings.Tests.Images;

/// <summary>Locates the shared models and photos; tests needing them are skipped (with this reason) when absent.</summary>
internal static class SharedData
{
    public static readonly string? Folder = Find();

    public static string MobileNetV2Path => Path.Combine(Folder!, "models", ImageModels.MobileNetV2FileName);

    public static string LabelsPath => Path.Combine(Folder!, "models", "imagenet-labels.txt");

    public static string? MissingReason { get; } = ComputeMissing();

    private static string? Find()
    {
        if (ImageModels.TryFindSharedFolder(out string? folder, out _))
        {
            return folder;
        }

        // The build output may live outside the checkout (IMAGESEARCH_ARTIFACTS): walk up from the project's source folder.
        string? projectDir = typeof(SharedData).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "ImageSearchTestProjectDirectory")?.Value;
        for (var dir = projectDir is null ? null : new DirectoryInfo(projectDir); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared");
            if (Directory.Exists(Path.Combine(candidate, "models")))
            {
                // ImageModels.MobileNetV2Shared and PascalDataset.Load read the same variable.
                Environment.SetEnvironmentVariable(ImageModels.SharedFolderVariable, candidate);
                return candidate;
            }
        }

        return null;
    }

    private static string? ComputeMissing()
    {
        if (Folder is null)
        {
            ImageModels.TryFindSharedFolder(out _, out string searched);
            return $"shared data folder not found (set IMAGESEARCH_SHARED); looked in {searched}";
        }

        if (!File.Exists(MobileNetV2Path))
        {
            return $"{MobileNetV2Path} is missing";
        }

        if (!PascalDataset.TryFind(out _))
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
