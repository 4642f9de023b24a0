using ImageSearch.Testing;

namespace ImageSearch.Orleans.Tests.PublicApi;

/// <summary>The ImageSearch.Orleans package's public API equals api/ImageSearch.Orleans.approved.txt (see CONTRIBUTING.md to change it).</summary>
public class PublicApiTests
{
    [Fact]
    public void PublicApiIsTheApprovedOne() => PublicApiSnapshot.Verify(typeof(DistributedIndex).Assembly);
}
