using System.Reflection;
using System.Runtime.CompilerServices;

namespace ImageSearch.Cli.Tests;

/// <summary>
/// Points the library at the checkout's <c>.cache</c> and <c>../shared</c> when the tests run from a build folder outside
/// the checkout (IMAGESEARCH_ARTIFACTS), unless the variables are already set.
/// </summary>
internal static class TestData
{
    [ModuleInitializer]
    internal static void Locate()
    {
        string? projectDir = typeof(TestData).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "ImageSearchTestProjectDirectory")?.Value;
        for (var dir = projectDir is null ? null : new DirectoryInfo(projectDir); dir is not null; dir = dir.Parent)
        {
            if (Environment.GetEnvironmentVariable(GloveCache.CacheVariable) is null && Directory.Exists(Path.Combine(dir.FullName, ".cache", "glove")))
            {
                Environment.SetEnvironmentVariable(GloveCache.CacheVariable, Path.Combine(dir.FullName, ".cache"));
            }

            if (Environment.GetEnvironmentVariable(ImageModels.SharedFolderVariable) is null && Directory.Exists(Path.Combine(dir.FullName, "shared", "models")))
            {
                Environment.SetEnvironmentVariable(ImageModels.SharedFolderVariable, Path.Combine(dir.FullName, "shared"));
            }
        }
    }
}
