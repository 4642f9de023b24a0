namespace ImageSearch;

/// <summary>
/// Finds the ResNet-18 files of the NuGet package: in the application's output folder (where the package's build
/// targets copy them), else in the NuGet global packages folder. Every failure message lists where it looked.
/// </summary>
internal static class ModelLocator
{
    public static string FindResNet18Directory()
    {
        var tried = new List<string>();
        foreach (string candidate in ResNet18Candidates())
        {
            tried.Add(candidate);
            if (File.Exists(Path.Combine(candidate, "ResNet18Onnx", "ResNet18.onnx"))
                && File.Exists(Path.Combine(candidate, "ResNetPrepOnnx", "ResNetPreprocess.onnx")))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException(
            $"ResNet-18 ONNX files (ResNet18Onnx/ResNet18.onnx, ResNetPrepOnnx/ResNetPreprocess.onnx) were not found. " +
            $"Restore NuGet package {ImageModels.ResNet18PackageId} {ImageModels.ResNet18PackageVersion} (ImageSearch.Embeddings depends on it) " +
            $"or pass the DnnImageModels folder. Looked in: {string.Join("; ", tried)}");
    }

    private static IEnumerable<string> ResNet18Candidates()
    {
        yield return Path.Combine(AppContext.BaseDirectory, "DnnImageModels");
        string? nugetRoot = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrEmpty(nugetRoot))
        {
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            nugetRoot = Path.Combine(home, ".nuget", "packages");
        }

        string packageDir = Path.Combine(nugetRoot, ImageModels.ResNet18PackageId);
        yield return Path.Combine(packageDir, ImageModels.ResNet18PackageVersion, "tools", "DnnImageModels");
        if (Directory.Exists(packageDir))
        {
            // Any other restored version, newest first by name.
            var versions = Directory.GetDirectories(packageDir);
            Array.Sort(versions, StringComparer.Ordinal);
            for (int i = versions.Length - 1; i >= 0; i--)
            {
                if (!string.Equals(Path.GetFileName(versions[i]), ImageModels.ResNet18PackageVersion, StringComparison.Ordinal))
                {
                    yield return Path.Combine(versions[i], "tools", "DnnImageModels");
                }
            }
        }
    }
}
