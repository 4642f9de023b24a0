
namespace ImageSearch.Embeddings.Tests.Words;

public class GloveCacheTests
{
    private static async Task WriteJson(WordVectors v, string path)
    {
        // The package layout, written by hand: {"dimensions":d,"vectors":{word:[values..., norm, index]}}.
        await using var w = new StreamWriter(path);
        await w.WriteAsync($"{{\"dimensions\":{v.Dimension},\"vectors\":{{");
        for (int i = 0; i < v.Count; i++)
        {
            string values = string.Join(",", v.GetVector(i).ToArray().Select(x => x.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
            await w.WriteAsync($"{(i == 0 ? "" : ",")}{System.Text.Json.JsonSerializer.Serialize(v.Words[i])}:[{values},1,{i}]");
        }

        await w.WriteAsync("}}");
    }

    [Fact]
    public async Task Builds_the_binary_cache_on_first_use_and_opens_it_afterwards()
    {
        using var dir = new TempDir();
        var original = WordTestData.Random(40, 4);
        await WriteJson(original, dir.File(GloveCache.JsonFileName));
        Assert.True(GloveCache.IsAvailable(dir.Path));

        WordTestData.AssertEqual(original, await GloveCache.OpenAsync(dir.Path));
        string binary = dir.File(GloveCache.BinaryFileName);
        Assert.True(File.Exists(binary));

        // With the JSON gone, only the cache can answer.
        File.Delete(dir.File(GloveCache.JsonFileName));
        WordTestData.AssertEqual(original, await GloveCache.OpenAsync(dir.Path));
    }

    [Fact]
    public async Task A_damaged_cache_is_rebuilt_from_the_json()
    {
        using var dir = new TempDir();
        var original = WordTestData.Random(40, 4);
        await WriteJson(original, dir.File(GloveCache.JsonFileName));
        string binary = dir.File(GloveCache.BinaryFileName);
        await File.WriteAllBytesAsync(binary, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        File.SetLastWriteTimeUtc(binary, DateTime.UtcNow.AddMinutes(1));

        WordTestData.AssertEqual(original, await GloveCache.OpenAsync(dir.Path));
        WordTestData.AssertEqual(original, await WordVectors.LoadBinaryAsync(binary));
    }

    [Fact]
    public async Task Missing_data_says_how_to_fetch_it()
    {
        using var dir = new TempDir();
        Assert.False(GloveCache.IsAvailable(dir.Path));
        var e = await Assert.ThrowsAsync<FileNotFoundException>(() => GloveCache.OpenAsync(dir.Path));
        Assert.Contains("scripts/fetch-glove.sh", e.Message);
    }
}
