using ImageSearch.Testing;

namespace ImageSearch.VectorData.Tests.PublicApi;

/// <summary>The ImageSearch.VectorData package's public API equals api/ImageSearch.VectorData.approved.txt (see CONTRIBUTING.md to change it).</summary>
public class PublicApiTests
{
    [Fact]
    public void PublicApiIsTheApprovedOne() => PublicApiSnapshot.Verify(typeof(ImageSearchVectorStore).Assembly);
}
