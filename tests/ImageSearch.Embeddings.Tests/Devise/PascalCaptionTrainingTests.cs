using Xunit.Abstractions;

namespace ImageSearch.Embeddings.Tests.Devise;

public class PascalCaptionTrainingTests(ITestOutputHelper output)
{
    /// <summary>
    /// Issue 16's measurement (docs/evaluation.md, "Training on descriptions"): the head trained on class words and
    /// caption words (DescriptionTargets, word softmax, scale 10, label weight 0.5), fixed split and seeds, held-out 20 %.
    /// The goal for the caption-word queries is 0.55 on both lists; this head measured 0.487 and 0.227, so the
    /// thresholds sit a little under those (the goal is not reached; see the docs). Tagging and class search must not
    /// fall below the labels-only head's goals (80 %, 0.67), which it reaches (82.0 %, 0.680).
    /// </summary>
    [PascalDeviseFact]
    public async Task Caption_training_lifts_caption_word_search_and_keeps_tags_and_classes()
    {
        var data = await DeviseEvaluation.LoadPascalAsync(PascalDeviseData.Repository!);
        Assert.Equal(1000, data.Descriptions.Count(d => d is not null)); // every photo's captions arrive through the mapping
        var options = new DeviseEvaluationOptions
        {
            Descriptions = new DescriptionTargetOptions(),
            Training = new DeviseTrainingOptions { Epochs = 20, Loss = DeviseLoss.WordSoftmax },
        };
        var report = DeviseEvaluation.Evaluate(data, options);
        output.WriteLine(report.ToMarkdown());
        Assert.True(report.TrainedOnDescriptions);
        Assert.Equal(16, report.CaptionQueries.Count);
        Assert.True(report.SecondCaptionQueries.Count >= 30, $"{report.SecondCaptionQueries.Count} words of the second list measured");
        Assert.True(report.MeanCaptionPrecision >= 0.45, $"caption-word precision@10 {report.MeanCaptionPrecision:F3} (goal 0.55; labels only 0.325)");
        Assert.True(report.MeanSecondCaptionPrecision >= 0.2, $"second-list precision@10 {report.MeanSecondCaptionPrecision:F3} (goal 0.55; labels only 0.133)");
        Assert.True(report.Top5 >= 0.80, $"class word in top-5 tags for {report.Top5:P1} (goal 80 %)");
        Assert.True(report.MeanClassPrecision >= 0.67, $"class-query precision@10 {report.MeanClassPrecision:F3} (goal 0.67)");
    }
}
