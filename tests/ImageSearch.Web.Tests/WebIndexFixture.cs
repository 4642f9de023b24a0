using ImageSearch.Cli;
using ImageSearch.Cli.Web;

namespace ImageSearch.Web.Tests;

/// <summary>
/// One small index for the whole test run: 6 Pascal classes x 8 photos copied into a temp folder, embedded with the
/// built-in MobileNetV2 (fast), DeViSE trained with the checkout's GloVe. The photo folder also holds a symbolic link to
/// a photo outside it (indexed like any file, never served). Null <see cref="Index"/> with <see cref="SkipReason"/> when
/// the photos or GloVe are absent.
/// </summary>
public sealed class WebIndexFixture : IAsyncLifetime
{
    public static readonly string[] Classes = ["dog", "cat", "boat", "car", "bird", "aeroplane"];
    public const int PerClass = 8;
    public static readonly RepositoryData? Repository = RepositoryData.Find(typeof(WebIndexFixture).Assembly);

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "imagesearch-web-" + Guid.NewGuid().ToString("N")[..8]);

    public string Photos => Path.Combine(Root, "photos");

    public string Index => Path.Combine(Root, "index");

    /// <summary>A photo outside the photo folder, the target of <see cref="LinkPath"/>.</summary>
    public string Outside => Path.Combine(Root, "outside", "secret.jpg");

    /// <summary>A symbolic link in the photo folder pointing at <see cref="Outside"/>.</summary>
    public string LinkPath => Path.Combine(Photos, "dog", "zz-link.jpg");

    public string? SkipReason { get; private set; }

    /// <summary>Whether the folder scan indexed the link (so refusing to serve it is the server's doing).</summary>
    public bool LinkIndexed { get; private set; }

    public ServeOptions Options => new(Index, new ImageSearchEngineOptions { GloveDirectory = Repository!.GloveFolder });

    /// <summary>The indexed photos (real files), by class.</summary>
    public Dictionary<string, List<string>> ByClass { get; } = new(StringComparer.Ordinal);

    public static string? Absent()
        => Repository?.PascalDatasetFolder is null ? "Pascal Sentences not found (../shared or IMAGESEARCH_SHARED): the web tests are NOT run."
            : Repository.HasGlove ? null : "GloVe not fetched (run scripts/fetch-glove.sh): the web tests are NOT run.";

    public async Task InitializeAsync()
    {
        SkipReason = Absent();
        if (SkipReason is not null)
        {
            return;
        }

        foreach (string c in Classes)
        {
            Directory.CreateDirectory(Path.Combine(Photos, c));
            ByClass[c] = [];
            foreach (string src in Directory.EnumerateFiles(Path.Combine(Repository!.PascalDatasetFolder!, c), "*.jpg").Order(StringComparer.Ordinal).Take(PerClass))
            {
                string dst = Path.Combine(Photos, c, Path.GetFileName(src));
                File.Copy(src, dst);
                ByClass[c].Add(dst);
            }
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Outside)!);
        File.Copy(Directory.EnumerateFiles(Path.Combine(Repository!.PascalDatasetFolder!, "dog"), "*.jpg").Order(StringComparer.Ordinal).Last(), Outside);
        File.CreateSymbolicLink(LinkPath, Outside);

        await using var engine = await ImageSearchEngine.OpenOrCreateAsync(Index, ImageModelSpec.Parse("mobilenetv2"), Options.EngineOptions);
        await engine.SyncFolderAsync(Photos);
        LinkIndexed = engine.TryGetKey(LinkPath, out _);
        // Small batches: the default (64) would give one step per epoch on this few photos.
        await engine.TrainDeviseAsync(new DeviseTrainingOptions { BatchSize = 8, Epochs = 60 });
        await engine.SaveAsync(Index);
    }

    public Task DisposeAsync()
    {
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }

        return Task.CompletedTask;
    }

    /// <summary>Every file below the test root outside the index and photo folders, to check nothing was written there.</summary>
    public IEnumerable<string> FilesOutsideIndex()
        => Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories)
            .Where(f => !f.StartsWith(Index + Path.DirectorySeparatorChar, StringComparison.Ordinal));
}

[CollectionDefinition("web")]
public sealed class WebCollection : ICollectionFixture<WebIndexFixture>;

/// <summary>Skipped, with the reason, when the Pascal photos or GloVe are absent.</summary>
public sealed class WebFactAttribute : FactAttribute
{
    public WebFactAttribute()
    {
        Skip = WebIndexFixture.Absent();
    }
}
