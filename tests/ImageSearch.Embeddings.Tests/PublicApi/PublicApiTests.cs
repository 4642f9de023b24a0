using ImageSearch.Testing;

namespace ImageSearch.Embeddings.Tests.PublicApi;

/// <summary>The ImageSearch.Embeddings package's public API equals api/ImageSearch.Embeddings.approved.txt (see CONTRIBUTING.md to change it).</summary>
public class PublicApiTests
{
    [Fact]
    public void PublicApiIsTheApprovedOne() => PublicApiSnapshot.Verify(typeof(WordVectors).Assembly);
}
