namespace ImageSearch.Embeddings.Tests;

/// <summary>
/// The checkout these tests were built from (recorded by Directory.Build.props as assembly metadata, so it is found
/// even when the build output lives elsewhere): its <c>.cache</c> (GloVe, feature caches) and <c>../shared</c>.
/// </summary>
internal static class TestRepository
{
    public static readonly RepositoryData? Data = RepositoryData.Find(typeof(TestRepository).Assembly);
}
