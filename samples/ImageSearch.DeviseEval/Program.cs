using ImageSearch;
using ImageSearch.Evaluation;
// DeViSE evaluation on Pascal Sentences (docs/evaluation.md).
//   dotnet run -c Release --project samples/ImageSearch.DeviseEval [-- options]
// Options: --mixup ALPHA --standardize --epochs N --lr X --wd X --batch N --hidden N --dropout X --optimizer sgd|adam --schedule onecycle|cosine|constant
//          --patience N --seed N --split-seed N --threads N --markdown FILE
//          --views none|mirror,stretch,stretch-mirror (default: all three) --no-train-views --no-tta   (extra views: augmentation / test-time averaging)
//          --probe (also print the logistic-regression reference on the same split and features)
//          --loss cosine|hinge|softmax --scale X --margin X
//          --word-loss hinge|sigmoid [--negatives N] [--caption-share] [--word-weight X: with --loss softmax, softmax + X * word loss] (tuning: losses over each photo's positive words, with --descriptions)
//          --input-size N (ResNet-18 input side, default 320; 224 = the graph's own size)
//          --descriptions (train on captions: class word + caption content words) --label-weight X --weighting uniform|frequency|idf --min-photos N
//          --caption-references (validation folds: ceiling, class oracle and per-word linear probe of caption-word precision@10)
//          --caption-candidates (print the most frequent content words of the training part's captions; how the second list was made)
//          --tune --variant "SETTINGS" (repeatable: each a set of the training/description options above, or --hubness ALPHA, compared on the same folds)
//          --tune [--grid-label-weight a,b--grid-lr a,b --grid-wd a,b --grid-epochs a,b --grid-dropout a,b --folds N]
//                 grid search printing only scores on validation folds of the training part (never held-out ones)
using System.Globalization;

var opt = new DeviseEvaluationOptions();
var t = opt.Training;
string? markdown = null;
bool tune = false, diagnose = false, probe = false;
string? featureNorm = null;
string? gridLabelWeight = null;
bool candidates = false, references = false;
int knn = 0;
string? gridLr = null, gridWd = null, gridEpochs = null, gridDropout = null;
int folds = 3;
var variants = new List<string>(); // --tune: settings compared on the same folds in one run (one feature load)
string[] views = ["mirror", "stretch", "stretch-mirror"]; // the default extra views (docs/evaluation.md)
int inputSize = DeviseEvaluation.DefaultInputSize;
for (int i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    float F() => float.Parse(Next(), CultureInfo.InvariantCulture);
    int I() => int.Parse(Next(), CultureInfo.InvariantCulture);
    switch (args[i])
    {
        case "--epochs": t = t with { Epochs = I() }; break;
        case "--lr": t = t with { LearningRate = F() }; break;
        case "--wd": t = t with { WeightDecay = F() }; break;
        case "--batch": t = t with { BatchSize = I() }; break;
        case "--hidden": t = t with { HiddenSize = I() }; break;
        case "--dropout": t = t with { DropoutRate = F() }; break;
        case "--patience": t = t with { Patience = I() }; break;
        case "--seed": t = t with { Seed = I() }; break;
        case "--mixup": t = t with { MixupAlpha = F() }; break;
        case "--standardize": t = t with { StandardizeInputs = true }; break;
        case "--threads": t = t with { MaxDegreeOfParallelism = I() }; break;
        case "--optimizer": t = t with { Optimizer = Next() == "adam" ? DeviseOptimizer.Adam : DeviseOptimizer.SgdNesterov }; break;
        case "--schedule":
            t = t with { Schedule = Next() switch { "cosine" => LearningRateSchedule.Cosine, "constant" => LearningRateSchedule.Constant, _ => LearningRateSchedule.OneCycle } };
            break;
        case "--split-seed": opt = opt with { SplitSeed = I() }; break;
        case "--markdown": markdown = Next(); break;
        case "--tune": tune = true; break;
        case "--descriptions": opt = opt with { Descriptions = opt.Descriptions ?? new DescriptionTargetOptions() }; break;
        case "--label-weight": opt = opt with { Descriptions = (opt.Descriptions ?? new DescriptionTargetOptions()) with { LabelWeight = F() } }; break;
        case "--min-photos": opt = opt with { Descriptions = (opt.Descriptions ?? new DescriptionTargetOptions()) with { MinPhotos = I() } }; break;
        case "--weighting":
            opt = opt with { Descriptions = (opt.Descriptions ?? new DescriptionTargetOptions()) with { Weighting = Enum.Parse<DescriptionWordWeighting>(Next(), ignoreCase: true) } };
            break;
        case "--grid-label-weight": gridLabelWeight = Next(); break;
        case "--caption-candidates": candidates = true; break;
        case "--caption-knn": knn = I(); break;
        case "--caption-references": references = true; break;
        case "--extra-negatives": opt = opt with { ExtraSoftmaxWords = I() }; break;
        case "--feature-norm": featureNorm = Next(); break;
        case "--diagnose": diagnose = true; break;
        case "--probe": probe = true; break;
        case "--grid-lr": gridLr = Next(); break;
        case "--grid-wd": gridWd = Next(); break;
        case "--grid-epochs": gridEpochs = Next(); break;
        case "--grid-dropout": gridDropout = Next(); break;
        case "--folds": folds = I(); break;
        case "--variant": variants.Add(Next()); break;
        case "--input-size": inputSize = I(); break;
        case "--views": views = Next().Split(','); break;
        case "--loss": t = t with { Loss = Next() switch { "hinge" => DeviseLoss.RankHinge, "softmax" => DeviseLoss.WordSoftmax, _ => DeviseLoss.Cosine } }; break;
        case "--word-loss": opt = opt with { WordLoss = Next() }; break;
        case "--negatives": opt = opt with { NegativeSamples = I() }; break;
        case "--word-weight": opt = opt with { WordLossWeight = F() }; break;
        case "--caption-share": opt = opt with { SigmoidCaptionShare = true }; break;
        case "--scale": t = t with { SoftmaxScale = F() }; break;
        case "--margin": t = t with { Margin = F() }; break;
        case "--train-views": opt = opt with { TrainOnViews = true }; break;
        case "--tta": opt = opt with { AverageViews = true }; break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}
opt = opt with { Training = t };
var backbone = ImageModels.ResNet18(inputSize: inputSize);
var viewDescriptors = views.Where(v => v != "none").Select(v => v switch
{
    "mirror" => DeviseViews.Mirror(backbone),
    "stretch" => DeviseViews.Stretch(backbone),
    "stretch-mirror" => DeviseViews.Mirror(DeviseViews.Stretch(backbone)),
    _ => throw new ArgumentException($"unknown view {v} (mirror, stretch, stretch-mirror)"),
}).ToArray();
var repo = RepositoryData.Find();
if (repo is null) { Console.Error.WriteLine("Run from the repository checkout (the folder holding ImageSearch.sln, or below it)."); return 1; }
if (!repo.HasGlove) { Console.Error.WriteLine($"GloVe not found in {repo.GloveFolder}: run scripts/fetch-glove.sh"); return 1; }
if (repo.PascalDatasetFolder is null) { Console.Error.WriteLine("Pascal Sentences not found (../shared or IMAGESEARCH_SHARED)"); return 1; }
Task<DeviseEvaluationData> Load() => DeviseEvaluation.LoadPascalAsync(repo, Console.Out, viewDescriptors, backbone);

if (diagnose)
{
    // Validation photos whose class word misses the top-5 tags (validation split only).
    var data = await Load();
    foreach (string line in DeviseEvaluation.DiagnoseValidation(data, opt)) Console.WriteLine(line);
    return 0;
}

if (knn > 0)
{
    // Reference without a head (validation folds only): score a validation photo for a word by how many of its k nearest
    // training photos (cosine on view-averaged ResNet features) have the word in their captions.
    var data = await Load();
    int d = data.FeatureDimension, n = data.Labels.Length;
    var mean = (float[])data.Features.Clone();
    foreach (float[] v in data.Views) System.Numerics.Tensors.TensorPrimitives.Add(mean, v, mean);
    for (int i = 0; i < n; i++)
    {
        var row = mean.AsSpan(i * d, d);
        System.Numerics.Tensors.TensorPrimitives.Divide(row, System.Numerics.Tensors.TensorPrimitives.Norm(row), row);
    }
    double total = 0;
    for (int f = 0; f < folds; f++)
    {
        var (tr, va, _) = DeviseEvaluation.Split(data, opt with { ValidationFold = f });
        var list = opt.CaptionWords.Concat(opt.SecondCaptionWords).Distinct().Where(w => !data.ClassNames.Contains(w) && data.Words.Contains(w)).ToArray();
        var neighbours = va.ToDictionary(i => i, i => tr.OrderByDescending(j => System.Numerics.Tensors.TensorPrimitives.Dot(mean.AsSpan(i * d, d), mean.AsSpan(j * d, d))).Take(knn).ToArray());
        double sum = 0; int counted = 0;
        foreach (string w in list)
        {
            if (va.Count(i => data.CaptionWords[i].Contains(w)) < 5) continue;
            var top = va.OrderByDescending(i => neighbours[i].Count(j => data.CaptionWords[j].Contains(w))).ThenBy(i => i).Take(10);
            sum += top.Count(i => data.CaptionWords[i].Contains(w)) / 10.0; counted++;
        }
        total += sum / counted;
    }
    Console.WriteLine(FormattableString.Invariant($"{knn}-NN caption-word reference, {folds} validation folds: caption P@10 {total / folds:F3}"));
    return 0;
}

if (references)
{
    // What limits caption-word precision, on validation folds only (docs/evaluation.md): the ceiling the relevance rule
    // allows, a class oracle (true class known, words ranked by their rate in that class's training captions) and a
    // linear probe per word on the frozen features (the best of four L2 penalties: optimistic by construction).
    var data = await Load();
    int d = data.FeatureDimension;
    var mean = (float[])data.Features.Clone();
    foreach (float[] v in data.Views) System.Numerics.Tensors.TensorPrimitives.Add(mean, v, mean);
    System.Numerics.Tensors.TensorPrimitives.Multiply(mean, 1f / (data.Views.Count + 1), mean);
    double[] l2s = [0.01, 0.1, 1, 10];
    double ceil = 0, oracle = 0;
    var probes = new double[l2s.Length];
    for (int f = 0; f < folds; f++)
    {
        var (tr, va, _) = DeviseEvaluation.Split(data, opt with { ValidationFold = f });
        var list = opt.CaptionWords.Concat(opt.SecondCaptionWords).Distinct().Where(w => !data.ClassNames.Contains(w) && data.Words.Contains(w))
            .Where(w => va.Count(i => data.CaptionWords[i].Contains(w)) >= 5).ToArray();
        double P(string w, Func<int, double> score) => va.OrderByDescending(score).ThenBy(i => i).Take(10).Count(i => data.CaptionWords[i].Contains(w)) / 10.0;
        var x = new float[tr.Length * d];
        for (int r = 0; r < tr.Length; r++) mean.AsSpan(tr[r] * d, d).CopyTo(x.AsSpan(r * d));
        double c = 0, o = 0;
        var pr = new double[l2s.Length];
        foreach (string w in list)
        {
            c += Math.Min(va.Count(i => data.CaptionWords[i].Contains(w)), 10) / 10.0;
            o += P(w, i => tr.Count(j => data.Labels[j] == data.Labels[i] && data.CaptionWords[j].Contains(w)) / (double)tr.Count(j => data.Labels[j] == data.Labels[i]));
            int[] y = tr.Select(j => data.CaptionWords[j].Contains(w) ? 1 : 0).ToArray();
            for (int k = 0; k < l2s.Length; k++)
            {
                var lr = LogisticRegressionHead.Train(x, d, y, ["no", "yes"], new LogisticRegressionOptions { L2 = l2s[k] });
                var score = new float[2];
                pr[k] += P(w, i => { lr.Score(mean.AsSpan(i * d, d), score); return score[1] - score[0]; });
            }
        }
        ceil += c / list.Length; oracle += o / list.Length;
        for (int k = 0; k < l2s.Length; k++) probes[k] += pr[k] / list.Length;
        Console.WriteLine(FormattableString.Invariant($"fold {f}: {list.Length} words, ceiling {c / list.Length:F3}, class oracle {o / list.Length:F3}, linear probe {string.Join(" / ", pr.Select(v => (v / list.Length).ToString("F3", CultureInfo.InvariantCulture)))}"));
    }
    Console.WriteLine(FormattableString.Invariant($"{folds} validation folds: ceiling {ceil / folds:F3}, class oracle {oracle / folds:F3}, per-word linear probe (L2 {string.Join(" / ", l2s)}) {string.Join(" / ", probes.Select(v => (v / folds).ToString("F3", CultureInfo.InvariantCulture)))}"));
    return 0;
}

if (candidates)
{
    // Document frequency of content words over the training part (train + validation of fold 0), held-out photos excluded.
    var data = await Load();
    var (tr, va, _) = DeviseEvaluation.Split(data, opt);
    var exclude = new HashSet<string>(opt.CaptionWords.Concat(data.ClassNames).Concat(DescriptionTargets.EnglishStopWords), StringComparer.Ordinal);
    var df = new Dictionary<string, int>(StringComparer.Ordinal);
    foreach (int i in tr.Concat(va))
        foreach (string w in data.CaptionWords[i])
            if (w.Length > 1 && !exclude.Contains(w) && data.Words.Contains(w)) df[w] = df.GetValueOrDefault(w) + 1;
    foreach (var (w, c) in df.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Take(60)) Console.WriteLine($"{w} {c}");
    return 0;
}

if (tune)
{
    // Hyperparameter search on validation folds carved from the training part only: held-out numbers are never printed.
    var data = await Load();
    if (featureNorm is not null) data = data with { Features = Normalize(data.Features, data.FeatureDimension, featureNorm) };
    float[] lrs = Parse(gridLr, opt.Training.LearningRate), wds = Parse(gridWd, opt.Training.WeightDecay);
    float[] eps = Parse(gridEpochs, opt.Training.Epochs), drops = Parse(gridDropout, opt.Training.DropoutRate);
    float[] lws = Parse(gridLabelWeight, opt.Descriptions?.LabelWeight ?? 1f);
    foreach (string variant in variants)
    {
        var vo = ApplyVariant(opt, variant);
        double cp = 0, t1 = 0, t5 = 0, rp = 0, secs = 0;
        for (int f = 0; f < folds; f++)
        {
            var r = DeviseEvaluation.Evaluate(data, vo with { ValidationFold = f });
            t1 += r.ValidationTop1; t5 += r.ValidationTop5; rp += r.ValidationClassPrecision; cp += r.ValidationCaptionPrecision; secs += r.History.Elapsed.TotalSeconds;
        }
        Console.WriteLine(FormattableString.Invariant($"{variant} | {folds} validation folds: top-1 {t1 / folds:P1} top-5 {t5 / folds:P1} R-prec {rp / folds:F3} caption P@10 {cp / folds:F3} | {secs / folds:F1} s/run"));
    }
    if (variants.Count > 0) return 0;
    foreach (float lw in lws) foreach (float lr in lrs) foreach (float wd in wds) foreach (float ep in eps) foreach (float dr in drops)
    {
        double cp = 0;
        double t1 = 0, t5 = 0, rp = 0, secs = 0;
        for (int f = 0; f < folds; f++)
        {
            var o = opt with { ValidationFold = f, Descriptions = opt.Descriptions is null ? null : opt.Descriptions with { LabelWeight = lw }, Training = opt.Training with { LearningRate = lr, WeightDecay = wd, Epochs = (int)ep, DropoutRate = dr } };
            var r = DeviseEvaluation.Evaluate(data, o);
            t1 += r.ValidationTop1; t5 += r.ValidationTop5; rp += r.ValidationClassPrecision; cp += r.ValidationCaptionPrecision; secs += r.History.Elapsed.TotalSeconds;
        }
        Console.WriteLine(FormattableString.Invariant($"label weight {lw,-4} lr {lr,-6} wd {wd,-7} epochs {ep,-4} dropout {dr,-4} | {folds} validation folds: top-1 {t1 / folds:P1} top-5 {t5 / folds:P1} R-prec {rp / folds:F3} caption P@10 {cp / folds:F3} | {secs / folds:F1} s/run"));
    }
    return 0;
}

var loaded = await Load();
var report = DeviseEvaluation.Evaluate(loaded, opt, Console.Out);
string md = report.ToMarkdown();
if (probe)
{
    var (acc, rp) = DeviseEvaluation.LinearProbe(loaded, opt);
    md += Environment.NewLine + FormattableString.Invariant(
        $"Supervised reference (logistic regression on the same features, 20 labels, no words): held-out accuracy {acc:P1}, class-ranking R-precision {rp:F3}.") + Environment.NewLine;
}
Console.WriteLine();
Console.WriteLine(md);
if (markdown is not null) File.WriteAllText(markdown, md);
return 0;

// A --variant: training and description settings on top of the command line's (tuning only).
static DeviseEvaluationOptions ApplyVariant(DeviseEvaluationOptions o, string variant)
{
    string[] a = variant.Split(' ', StringSplitOptions.RemoveEmptyEntries);
    var t = o.Training;
    var d = o.Descriptions ?? new DescriptionTargetOptions();
    for (int i = 0; i < a.Length; i++)
    {
        float F() => float.Parse(a[++i], CultureInfo.InvariantCulture);
        int I() => int.Parse(a[++i], CultureInfo.InvariantCulture);
        switch (a[i])
        {
            case "--loss": t = t with { Loss = a[++i] switch { "hinge" => DeviseLoss.RankHinge, "softmax" => DeviseLoss.WordSoftmax, _ => DeviseLoss.Cosine } }; break;
            case "--word-loss": o = o with { WordLoss = a[++i] }; break;
            case "--negatives": o = o with { NegativeSamples = I() }; break;
            case "--word-weight": o = o with { WordLossWeight = F() }; break;
            case "--hubness": o = o with { HubnessCorrection = F() }; break;
            case "--margin": t = t with { Margin = F() }; break;
            case "--scale": t = t with { SoftmaxScale = F() }; break;
            case "--lr": t = t with { LearningRate = F() }; break;
            case "--wd": t = t with { WeightDecay = F() }; break;
            case "--epochs": t = t with { Epochs = I() }; break;
            case "--hidden": t = t with { HiddenSize = I() }; break;
            case "--dropout": t = t with { DropoutRate = F() }; break;
            case "--label-weight": d = d with { LabelWeight = F() }; break;
            case "--min-photos": d = d with { MinPhotos = I() }; break;
            case "--caption-share": o = o with { SigmoidCaptionShare = true }; break;
            case "--extra-negatives": o = o with { ExtraSoftmaxWords = I() }; break;
            default: throw new ArgumentException($"unknown variant option {a[i]}");
        }
    }
    return o with { Training = t, Descriptions = d };
}

static float[] Parse(string? list, float fallback)
    => list is null ? [fallback] : list.Split(',').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();

// Experiment only (tuning): per-photo feature normalisation before the head.
static float[] Normalize(float[] f, int d, string mode)
{
    var r = (float[])f.Clone();
    for (int i = 0; i < r.Length; i += d)
    {
        var row = r.AsSpan(i, d);
        if (mode == "sqrt-l2") for (int j = 0; j < d; j++) row[j] = MathF.Sqrt(MathF.Max(row[j], 0f));
        float n = System.Numerics.Tensors.TensorPrimitives.Norm(row);
        if (n > 0) System.Numerics.Tensors.TensorPrimitives.Divide(row, n, row);
    }
    return r;
}
