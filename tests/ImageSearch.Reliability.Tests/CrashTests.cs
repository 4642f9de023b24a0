using ImageSearch.Reliability;

namespace ImageSearch.Reliability.Tests;

/// <summary>The CI run of <c>crash</c>: a few SIGKILLs per operation (the hand run does 200; docs/reliability.md).</summary>
public sealed class CrashTests
{
    [Theory]
    [InlineData("exact")]
    [InlineData("hnsw")]
    [InlineData("engine")]
    [InlineData("devise")]
    public async Task KilledOperation_LeavesTheStateBeforeOrAfter(string operation)
    {
        string work = Path.Combine(Path.GetTempPath(), "imagesearch-crash-test-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var row = await CrashCommand.RunOperationAsync(CrashOperation.Create(operation), operation, work, kills: 8, seed: 11, TextWriter.Null);
            Assert.Empty(row.Failures);
            Assert.Equal(8, row.Kills);
            Assert.Equal(row.Kills + row.Completed, row.Before + row.After);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
