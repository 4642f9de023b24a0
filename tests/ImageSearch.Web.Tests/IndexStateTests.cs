using ImageSearch.Cli.Web;

namespace ImageSearch.Web.Tests;

/// <summary>A re-saved index replaces the served one without leaking the old engine or pulling it from a running request.</summary>
[Collection("web")]
public sealed class IndexStateTests(WebIndexFixture index)
{
    [WebFact]
    public async Task A_replaced_index_is_disposed_when_its_last_lease_ends_and_not_before()
    {
        string copy = Path.Combine(Path.GetTempPath(), "imagesearch-state-" + Guid.NewGuid().ToString("N")[..8]);
        CopyFolder(index.Index, copy);
        try
        {
            var state = new IndexState(index.Options with { IndexDirectory = copy });
            var first = await state.AcquireAsync(CancellationToken.None);
            IndexSnapshot old = first.Snapshot!;

            // A new save: the manifest is written last, with a new time.
            string manifest = Path.Combine(copy, "manifest.json");
            File.SetLastWriteTimeUtc(manifest, File.GetLastWriteTimeUtc(manifest).AddMinutes(1));
            await Task.Delay(TimeSpan.FromSeconds(2.2)); // past the re-check interval
            var second = await state.AcquireAsync(CancellationToken.None);
            IndexSnapshot current = second.Snapshot!;

            Assert.NotSame(old, current);
            Assert.False(old.IsDisposed); // the first request still holds it
            Assert.NotEmpty(await old.Engine.SimilarAsync(ImageInput.FromFile(index.ByClass["dog"][0]), 3));

            first.Dispose();
            Assert.True(old.IsDisposed); // its last lease ended: no engine left open per re-save
            await Assert.ThrowsAsync<ObjectDisposedException>(() => old.Engine.SimilarAsync(ImageInput.FromFile(index.ByClass["dog"][0]), 3));

            second.Dispose();
            Assert.False(current.IsDisposed); // the current index stays open between requests
            await state.DisposeAsync();
            Assert.True(current.IsDisposed);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }
}
