using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using System.Text;

namespace ImageSearch.Evaluation;

/// <summary>Settings of <see cref="DeviseEvaluation"/>. Immutable; may be shared.</summary>
public sealed record DeviseEvaluationOptions
{
    /// <summary>Seed of the stratified splits.</summary>
    public long SplitSeed { get; init; } = 2026;

    /// <summary>Fraction of each class held out for the final measurements (never used for training or tuning).</summary>
    public double HeldOutFraction { get; init; } = 0.2;

    /// <summary>Fraction of each class's training part used as the validation split (early stopping and tuning).</summary>
    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>
    /// Which fold of each class's training part is the validation split (0 to 1/<see cref="ValidationFraction"/> - 1),
    /// so tuning can average over several validation splits without ever touching the held-out photos.
    /// </summary>
    public int ValidationFold { get; init; }

    /// <summary>Tag vocabulary: the words (two or more letters) among the N most frequent entries (GloVe file order), as <see cref="DeviseTagger"/> takes them.</summary>
    public int TagVocabulary { get; init; } = 50_000;

    /// <summary>Cut-off of the precision measurements.</summary>
    public int PrecisionAt { get; init; } = 10;

    /// <summary>A caption word is measured only when at least this many held-out photos have it in their captions.</summary>
    public int MinCaptionPhotos { get; init; } = 10;

    /// <summary>Candidate non-class caption words; those with enough held-out photos are measured.</summary>
    public IReadOnlyList<string> CaptionWords { get; init; } =
    [
        "grass", "water", "street", "road", "sky", "snow", "beach", "kitchen", "table", "baby", "man", "woman",
        "field", "tree", "trees", "ocean", "child", "girl", "boy", "building", "room", "city", "river", "people",
        "flowers", "window", "couch", "desk", "computer", "track", "station", "airport", "runway", "lake", "fence",
        "pasture", "farm", "food", "park", "sidewalk", "highway", "sea", "flying", "parked", "sitting", "standing",
    ];

    /// <summary>
    /// The second list of caption-word queries (issue 16), fixed before any caption training was tried: the 40 most
    /// frequent content words of the training part's captions (train and validation photos of fold 0; held-out
    /// captions not looked at) that are not class words, stop words or in <see cref="CaptionWords"/>.
    /// </summary>
    public IReadOnlyList<string> SecondCaptionWords { get; init; } =
    [
        "white", "black", "small", "brown", "blue", "large", "red", "young", "sits", "yellow", "green", "camera",
        "wearing", "close", "women", "wooden", "stands", "background", "riding", "holding", "bike", "group", "old",
        "lying", "laying", "plane", "posing", "smiling", "view", "outside", "living", "men", "area", "passenger", "tan",
        "grassy", "gray", "floor", "stand", "walking",
    ];

    /// <summary>
    /// Train on descriptions: each training photo's target combines its class word with the content words of its
    /// captions (<see cref="DescriptionTargets"/>, built over the training photos' captions only). <see langword="null"/>
    /// (the default) trains on the class words alone.
    /// </summary>
    public DescriptionTargetOptions? Descriptions { get; init; }

    /// <summary>Tuning only: this many of the most frequent vocabulary words join the word softmax as extra negatives (0: none, the kept recipe).</summary>
    public int ExtraSoftmaxWords { get; init; }

    /// <summary>
    /// Tuning only: train with a loss over each photo's positive words instead of <see cref="DeviseTrainingOptions.Loss"/>
    /// (needs <see cref="Descriptions"/>): <c>"hinge"</c> (DeViSE's hinge rank loss, weighted positives = the label and
    /// the caption words, margin <see cref="DeviseTrainingOptions.Margin"/>, <see cref="NegativeSamples"/> sampled
    /// other words) or <c>"sigmoid"</c> (one logistic loss per listed word, scale <see cref="DeviseTrainingOptions.SoftmaxScale"/>) or <c>"query"</c> (each word
    /// ranks the batch's photos: a softmax over the batch per word);
    /// <see langword="null"/> for none.
    /// </summary>
    public string? WordLoss { get; init; }

    /// <summary>
    /// Tuning only: with <see cref="DeviseTrainingOptions.Loss"/> = <see cref="DeviseLoss.WordSoftmax"/> and a
    /// <see cref="WordLoss"/>, the loss is the softmax plus this weight times the word loss.
    /// </summary>
    public float WordLossWeight { get; init; } = 1f;

    /// <summary>
    /// Tuning only (validation measures): rank photos for a word query by <c>cos(p, w) - alpha r_p</c>, where <c>r_p</c> is the
    /// mean cosine of the photo to its 10 nearest tag words (a hubness correction, as CSLS does; a photo's own tag order
    /// does not change). 0 (the default): plain cosine.
    /// </summary>
    public float HubnessCorrection { get; init; }

    /// <summary>Tuning only: negatives sampled per photo by the hinge word loss (0: every listed word that is not a positive).</summary>
    public int NegativeSamples { get; init; }

    /// <summary>
    /// Tuning only, with the sigmoid word loss: a caption word's label is the share of the photo's captions that use it
    /// (<see langword="true"/>) instead of 1 for any use.
    /// </summary>
    public bool SigmoidCaptionShare { get; init; }

    /// <summary>Label-to-word mapping; the library's general default (it maps all 20 Pascal labels: <c>diningtable</c> -> <c>dining table</c>, ...).</summary>
    public LabelWordMap Labels { get; init; } = LabelWordMap.Default;

    /// <summary>The head's training settings. <see cref="DeviseTrainingOptions.ValidationFraction"/> is ignored: the
    /// stratified validation split above is passed explicitly.</summary>
    /// <remarks>20 epochs instead of the trainer's 40: with the three extra views each epoch has four times the samples
    /// (chosen on validation folds, see <c>docs/evaluation.md</c>).</remarks>
    public DeviseTrainingOptions Training { get; init; } = new() { Epochs = 20 };

    /// <summary>
    /// Add each extra view's features (<see cref="DeviseEvaluationData.Views"/>, e.g. the mirrored photo) of the training
    /// photos as further training samples with the same target. On by default; ignored without views.
    /// </summary>
    public bool TrainOnViews { get; init; } = true;

    /// <summary>
    /// Use the mean of the photo's features over all views (the original and <see cref="DeviseEvaluationData.Views"/>)
    /// for validation and held-out photos (test-time averaging, as <see cref="ViewAveragingEmbedder"/> does for new
    /// photos). On by default; ignored without views.
    /// </summary>
    public bool AverageViews { get; init; } = true;
}

/// <summary>Everything an evaluation needs, loaded once.</summary>
/// <param name="Features">One backbone feature row per photo.</param>
/// <param name="FeatureDimension">Feature length.</param>
/// <param name="Labels">Class index per photo.</param>
/// <param name="ClassNames">Class names.</param>
/// <param name="CaptionWords">Caption words per photo.</param>
/// <param name="PhotoNames">Display name per photo.</param>
/// <param name="Words">Word vectors.</param>
public sealed record DeviseEvaluationData(
    float[] Features, int FeatureDimension, int[] Labels, IReadOnlyList<string> ClassNames,
    IReadOnlyList<HashSet<string>> CaptionWords, IReadOnlyList<string> PhotoNames, WordVectors Words)
{
    /// <summary>Features of other views of the same photos (same rows and dimension as <see cref="Features"/>), e.g. mirrored; empty by default.</summary>
    public IReadOnlyList<float[]> Views { get; init; } = [];

    /// <summary>Each photo's description text (for Pascal: its five captions), or empty when there are none.</summary>
    public IReadOnlyList<string?> Descriptions { get; init; } = [];
}

/// <summary>Precision of one word query over the held-out photos.</summary>
/// <param name="Query">The word (or label) searched.</param>
/// <param name="Relevant">Held-out photos that count as relevant.</param>
/// <param name="Precision">Relevant photos among the first k results, divided by k.</param>
public readonly record struct QueryPrecision(string Query, int Relevant, double Precision);

/// <summary>Results of one DeViSE evaluation run (see <c>docs/evaluation.md</c>).</summary>
public sealed record DeviseEvaluationReport
{
    /// <summary>Photos used to fit the head.</summary>
    public required int TrainCount { get; init; }
    /// <summary>Photos in the validation split (early stopping).</summary>
    public required int ValidationCount { get; init; }
    /// <summary>Held-out photos (all measurements below).</summary>
    public required int HeldOutCount { get; init; }
    /// <summary>Words in the tag vocabulary.</summary>
    public required int TagVocabulary { get; init; }
    /// <summary>Precision cut-off k.</summary>
    public required int PrecisionAt { get; init; }
    /// <summary>Label -> words used.</summary>
    public required IReadOnlyList<MappedLabel> Labels { get; init; }
    /// <summary>The training history.</summary>
    public required DeviseTrainingHistory History { get; init; }
    /// <summary>The settings used.</summary>
    public required DeviseTrainingOptions Training { get; init; }
    /// <summary>Share of held-out photos whose class word (any of its mapped words) is the first tag.</summary>
    public required double Top1 { get; init; }
    /// <summary>Share of held-out photos whose class word is among the first five tags.</summary>
    public required double Top5 { get; init; }
    /// <summary>Top-5 share per class.</summary>
    public required IReadOnlyList<double> Top5PerClass { get; init; }
    /// <summary>Top-1 share on the validation split (what tuning looked at).</summary>
    public required double ValidationTop1 { get; init; }
    /// <summary>Top-5 share on the validation split.</summary>
    public required double ValidationTop5 { get; init; }
    /// <summary>Mean R-precision of the class-name queries over the validation split (what tuning looked at).</summary>
    public required double ValidationClassPrecision { get; init; }
    /// <summary>Precision@k of each class-name query.</summary>
    public required IReadOnlyList<QueryPrecision> ClassQueries { get; init; }
    /// <summary>Precision@k of each measured caption word.</summary>
    public required IReadOnlyList<QueryPrecision> CaptionQueries { get; init; }
    /// <summary>Precision@k of each measured word of <see cref="DeviseEvaluationOptions.SecondCaptionWords"/>.</summary>
    public IReadOnlyList<QueryPrecision> SecondCaptionQueries { get; init; } = [];
    /// <summary>Mean precision@k (k = 10) on the validation split of the words of both lists that at least 5 validation photos have (what tuning looked at).</summary>
    public double ValidationCaptionPrecision { get; init; }
    /// <summary>Whether the head was trained on descriptions.</summary>
    public bool TrainedOnDescriptions { get; init; }
    /// <summary>Example tags of a few held-out photos: (photo name, class, tags).</summary>
    public required IReadOnlyList<(string Photo, string Label, ImageTags Tags)> Examples { get; init; }

    /// <summary>Mean precision@k of the class-name queries.</summary>
    public double MeanClassPrecision => ClassQueries.Count == 0 ? 0 : ClassQueries.Average(q => q.Precision);

    /// <summary>Mean precision@k of the caption-word queries.</summary>
    public double MeanCaptionPrecision => CaptionQueries.Count == 0 ? 0 : CaptionQueries.Average(q => q.Precision);

    /// <summary>Mean precision@k of the second list's caption-word queries.</summary>
    public double MeanSecondCaptionPrecision => SecondCaptionQueries.Count == 0 ? 0 : SecondCaptionQueries.Average(q => q.Precision);

    /// <summary>The report as Markdown tables.</summary>
    /// <returns>Markdown text.</returns>
    public string ToMarkdown()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        var h = History;
        sb.AppendLine(c, $"Photos: {TrainCount} train, {ValidationCount} validation, {HeldOutCount} held out. Tag vocabulary: {TagVocabulary:N0} words (two or more letters) among the most frequent entries.");
        sb.AppendLine(c, $"Training: {h.Epochs.Count} epochs ({(h.StoppedEarly ? "stopped early" : "all planned")}), best epoch {h.BestEpoch}, {h.Elapsed.TotalSeconds:F1} s on {Environment.ProcessorCount} cores; " +
            $"{Training.Optimizer}, lr {Training.LearningRate}, {Training.Schedule}, batch {Training.BatchSize}, weight decay {Training.WeightDecay}, dropout {Training.DropoutRate}, hidden {Training.HiddenSize}, seed {Training.Seed}.");
        sb.AppendLine();
        sb.AppendLine("| measure (held-out) | value |");
        sb.AppendLine("| --- | --- |");
        sb.AppendLine(c, $"| class word = top-1 tag | {Top1:P1} |");
        sb.AppendLine(c, $"| class word in top-5 tags | {Top5:P1} |");
        sb.AppendLine(c, $"| mean precision@{PrecisionAt}, 20 class queries | {MeanClassPrecision:F3} |");
        sb.AppendLine(c, $"| mean precision@{PrecisionAt}, {CaptionQueries.Count} caption words | {MeanCaptionPrecision:F3} |");
        if (SecondCaptionQueries.Count > 0) sb.AppendLine(c, $"| mean precision@{PrecisionAt}, {SecondCaptionQueries.Count} words of the second caption list | {MeanSecondCaptionPrecision:F3} |");
        sb.AppendLine(c, $"| (validation split) top-1 / top-5 / class-query R-precision / caption-word precision@10 | {ValidationTop1:P1} / {ValidationTop5:P1} / {ValidationClassPrecision:F3} / {ValidationCaptionPrecision:F3} |");
        sb.AppendLine();
        sb.AppendLine(c, $"| class | query words | top-5 tag hit | precision@{PrecisionAt} |");
        sb.AppendLine("| --- | --- | --- | --- |");
        for (int i = 0; i < ClassQueries.Count; i++)
            sb.AppendLine(c, $"| {Labels[i].Label} | {string.Join(' ', Labels[i].Words)} | {Top5PerClass[i]:P0} | {ClassQueries[i].Precision:F2} |");
        sb.AppendLine();
        sb.AppendLine(c, $"| caption word | relevant held-out photos | precision@{PrecisionAt} |");
        sb.AppendLine("| --- | --- | --- |");
        foreach (var q in CaptionQueries) sb.AppendLine(c, $"| {q.Query} | {q.Relevant} | {q.Precision:F2} |");
        if (SecondCaptionQueries.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine(c, $"| second-list word | relevant held-out photos | precision@{PrecisionAt} |");
            sb.AppendLine("| --- | --- | --- |");
            foreach (var q in SecondCaptionQueries) sb.AppendLine(c, $"| {q.Query} | {q.Relevant} | {q.Precision:F2} |");
        }
        sb.AppendLine();
        sb.AppendLine("| held-out photo | class | top-5 tags (cosine distance) |");
        sb.AppendLine("| --- | --- | --- |");
        foreach (var (photo, label, tags) in Examples) sb.AppendLine(c, $"| {photo} | {label} | {tags} |");
        return sb.ToString();
    }
}

/// <summary>
/// The DeViSE evaluation on Pascal Sentences: a stratified held-out split (fixed seed), a head trained on the rest
/// (early stopping on a stratified validation split carved from the training part), then tag accuracy, class-name
/// query precision and caption-word query precision on the held-out photos.
/// </summary>
public static class DeviseEvaluation
{
    /// <summary>
    /// ResNet-18 input size the evaluation uses by default (<see cref="ImageModels.ResNet18(string?, int)"/>): the graph's
    /// own 224. 320 scored a little higher on the validation folds but not on the held-out photos, at twice the
    /// extraction cost (<c>docs/evaluation.md</c>); the sample's <c>--input-size</c> selects it.
    /// </summary>
    public const int DefaultInputSize = ImageModels.ResNet18NativeInputSize;

    /// <summary>
    /// Loads what the evaluation needs from this repository's data (<see cref="RepositoryData"/>): the Pascal photos,
    /// the fetched GloVe and the feature caches.
    /// </summary>
    /// <param name="repository">The checkout.</param>
    /// <param name="log">Progress messages; may be <see langword="null"/>.</param>
    /// <param name="extraViews">See <see cref="LoadPascalAsync(string, string, string, TextWriter?, IReadOnlyList{ImageModelDescriptor}?, ImageModelDescriptor?, CancellationToken)"/>.</param>
    /// <param name="backbone">See <see cref="LoadPascalAsync(string, string, string, TextWriter?, IReadOnlyList{ImageModelDescriptor}?, ImageModelDescriptor?, CancellationToken)"/>.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The data.</returns>
    /// <exception cref="DirectoryNotFoundException">The shared Pascal photos are absent.</exception>
    public static Task<DeviseEvaluationData> LoadPascalAsync(RepositoryData repository, TextWriter? log = null,
        IReadOnlyList<ImageModelDescriptor>? extraViews = null, ImageModelDescriptor? backbone = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        string dataset = repository.PascalDatasetFolder
            ?? throw new DirectoryNotFoundException($"The Pascal Sentences photos were not found (shared folder: {repository.SharedFolder ?? "none"}; set {RepositoryData.SharedVariable}).");
        return LoadPascalAsync(dataset, repository.GloveFolder, repository.FeatureCacheFolder, log, extraViews, backbone, cancellationToken);
    }

    /// <summary>
    /// Loads what the evaluation needs: the Pascal photos' backbone features (through <see cref="ImageFeatureCache"/>,
    /// so they are extracted once), labels, caption words and GloVe.
    /// </summary>
    /// <param name="datasetFolder">The Pascal Sentences <c>dataset</c> folder (captions are read from the <c>sentence</c> folder beside it).</param>
    /// <param name="gloveDirectory">The GloVe folder (<see cref="Glove.OpenAsync"/>).</param>
    /// <param name="featureCacheFolder">Where each view's feature cache lives (<see cref="ImageFeatureCache.FileName"/>).</param>
    /// <param name="log">Progress messages; may be <see langword="null"/>.</param>
    /// <param name="extraViews">
    /// Descriptors of other views of the photos (see <see cref="DeviseViews"/>), loaded into <see cref="DeviseEvaluationData.Views"/>.
    /// <see langword="null"/> for <see cref="DeviseViews.Default"/>; empty for none.
    /// </param>
    /// <param name="backbone">
    /// The backbone's main view; <see langword="null"/> for ResNet-18 at <see cref="DefaultInputSize"/>. The default
    /// extra views are derived from it.
    /// </param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The data, reusable across many <see cref="Evaluate(DeviseEvaluationData, DeviseEvaluationOptions, TextWriter?)"/> calls.</returns>
    /// <exception cref="FileNotFoundException">GloVe or the ResNet-18 model is missing.</exception>
    public static async Task<DeviseEvaluationData> LoadPascalAsync(string datasetFolder, string gloveDirectory, string featureCacheFolder, TextWriter? log = null,
        IReadOnlyList<ImageModelDescriptor>? extraViews = null, ImageModelDescriptor? backbone = null, CancellationToken cancellationToken = default)
    {
        var sw = Stopwatch.StartNew();
        ArgumentException.ThrowIfNullOrWhiteSpace(featureCacheFolder);
        var data = PascalDataset.Load(datasetFolder);
        WordVectors words = await Glove.OpenAsync(gloveDirectory, cancellationToken).ConfigureAwait(false);
        log?.WriteLine($"GloVe {words.Count:N0} x {words.Dimension} loaded ({sw.Elapsed.TotalSeconds:F1} s)");
        var main = backbone ?? ImageModels.ResNet18(inputSize: DefaultInputSize);
        var caches = new List<ImageFeatureCache>();
        foreach (var descriptor in (ImageModelDescriptor[])[main, .. extraViews ?? DeviseViews.Default(main)])
        {
            string file = Path.Combine(featureCacheFolder, ImageFeatureCache.FileName(descriptor.Name));
            using var embedder = new OnnxImageEmbedder(descriptor);
            caches.Add(await ImageFeatureCache.GetOrCreateAsync(embedder, data.Paths, file, cancellationToken: cancellationToken).ConfigureAwait(false));
            log?.WriteLine($"{descriptor.Name} features of {caches[^1].Count} photos ready ({sw.Elapsed.TotalSeconds:F1} s)");
        }

        var rows = new List<int>();
        var features = new List<float>[caches.Count];
        for (int k = 0; k < features.Length; k++) features[k] = [];
        for (int i = 0; i < data.Count; i++)
        {
            // A photo that failed in any view is left out (listed in that cache's Failures).
            bool all = true;
            foreach (var c in caches) all &= c.IndexOf(data.Paths[i]) >= 0;
            if (!all) continue;
            rows.Add(i);
            for (int k = 0; k < caches.Count; k++) { caches[k].TryGetVector(data.Paths[i], out ReadOnlySpan<float> v); features[k].AddRange(v); }
        }
        // Pascal's captions reach the photos as the library's users give theirs: a mapping (photo path -> text).
        var mapping = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < data.Count; i++)
        {
            if (ReadCaptionText(data.CaptionPath(i)) is { } text) mapping[data.Paths[i]] = text;
        }
        // Only the sentences: text embedded in the photos (EXIF / XMP) would change what is measured.
        var captions = new PhotoDescriptions(mapping: mapping, readEmbedded: false);
        int failed = data.Count - rows.Count;
        if (failed > 0) log?.WriteLine($"{failed} photos could not be embedded and are left out");
        return new DeviseEvaluationData(
            features[0].ToArray(), caches[0].Dimension, rows.Select(i => data.Labels[i]).ToArray(), data.ClassNames,
            rows.Select(i => ReadCaptionWords(data.CaptionPath(i))).ToArray(), rows.Select(i => Path.GetFileName(data.Paths[i])).ToArray(), words)
        {
            Views = features.Skip(1).Select(f => f.ToArray()).ToArray(),
            Descriptions = rows.Select(i => captions.Get(data.Paths[i])).ToArray(),
        };
    }

    /// <summary>Runs the evaluation on loaded data.</summary>
    /// <param name="data">From <see cref="LoadPascalAsync(RepositoryData, TextWriter?, IReadOnlyList{ImageModelDescriptor}?, ImageModelDescriptor?, CancellationToken)"/> or built by hand.</param>
    /// <param name="options">Settings.</param>
    /// <param name="log">Progress messages; may be <see langword="null"/>.</param>
    /// <returns>The report.</returns>
    public static DeviseEvaluationReport Evaluate(DeviseEvaluationData data, DeviseEvaluationOptions options, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Evaluate(data.Features, data.FeatureDimension, data.Labels, data.ClassNames, data.CaptionWords, data.PhotoNames, data.Words, options, log, data.Views, data.Descriptions);
    }

    /// <summary>The text of a caption file (its lines joined by newlines), or <see langword="null"/> when it is absent.</summary>
    /// <param name="path">The caption file.</param>
    /// <returns>The text.</returns>
    public static string? ReadCaptionText(string path) => File.Exists(path) ? string.Join('\n', File.ReadLines(path)) : null;

    /// <summary>Lower-cased letter runs of a caption file (an absent file gives no words).</summary>
    /// <param name="path">The caption file.</param>
    /// <returns>The set of words.</returns>
    public static HashSet<string> ReadCaptionWords(string path)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        if (!File.Exists(path)) return set;
        foreach (string line in File.ReadLines(path))
        {
            int start = -1;
            for (int i = 0; i <= line.Length; i++)
            {
                bool letter = i < line.Length && char.IsLetter(line[i]);
                if (letter && start < 0) start = i;
                else if (!letter && start >= 0) { set.Add(line[start..i].ToLowerInvariant()); start = -1; }
            }
        }
        return set;
    }

    /// <summary>Runs the evaluation on given features (the data-set-independent part).</summary>
    /// <param name="features">One backbone feature row per photo.</param>
    /// <param name="featureDimension">Feature length.</param>
    /// <param name="labels">Class index per photo.</param>
    /// <param name="classNames">Class names (labels index them).</param>
    /// <param name="captionWords">Caption words per photo.</param>
    /// <param name="photoNames">A display name per photo.</param>
    /// <param name="words">Word vectors.</param>
    /// <param name="options">Settings.</param>
    /// <param name="log">Progress messages; may be <see langword="null"/>.</param>
    /// <param name="views">Features of other views of the photos (see <see cref="DeviseEvaluationData.Views"/>); may be <see langword="null"/>.</param>
    /// <param name="descriptions">Description text per photo (needed when <see cref="DeviseEvaluationOptions.Descriptions"/> is set); may be <see langword="null"/>.</param>
    /// <returns>The report.</returns>
    public static DeviseEvaluationReport Evaluate(
        float[] features, int featureDimension, int[] labels, IReadOnlyList<string> classNames,
        IReadOnlyList<HashSet<string>> captionWords, IReadOnlyList<string> photoNames, WordVectors words,
        DeviseEvaluationOptions options, TextWriter? log = null, IReadOnlyList<float[]>? views = null, IReadOnlyList<string?>? descriptions = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(options);
        if (options.WordLoss is { } wordLoss)
        {
            if (options.Descriptions is null) throw new ArgumentException("A word loss needs Descriptions.", nameof(options));
            WordLabelLoss kind = wordLoss switch
            {
                "hinge" => WordLabelLoss.Hinge,
                "sigmoid" => WordLabelLoss.Sigmoid,
                "query" => WordLabelLoss.Query,
                _ => throw new ArgumentException($"Unknown word loss {wordLoss} (hinge, sigmoid, query).", nameof(options)),
            };
            options = options with { Training = options.Training with { WordLoss = kind, NegativeSamples = options.NegativeSamples, WordLossWeight = options.WordLossWeight } };
        }
        int n = labels.Length, d = featureDimension, wd = words.Dimension, classes = classNames.Count;
        MappedLabel[] mapped = options.Labels.MapAll(classNames, words);
        (int[] train, int[] val, int[] held) = StratifiedSplit(labels, classes, options);

        float[] Rows(int[] idx, Func<int, ReadOnlySpan<float>> row, int dim)
        {
            var r = new float[idx.Length * dim];
            for (int i = 0; i < idx.Length; i++) row(idx[i]).CopyTo(r.AsSpan(i * dim));
            return r;
        }
        views ??= [];
        foreach (float[] v in views)
            if (v is null || v.Length != features.Length) throw new ArgumentException("Every view needs one feature row per photo, like the features.", nameof(views));
        float[] testFeatures = TestFeatures(features, views, options.AverageViews);
        ReadOnlySpan<float> Feature(int i) => testFeatures.AsSpan(i * d, d);
        Func<int, float[]> target = i => mapped[labels[i]].Vector;
        float[] softmaxWords = [];
        if (options.Descriptions is { } descriptionOptions)
        {
            if (descriptions is null || descriptions.Count != n) throw new ArgumentException("Training on descriptions needs one description per photo.", nameof(descriptions));
            // Document frequencies from the training photos only: nothing of the held-out captions reaches the head.
            var targets = new DescriptionTargets(words, train.Select(i => descriptions[i]), descriptionOptions);
            var cache = new Dictionary<int, float[]>();
            target = i =>
            {
                if (!cache.TryGetValue(i, out float[]? t)) cache[i] = t = targets.Target(mapped[labels[i]], descriptions[i])!;
                return t;
            };
            // The softmax's words: every class word (as its target vector) and every word a caption target can hold.
            var list = new List<float>();
            foreach (var m in mapped) list.AddRange(m.Vector);
            foreach (string w in targets.Vocabulary) list.AddRange(words.GetVector(w).ToArray());
            // Tuning only: more negatives, the most frequent tag-vocabulary words not already listed.
            var listed = new HashSet<string>(targets.Vocabulary, StringComparer.Ordinal);
            foreach (string w in words.Words.Take(options.TagVocabulary).Where(DeviseTagger.IsWord).Where(w => !listed.Contains(w)).Take(options.ExtraSoftmaxWords))
                list.AddRange(words.GetVector(w).ToArray());
            softmaxWords = [.. list];
        }
        ReadOnlySpan<float> Target(int i) => target(i);
        Func<int, KeyValuePair<int, float>[]>? positives = null;
        if (options.Descriptions is { } dOptions && options.Training.WordLoss != WordLabelLoss.None)
        {
            // Tuning only: each photo's positives over the word list (class words first, then the vocabulary).
            var targets = new DescriptionTargets(words, train.Select(i => descriptions![i]), dOptions);
            var position = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int j = 0; j < targets.Vocabulary.Count; j++) position[targets.Vocabulary[j]] = classes + j;
            // The hinge takes the softmax's weights (label share + IDF); the per-word losses a label per word.
            bool sigmoid = options.Training.WordLoss != WordLabelLoss.Hinge;
            positives = i =>
            {
                var row = new List<KeyValuePair<int, float>>();
                var weighed = targets.WeighWords(descriptions![i]);
                float labelShare = weighed.Count == 0 ? 1f : dOptions.LabelWeight;
                row.Add(new(labels[i], sigmoid ? 1f : labelShare));
                string[] lines = (descriptions[i] ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries);
                foreach (var (w, q) in weighed)
                {
                    float y = !sigmoid ? (1f - labelShare) * q
                        : options.SigmoidCaptionShare ? lines.Count(l => DescriptionTargets.Tokenize(l).Contains(w)) / (float)Math.Max(lines.Length, 1)
                        : 1f;
                    if (y > 0f) row.Add(new(position[w], y));
                }
                return [.. row];
            };
        }

        float[] trainX = Rows(train, i => features.AsSpan(i * d, d), d), trainY = Rows(train, Target, wd);
        if (options.TrainOnViews && views.Count > 0)
        {
            // Augmentation: each view of a training photo is one more sample with the same target.
            var xs = new List<float>(trainX);
            var ys = new List<float>(trainY);
            foreach (float[] v in views)
            {
                xs.AddRange(Rows(train, i => v.AsSpan(i * d, d), d));
                ys.AddRange(trainY);
            }
            trainX = [.. xs];
            trainY = [.. ys];
        }

        var trainer = new DeviseTrainer(options.Training);
        WordLabels? trainLabels = null, valLabels = null;
        if (positives is not null)
        {
            var rowsOnce = train.Select(positives).ToArray();
            var all = new List<IReadOnlyList<KeyValuePair<int, float>>>();
            int copies = trainX.Length / (train.Length * d); // the photo and each view, in that order
            for (int c = 0; c < copies; c++) all.AddRange(rowsOnce);
            trainLabels = new WordLabels(all, softmaxWords.Length / wd);
            valLabels = new WordLabels(val.Select(positives).ToArray(), softmaxWords.Length / wd);
        }
        var result = trainer.Train(trainX, trainY, Rows(val, Feature, d), Rows(val, Target, wd), softmaxWords, trainLabels, valLabels, d, wd);
        log?.WriteLine($"trained in {result.History.Elapsed.TotalSeconds:F1} s: {result.History.Epochs.Count} epochs, best {result.History.BestEpoch}");
        DeviseHead head = result.Head;

        var tagger = new DeviseTagger(words, options.TagVocabulary);
        (double top1, double top5, double[] perClass, ImageTags[] heldTags, float[] heldVectors) = TagAccuracy(head, tagger, held, labels, mapped, Feature, classes);
        (double vTop1, double vTop5, _, _, float[] valVectors) = TagAccuracy(head, tagger, val, labels, mapped, Feature, classes);
        float[]? hub = null;
        if (options.HubnessCorrection > 0)
        {
            hub = new float[val.Length];
            ImageTags[] near = tagger.TagBatch(valVectors, 10);
            for (int r = 0; r < val.Length; r++) hub[r] = options.HubnessCorrection * near[r].Tags.Average(t => 1f - t.CosineDistance);
        }
        // The validation photos ranked for a query vector (with the hubness correction when set).
        int[] ValRank(ReadOnlySpan<float> query, int take)
        {
            var score = new float[val.Length];
            float qn = TensorPrimitives.Norm(query);
            for (int r = 0; r < val.Length; r++)
            {
                ReadOnlySpan<float> v = valVectors.AsSpan(r * wd, wd);
                score[r] = TensorPrimitives.Dot(v, query) / Math.Max(TensorPrimitives.Norm(v) * qn, 1e-12f) - (hub?[r] ?? 0f);
            }
            var order = Enumerable.Range(0, val.Length).ToArray();
            Array.Sort(score.Select(x => -x).ToArray(), order);
            return order.Take(take).ToArray();
        }
        double vPrec = hub is null ? RPrecision(val, valVectors, labels, mapped, wd)
            : Enumerable.Range(0, classes).Where(c => val.Any(i => labels[i] == c)).Average(c =>
            {
                int relevant = val.Count(i => labels[i] == c);
                return ValRank(mapped[c].Vector, relevant).Count(r => labels[val[r]] == c) / (double)relevant;
            });

        int k = options.PrecisionAt;
        var keys = new long[held.Length];
        for (int i = 0; i < keys.Length; i++) keys[i] = i;
        var index = new ExactIndex(wd, DistanceMetric.Cosine);
        index.AddRange(keys, heldVectors);
        IVectorIndex photos = index;

        var classQueries = new List<QueryPrecision>();
        for (int c = 0; c < classes; c++)
        {
            SearchResult[] hits = photos.Search(mapped[c].Vector, k);
            int rel = 0, relevant = 0;
            foreach (var h in hits) if (labels[held[h.Key]] == c) rel++;
            foreach (int i in held) if (labels[i] == c) relevant++;
            classQueries.Add(new QueryPrecision(classNames[c], relevant, rel / (double)k));
        }

        var classWords = new HashSet<string>(classNames, StringComparer.OrdinalIgnoreCase);
        List<QueryPrecision> CaptionPrecision(IEnumerable<string> list, int[] rows, IVectorIndex index, int minPhotos)
        {
            var result = new List<QueryPrecision>();
            foreach (string w in list)
            {
                if (classWords.Contains(w) || !words.Contains(w)) continue;
                int relevant = 0;
                foreach (int i in rows) if (captionWords[i].Contains(w)) relevant++;
                if (relevant < minPhotos) continue;
                SearchResult[] hits = index.Search(words.GetVector(w), k);
                int rel = 0;
                foreach (var h in hits) if (captionWords[rows[h.Key]].Contains(w)) rel++;
                result.Add(new QueryPrecision(w, relevant, rel / (double)k));
            }
            return result;
        }
        List<QueryPrecision> captionQueries = CaptionPrecision(options.CaptionWords, held, photos, options.MinCaptionPhotos);
        List<QueryPrecision> secondQueries = CaptionPrecision(options.SecondCaptionWords, held, photos, options.MinCaptionPhotos);
        var valIndex = new ExactIndex(wd, DistanceMetric.Cosine);
        valIndex.AddRange(Enumerable.Range(0, val.Length).Select(i => (long)i).ToArray(), valVectors);
        // Validation: 80 photos, so a word counts from 5 photos; both lists together (what tuning compares).
        List<QueryPrecision> valCaption = hub is null ? CaptionPrecision(options.CaptionWords.Concat(options.SecondCaptionWords).Distinct(), val, valIndex, 5)
            : options.CaptionWords.Concat(options.SecondCaptionWords).Distinct()
                .Where(w => !classWords.Contains(w) && words.Contains(w) && val.Count(i => captionWords[i].Contains(w)) >= 5)
                .Select(w => new QueryPrecision(w, val.Count(i => captionWords[i].Contains(w)), ValRank(words.GetVector(w), k).Count(r => captionWords[val[r]].Contains(w)) / (double)k))
                .ToList();

        var examples = new List<(string, string, ImageTags)>();
        for (int c = 0; c < classes; c += 4)
        {
            int pos = Array.FindIndex(held, i => labels[i] == c);
            if (pos >= 0) examples.Add((photoNames[held[pos]], classNames[c], heldTags[pos]));
        }

        return new DeviseEvaluationReport
        {
            TrainCount = train.Length, ValidationCount = val.Length, HeldOutCount = held.Length,
            TagVocabulary = tagger.VocabularySize, PrecisionAt = k, Labels = mapped, History = result.History,
            Training = options.Training, Top1 = top1, Top5 = top5, Top5PerClass = perClass,
            ValidationTop1 = vTop1, ValidationTop5 = vTop5, ValidationClassPrecision = vPrec, ClassQueries = classQueries, CaptionQueries = captionQueries,
            SecondCaptionQueries = secondQueries, ValidationCaptionPrecision = valCaption.Count == 0 ? 0 : valCaption.Average(q => q.Precision),
            TrainedOnDescriptions = options.Descriptions is not null,
            Examples = examples,
        };
    }

    /// <summary>
    /// A supervised reference for the same split and features: a multinomial logistic regression
    /// (<see cref="LogisticRegressionHead"/>) trained on the training and validation photos (every view a sample, as the
    /// head is trained), scored on the held-out photos (view-averaged as in <see cref="Evaluate(DeviseEvaluationData, DeviseEvaluationOptions, TextWriter?)"/>).
    /// It sees only the 20 labels and knows no words, so it bounds what any head on these frozen features can do on the
    /// class measures: its accuracy against the 20-way choice, and its class-ranking R-precision against the class-query
    /// precision@10 (the same quantity when every class has 10 held-out photos).
    /// </summary>
    /// <param name="data">The data.</param>
    /// <param name="options">Split and view settings (the training settings are not used).</param>
    /// <param name="l2">L2 penalty of the regression (0.1 was best of 1e-3 to 10 on the validation folds).</param>
    /// <returns>Held-out top-1 accuracy (20-way) and mean per-class R-precision of ranking held-out photos by class probability.</returns>
    /// <exception cref="ArgumentException">The views do not match the features.</exception>
    public static (double Accuracy, double ClassRPrecision) LinearProbe(DeviseEvaluationData data, DeviseEvaluationOptions options, double l2 = 0.1)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        int d = data.FeatureDimension, classes = data.ClassNames.Count;
        foreach (float[] v in data.Views)
            if (v is null || v.Length != data.Features.Length) throw new ArgumentException("Every view needs one feature row per photo, like the features.", nameof(data));
        (int[] train, int[] val, int[] held) = StratifiedSplit(data.Labels, classes, options);
        int[] fit = [.. train, .. val];
        var sources = new List<float[]> { data.Features };
        if (options.TrainOnViews) sources.AddRange(data.Views);
        var x = new float[sources.Count * fit.Length * d];
        var y = new int[sources.Count * fit.Length];
        int row = 0;
        foreach (float[] src in sources)
        {
            foreach (int i in fit)
            {
                src.AsSpan(i * d, d).CopyTo(x.AsSpan(row * d));
                y[row++] = data.Labels[i];
            }
        }

        ClassWeights weights = LogisticRegressionHead.Train(x, d, y, data.ClassNames, new LogisticRegressionOptions { L2 = l2 });
        float[] test = TestFeatures(data.Features, data.Views, options.AverageViews);
        var scores = new float[held.Length * classes];
        int correct = 0;
        for (int r = 0; r < held.Length; r++)
        {
            int i = held[r];
            Span<float> s = scores.AsSpan(r * classes, classes);
            weights.Score(test.AsSpan(i * d, d), s);
            TensorPrimitives.SoftMax(s, s);
            if (TensorPrimitives.IndexOfMax(s) == data.Labels[i]) correct++;
        }

        double sum = 0;
        int counted = 0;
        var order = new int[held.Length];
        var key = new float[held.Length];
        for (int c = 0; c < classes; c++)
        {
            int relevant = 0;
            foreach (int i in held) if (data.Labels[i] == c) relevant++;
            if (relevant == 0) continue;
            for (int r = 0; r < held.Length; r++) { order[r] = r; key[r] = -scores[(r * classes) + c]; }
            Array.Sort(key, order);
            int hits = 0;
            for (int r = 0; r < relevant; r++) if (data.Labels[held[order[r]]] == c) hits++;
            sum += hits / (double)relevant;
            counted++;
        }

        return (correct / (double)held.Length, counted == 0 ? 0 : sum / counted);
    }

    /// <summary>Lines describing validation photos whose class word is not in their top-5 tags (for tuning; never the held-out part).</summary>
    /// <param name="data">The data.</param>
    /// <param name="options">Settings.</param>
    /// <returns>One line per miss.</returns>
    public static IEnumerable<string> DiagnoseValidation(DeviseEvaluationData data, DeviseEvaluationOptions options)
    {
        MappedLabel[] mapped = options.Labels.MapAll(data.ClassNames, data.Words);
        (int[] train, int[] val, _) = StratifiedSplit(data.Labels, data.ClassNames.Count, options);
        int d = data.FeatureDimension, wd = data.Words.Dimension;
        float[] Rows(int[] idx, Func<int, float[]> row, int dim)
        {
            var r = new float[idx.Length * dim];
            for (int i = 0; i < idx.Length; i++) row(idx[i]).CopyTo(r.AsSpan(i * dim));
            return r;
        }
        float[] F(int i) => data.Features.AsSpan(i * d, d).ToArray();
        float[] T(int i) => mapped[data.Labels[i]].Vector;
        var head = new DeviseTrainer(options.Training).Train(Rows(train, F, d), Rows(train, T, wd), Rows(val, F, d), Rows(val, T, wd), d, wd).Head;
        var tagger = new DeviseTagger(data.Words, options.TagVocabulary);
        var classTagger = new DeviseTagger(data.Words, mapped.SelectMany(m => m.Words));
        int nearestClass = 0;
        foreach (int i in val)
            if (mapped[data.Labels[i]].Words.Contains(classTagger.Tag(head.Embed(F(i)), 1).Tags[0].Word)) nearestClass++;
        yield return $"validation photos whose nearest class word is their own: {nearestClass} of {val.Length}";
        // Reference points without DeViSE: nearest class centroid and 10-NN vote on L2-normalised ResNet features.
        float[] Unit(int i) { var f = F(i); float norm = TensorPrimitives.Norm(f); if (norm > 0) TensorPrimitives.Divide(f, norm, f); return f; }
        int classes = data.ClassNames.Count;
        var centroids = new float[classes * d];
        foreach (int i in train) System.Numerics.Tensors.TensorPrimitives.Add(centroids.AsSpan(data.Labels[i] * d, d), Unit(i), centroids.AsSpan(data.Labels[i] * d, d));
        int centroidHits = 0, knnHits = 0;
        foreach (int i in val)
        {
            float[] u = Unit(i);
            int best = 0;
            for (int c = 1; c < classes; c++)
                if (System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(u, centroids.AsSpan(c * d, d)) > System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(u, centroids.AsSpan(best * d, d))) best = c;
            if (best == data.Labels[i]) centroidHits++;
            var votes = new int[classes];
            foreach (int j in train.OrderByDescending(j => System.Numerics.Tensors.TensorPrimitives.Dot(u, Unit(j))).Take(10)) votes[data.Labels[j]]++;
            if (Array.IndexOf(votes, votes.Max()) == data.Labels[i]) knnHits++;
        }
        var lr = LogisticRegressionHead.Train(Rows(train, F, d), d, train.Select(i => data.Labels[i]).ToArray(), data.ClassNames);
        int lrHits = 0;
        foreach (int i in val)
        {
            float[] f = F(i);
            int best = 0;
            double bestScore = double.NegativeInfinity;
            for (int c = 0; c < classes; c++)
            {
                double score = System.Numerics.Tensors.TensorPrimitives.Dot(f, lr.GetWeights(c)) + lr.Bias[c];
                if (score > bestScore) { bestScore = score; best = c; }
            }
            if (best == data.Labels[i]) lrHits++;
        }
        yield return $"without DeViSE (validation): nearest class centroid {centroidHits} of {val.Length}, 10-NN vote {knnHits} of {val.Length}, logistic regression {lrHits} of {val.Length}";
        foreach (int i in val)
        {
            var tags = tagger.Tag(head.Embed(F(i)), 8);
            var m = mapped[data.Labels[i]];
            if (!m.Words.Any(w => tags.Contains(w, 5))) yield return $"{m.Label,-12} {data.PhotoNames[i]}: {tags}";
        }
    }

    // Mean over classes of precision at R, R = the class's number of photos in the set.
    // Test-time averaging: mean feature over the original and every extra view (the features themselves without views).
    private static float[] TestFeatures(float[] features, IReadOnlyList<float[]> views, bool average)
    {
        if (!average || views.Count == 0) return features;
        var mean = (float[])features.Clone();
        foreach (float[] v in views) TensorPrimitives.Add(mean, v, mean);
        TensorPrimitives.Multiply(mean, 1f / (views.Count + 1), mean);
        return mean;
    }

    private static double RPrecision(int[] rows, float[] vectors, int[] labels, MappedLabel[] mapped, int dim)
    {
        if (rows.Length == 0) return 0;
        var index = new ExactIndex(dim, DistanceMetric.Cosine);
        var keys = new long[rows.Length];
        for (int i = 0; i < keys.Length; i++) keys[i] = i;
        index.AddRange(keys, vectors);
        double sum = 0;
        int counted = 0;
        for (int c = 0; c < mapped.Length; c++)
        {
            int r = 0;
            foreach (int i in rows) if (labels[i] == c) r++;
            if (r == 0) continue;
            int rel = 0;
            foreach (var h in ((IVectorIndex)index).Search(mapped[c].Vector, r)) if (labels[rows[h.Key]] == c) rel++;
            sum += rel / (double)r;
            counted++;
        }
        return sum / counted;
    }

    private static (double Top1, double Top5, double[] PerClass, ImageTags[] Tags, float[] Vectors) TagAccuracy(
        DeviseHead head, DeviseTagger tagger, int[] rows, int[] labels, MappedLabel[] mapped, Func<int, ReadOnlySpan<float>> feature, int classes)
    {
        int d = head.InputDimension, o = head.OutputDimension;
        var x = new float[rows.Length * d];
        for (int i = 0; i < rows.Length; i++) feature(rows[i]).CopyTo(x.AsSpan(i * d));
        var v = new float[rows.Length * o];
        head.EmbedBatch(x, rows.Length, v);
        ImageTags[] tags = tagger.TagBatch(v, 5);
        int hit1 = 0, hit5 = 0;
        var perHit = new int[classes];
        var perCount = new int[classes];
        for (int i = 0; i < rows.Length; i++)
        {
            int c = labels[rows[i]];
            perCount[c]++;
            bool h1 = false, h5 = false;
            foreach (string w in mapped[c].Words)
            {
                h1 |= tags[i].Contains(w, 1);
                h5 |= tags[i].Contains(w, 5);
            }
            if (h1) hit1++;
            if (h5) { hit5++; perHit[c]++; }
        }
        var per = new double[classes];
        for (int c = 0; c < classes; c++) per[c] = perCount[c] == 0 ? 0 : perHit[c] / (double)perCount[c];
        double n = Math.Max(rows.Length, 1);
        return (hit1 / n, hit5 / n, per, tags, v);
    }

    /// <summary>The photo indices of the training, validation and held-out parts under <paramref name="options"/>.</summary>
    /// <param name="data">The data.</param>
    /// <param name="options">Split settings.</param>
    /// <returns>The three parts (sorted).</returns>
    public static (int[] Train, int[] Validation, int[] HeldOut) Split(DeviseEvaluationData data, DeviseEvaluationOptions options)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        return StratifiedSplit(data.Labels, data.ClassNames.Count, options);
    }

    /// <summary>Per class: shuffle (seeded), hold out a fraction, then carve the validation split from the rest.</summary>
    internal static (int[] Train, int[] Validation, int[] HeldOut) StratifiedSplit(int[] labels, int classes, DeviseEvaluationOptions o)
    {
        var rng = new SplitRandom(o.SplitSeed);
        List<int> train = [], val = [], held = [];
        for (int c = 0; c < classes; c++)
        {
            var members = new List<int>();
            for (int i = 0; i < labels.Length; i++) if (labels[i] == c) members.Add(i);
            int[] m = members.ToArray();
            rng.Shuffle(m);
            int nHeld = (int)Math.Round(m.Length * o.HeldOutFraction);
            int nVal = (int)Math.Round((m.Length - nHeld) * o.ValidationFraction);
            int folds = nVal == 0 ? 1 : (m.Length - nHeld) / nVal;
            int vStart = nHeld + (o.ValidationFold % folds) * nVal;
            held.AddRange(m.AsSpan(0, nHeld));
            for (int j = nHeld; j < m.Length; j++) (j >= vStart && j < vStart + nVal ? val : train).Add(m[j]);
        }
        held.Sort(); val.Sort(); train.Sort();
        return ([.. train], [.. val], [.. held]);
    }
}
