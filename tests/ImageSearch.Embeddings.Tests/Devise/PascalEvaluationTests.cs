using Xunit.Abstractions;

namespace ImageSearch.Embeddings.Tests.Devise;

/// <summary>Where the real data is: GloVe and the feature caches under the checkout's .cache, the shared photos, ResNet-18.</summary>
internal static class PascalDeviseData
{
    public static RepositoryData? Repository => TestRepository.Data;
    public static readonly string? Missing = FindMissing();

    private static string? FindMissing()
    {
        if (Repository is null) return "the repository checkout was not found";
        if (!Repository.HasGlove) return $"GloVe not fetched into {Repository.GloveFolder} (run scripts/fetch-glove.sh)";
        if (Repository.PascalDatasetFolder is null) return "the shared Pascal Sentences photos were not found";
        try { ImageModels.ResNet18(); }
        catch (FileNotFoundException e) { return "the ResNet-18 model is absent: " + e.Message; }
        return null;
    }
}

/// <summary>Runs only where GloVe, the photos and ResNet-18 are present; otherwise reported as skipped with the reason.</summary>
public sealed class PascalDeviseFactAttribute : FactAttribute
{
    public PascalDeviseFactAttribute()
    {
        if (PascalDeviseData.Missing is string why) Skip = $"DeViSE Pascal evaluation NOT run: {why}.";
    }
}

public class PascalEvaluationTests(ITestOutputHelper output)
{
    /// <summary>
    /// The docs/evaluation.md measurement (default options: four views per photo for training and test-time averaging,
    /// fixed seeds) on the held-out 20%. The thresholds sit a little under what the default settings measured (81.0%,
    /// 0.675), and under the goals (85% / 0.85), which this head does not reach; see docs/evaluation.md.
    /// </summary>
    [PascalDeviseFact]
    public async Task Held_out_tagging_and_word_search_reach_the_measured_level()
    {
        var data = await DeviseEvaluation.LoadPascalAsync(PascalDeviseData.Repository!);
        var report = DeviseEvaluation.Evaluate(data, new DeviseEvaluationOptions());
        output.WriteLine(report.ToMarkdown());
        Assert.Equal(200, report.HeldOutCount);
        Assert.Equal(49_216, report.TagVocabulary); // the words (two or more letters) among the 50,000 most frequent entries
        Assert.True(report.Top5 >= MinTop5, $"class word in top-5 tags for {report.Top5:P1} of held-out photos (expected >= {MinTop5:P0})");
        Assert.True(report.MeanClassPrecision >= MinClassPrecision, $"mean class-query precision@10 {report.MeanClassPrecision:F3} (expected >= {MinClassPrecision})");
        Assert.True(report.MeanCaptionPrecision > 0.2, $"mean caption-word precision@10 {report.MeanCaptionPrecision:F3}");
    }

    /// <summary>
    /// The supervised reference on the same split and features (docs/evaluation.md measured 69.5 % accuracy, class-ranking
    /// R-precision 0.705): a 20-way logistic regression, which bounds what a head on these frozen features can reach.
    /// </summary>
    [PascalDeviseFact]
    public async Task The_linear_probe_reference_is_measured_on_the_same_split()
    {
        var data = await DeviseEvaluation.LoadPascalAsync(PascalDeviseData.Repository!);
        var (accuracy, rPrecision) = DeviseEvaluation.LinearProbe(data, new DeviseEvaluationOptions());
        output.WriteLine($"linear probe: accuracy {accuracy:P1}, class-ranking R-precision {rPrecision:F3}");
        Assert.InRange(accuracy, 0.65, 0.85);
        Assert.InRange(rPrecision, 0.65, 0.85);
    }

    private const double MinTop5 = 0.79;
    private const double MinClassPrecision = 0.65;
}
