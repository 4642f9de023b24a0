using System.Runtime.CompilerServices;

namespace ImageSearch.Cli.Tests;

/// <summary>
/// The checkout's data for the CLI tests: its <c>.cache</c> (GloVe fetched by scripts/fetch-glove.sh) and
/// <c>../shared</c> (the Pascal photos), found through the build's <c>ImageSearch.RepositoryRoot</c> metadata. The tool
/// itself finds nothing in a checkout: the tests point it at the cache with <c>IMAGESEARCH_CACHE</c>, so it never downloads.
/// </summary>
internal static class TestData
{
    public static readonly RepositoryData? Repository = RepositoryData.Find(typeof(TestData).Assembly);

    [ModuleInitializer]
    internal static void PointTheToolAtTheCheckoutCache()
    {
        if (Repository is not null && Environment.GetEnvironmentVariable(GloveSource.CacheVariable) is null)
        {
            Environment.SetEnvironmentVariable(GloveSource.CacheVariable, Repository.CacheFolder);
        }
    }
}
