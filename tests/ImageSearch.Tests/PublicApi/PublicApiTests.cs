using ImageSearch.Testing;

namespace ImageSearch.Tests.PublicApi;

/// <summary>The ImageSearch package's public API equals api/ImageSearch.approved.txt (see CONTRIBUTING.md to change it).</summary>
public class PublicApiTests
{
    [Fact]
    public void PublicApiIsTheApprovedOne() => PublicApiSnapshot.Verify(typeof(IVectorIndex).Assembly);
}
