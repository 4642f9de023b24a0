using System.Text.Json;

namespace ImageSearch.Embeddings.Tests.Engine;

/// <summary>
/// A save killed before its manifest must leave the previous save whole. With fixed file names a killed save left the new
/// index beside the old catalog, and the folder no longer opened (found by the crash harness, docs/reliability.md).
/// </summary>
public sealed class EngineSaveCrashTests
{
    [Fact]
    public async Task Save_NeverOverwritesThePreviousSavesFiles_AndAKilledSaveLeavesItWhole()
    {
        using var tmp = new TempFolder();
        tmp.Write("p/x/a.jpg", "v:1,0,0,0");
        string dir = tmp.Path("index"), saveA = tmp.Path("save-a");
        using var engine = ImageSearchEngine.Create(new FakeImageEmbedder(), "fake-4");
        await engine.SyncFolderAsync(tmp.Path("p"));
        await engine.SaveAsync(dir);
        Copy(dir, saveA, _ => true);

        tmp.Write("p/x/b.jpg", "v:0,1,0,0");
        await engine.SyncFolderAsync(tmp.Path("p"));
        await engine.SaveAsync(dir);

        // The second save wrote only new names, and then removed the first save's files.
        string[] namedA = Named(saveA), namedB = Named(dir);
        Assert.Equal(["manifest.json"], namedA.Intersect(namedB));
        Assert.Equal(namedB.Order(), Directory.GetFiles(dir).Select(Path.GetFileName).Order());

        // Killed just before its manifest: the first save's files and manifest, the second save's data files, a temp file.
        string crashed = tmp.Path("crashed");
        Copy(saveA, crashed, _ => true);
        Copy(dir, crashed, name => name != "manifest.json");
        File.WriteAllText(Path.Combine(crashed, ".photos.catalog.0123456789ab.tmp"), "half-written");
        using (var reopened = await ImageSearchEngine.OpenAsync(crashed, new FakeImageEmbedder(), "fake-4"))
        {
            Assert.Equal(["a.jpg"], reopened.Photos.Values.Select(p => Path.GetFileName(p.Path)));
            await reopened.SaveAsync();
        }

        // The next save keeps only what its manifest names.
        Assert.Equal(Named(crashed).Order(), Directory.GetFiles(crashed).Select(Path.GetFileName).Order());
    }

    private static string[] Named(string dir)
    {
        using var m = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "manifest.json")));
        var names = new List<string> { "manifest.json", m.RootElement.GetProperty("index").GetString()!, m.RootElement.GetProperty("catalog").GetString()! };
        if (m.RootElement.TryGetProperty("classes", out var classes))
        {
            names.Add(classes.GetString()!);
        }

        return [.. names];
    }

    private static void Copy(string from, string to, Func<string, bool> which)
    {
        Directory.CreateDirectory(to);
        foreach (string f in Directory.GetFiles(from).Where(f => which(Path.GetFileName(f))))
        {
            File.Copy(f, Path.Combine(to, Path.GetFileName(f)), overwrite: true);
        }
    }
}
