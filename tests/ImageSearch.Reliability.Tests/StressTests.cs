using ImageSearch.Reliability;

namespace ImageSearch.Reliability.Tests;

/// <summary>The CI run of <c>stress</c>: a few seconds per target (the hand run is an hour; docs/reliability.md).</summary>
public sealed class StressTests
{
    public static TheoryData<string> Indexes => ["exact", "exact-f16", "hnsw"];

    [Theory]
    [MemberData(nameof(Indexes))]
    public void ConcurrentIndexOperations_KeepEveryInvariant(string kind)
    {
        string work = Directory.CreateTempSubdirectory("imagesearch-stress-test-").FullName;
        try
        {
            var stress = new IndexStress(kind, StressCommand.Factory(kind), threads: 4, TimeSpan.FromSeconds(5), seed: 3, work);
            stress.Run();
            Assert.Empty(stress.Messages);
            Assert.Equal(0, stress.Violations);
            Assert.All(stress.Counts, c => Assert.True(c.Count > 0 || c.Operation is "compact" or "save+load" or "self-query miss", $"{c.Operation} never ran"));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public void SyncWhileSearching_KeepsEveryInvariant()
    {
        string work = Directory.CreateTempSubdirectory("imagesearch-stress-test-").FullName;
        try
        {
            var stress = new EngineStress(threads: 3, TimeSpan.FromSeconds(5), seed: 3, work);
            stress.Run();
            Assert.Empty(stress.Messages);
            Assert.All(stress.Counts.Where(c => c.Operation is "sync" or "search"), c => Assert.True(c.Count > 0, $"{c.Operation} never ran"));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
