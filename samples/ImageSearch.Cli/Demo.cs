using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace ImageSearch.Cli;

/// <summary>
/// <c>imagesearch demo</c>: the walkthrough on Pascal Sentences with the default models (ResNet-18, GloVe, DeViSE):
/// look-alikes of a photo; the same search class-weighted; nearest words; tags of a photo; photos for one word; photos
/// for two words. The photos folder is an argument (<c>scripts/demo.sh</c> passes the repository's Pascal copy); the
/// index lives in <c>&lt;cache&gt;/demo/pascal-resnet18</c>, so a second run only checks the files.
/// </summary>
internal static class Demo
{
    private const string WeightClass = "cat";
    private const string NearWord = "cat";
    private static readonly string[] OneWord = ["boat"];
    private static readonly string[] TwoWords = ["cat", "sofa"];

    public static async Task<int> RunAsync(CliArgs a, Output output, IAnsiConsole err, GloveSource glove, CancellationToken ct)
    {
        string data = Path.GetFullPath(a.Expect(1, 1, "the Pascal Sentences photo folder (one sub-folder of photos per class)")[0]);
        string? work = a.Option("work");
        int k = a.PositiveInt("k", 5);
        a.RejectUnused();
        if (output.Json || output.HtmlPath is not null)
        {
            throw new UsageException("'demo' prints tables only; use the single commands for --json or --html.");
        }

        if (!Directory.Exists(data))
        {
            throw new DirectoryNotFoundException($"Photo folder '{data}' does not exist.");
        }

        work ??= Path.Combine(glove.CacheRoot, "demo", "pascal-resnet18");
        var c = output.Console;
        var total = Stopwatch.StartNew();
        c.Write(new Rule("[bold]ImageSearch demo: Pascal Sentences, ResNet-18, GloVe, DeViSE[/]").LeftJustified());
        c.MarkupLine($"photos: {Markup.Escape(data)}");
        c.MarkupLine($"index:  {Markup.Escape(work)}");

        await glove.EnsureAsync(ct);
        await using var engine = await ImageSearchEngine.OpenOrCreateAsync(work, ImageModelSpec.ResNet18, glove.EngineOptions(), ct);
        var sw = Stopwatch.StartNew();
        var report = await CliApp.SyncWithProgressAsync(engine, data, err, ct);
        await engine.GetClassWeightsAsync(ct); // the folder-label classifier: trained once, then saved with the index
        await engine.SaveAsync(work, ct);

        CliApp.PrintSync(report, engine.Count, output, null);
        c.MarkupLine(Inv($"[grey]index ready in {sw.Elapsed.TotalSeconds:F1} s ({report.Added + report.Updated} photos embedded, {report.Unchanged} unchanged, {report.Failures.Count} failed)[/]"));

        // 1 and 2: a photo filed under another class whose captions mention a cat, plain and weighted toward 'cat'.
        var (query, why) = await PickQueryAsync(engine, data, k, ct);
        Step(c, 1, $"look-alikes of {Output.Short(query)}", why);
        var plain = await engine.SimilarAsync(ImageInput.FromFile(query), k, default, ct);
        output.Results($"look-alikes of {Output.Short(query)}", CliApp.Rows(plain), query);

        ClassChoice cat = await engine.FindClassAsync(WeightClass, ct);
        Step(c, 2, $"the same search, weighted by class '{cat.Name}'", $"element-wise weights = the '{cat.Name}' column of a logistic regression trained on the index's folder labels");
        var weighted = await engine.SimilarAsync(ImageInput.FromFile(query), k, cat.Weights, ct);
        output.Results($"look-alikes of {Output.Short(query)}, weighted by '{cat.Name}'", CliApp.Rows(weighted), query);
        c.MarkupLine(Inv($"photos labelled '{cat.Name}' in the top {k}: [bold]{Count(plain, cat.Name)}[/] unweighted -> [bold]{Count(weighted, cat.Name)}[/] weighted"));

        // 3: nearest words.
        Step(c, 3, $"words nearest to '{NearWord}'", "GloVe 6B 100-d, cosine, exact search over 341,479 words");
        WordVectors words = await engine.GetWordsAsync();
        var near = words.NearestWords(NearWord, k + 3);
        output.Results($"words nearest to '{NearWord}'", near.Select((n, i) => new ResultRow(i + 1, n.CosineDistance, Word: n.Word)).ToList());

        // DeViSE head (trained once, stored with the index).
        if (!engine.HasDevise)
        {
            var summary = await CliApp.TrainAsync(engine, engine.DefaultDeviseTrainingOptions, err, ct);
            await engine.SaveAsync(work, ct);
            c.MarkupLine(Inv($"[grey]DeViSE head trained on {summary.TrainingPhotos} photos: {summary.History.Epochs.Count} epochs, {summary.History.Elapsed.TotalSeconds:F1} s; saved with the index[/]"));
        }

        // 4: tags of the query photo.
        Step(c, 4, $"tags of {Output.Short(query)}", "DeViSE: the photo mapped into word space, nearest of the 50,000 most frequent words");
        output.Results($"tags of {Output.Short(query)}", CliApp.Rows(await engine.TagsAsync(ImageInput.FromFile(query), k + 3, ct)), query);

        // 5 and 6: photos for words.
        Step(c, 5, $"photos for '{string.Join(' ', OneWord)}'", "DeViSE: the word's vector searched among the photos' word-space vectors");
        output.Results($"photos for '{string.Join(' ', OneWord)}'", CliApp.Rows(await engine.SearchWordsAsync(OneWord, k, cancellationToken: ct)));
        Step(c, 6, $"photos for '{string.Join(' ', TwoWords)}'", "DeViSE: the average of the two word vectors");
        output.Results($"photos for '{string.Join(' ', TwoWords)}'", CliApp.Rows(await engine.SearchWordsAsync(TwoWords, k, cancellationToken: ct)));

        c.Write(new Rule(Inv($"[grey]demo finished in {total.Elapsed.TotalSeconds:F1} s[/]")).LeftJustified());
        return 0;
    }

    // Among the photos filed under another class whose captions mention a cat (a bottle or a dog photo with a cat in
    // it), the one where weighting toward 'cat' changes the top k most (the demo says so); without captions, the first photo.
    private static async Task<(string Path, string Why)> PickQueryAsync(ImageSearchEngine engine, string data, int k, CancellationToken ct)
    {
        string sentences = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(data))!, "sentence");
        var candidates = engine.Photos.Values
            .Where(p => p.Label != WeightClass && Mentions(Path.Combine(sentences, p.Label, Path.GetFileNameWithoutExtension(p.Path) + ".txt"), WeightClass))
            .Select(p => p.Path)
            .Order(StringComparer.Ordinal)
            .Take(20)
            .ToList();
        if (candidates.Count == 0)
        {
            string first = engine.Photos.Values.Select(p => p.Path).Order(StringComparer.Ordinal).First();
            return (first, "the first photo (no captions found to pick a photo with a cat filed under another class)");
        }

        ClassChoice cat = await engine.FindClassAsync(WeightClass, ct);
        string best = candidates[0];
        int bestGain = int.MinValue;
        foreach (string p in candidates)
        {
            int gain = Count(await engine.SimilarAsync(ImageInput.FromFile(p), k, cat.Weights, ct), cat.Name) - Count(await engine.SimilarAsync(ImageInput.FromFile(p), k, default, ct), cat.Name);
            if (gain > bestGain)
            {
                (best, bestGain) = (p, gain);
            }
        }

        return (best, $"a photo filed under another class whose captions mention a {WeightClass}: of the {candidates.Count} such photos, the one where weighting changes the top {k} most");
    }

    // Whether a caption file has the word as a run of letters (case-insensitive); an absent file mentions nothing.
    private static bool Mentions(string captionFile, string word)
        => File.Exists(captionFile) && System.Text.RegularExpressions.Regex.IsMatch(
            File.ReadAllText(captionFile), $@"(?<!\p{{L}}){System.Text.RegularExpressions.Regex.Escape(word)}(?!\p{{L}})", System.Text.RegularExpressions.RegexOptions.IgnoreCase);

    private static int Count(IReadOnlyList<SearchHit<PhotoInfo>> hits, string label)
        => hits.Count(h => h.Payload.Label == label);

    private static void Step(IAnsiConsole c, int n, string title, string how)
    {
        c.WriteLine();
        c.Write(new Rule(Markup.Escape($"{n}. {title}")).LeftJustified());
        c.MarkupLine($"[grey]{Markup.Escape(how)}[/]");
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
