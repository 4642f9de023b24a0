
namespace ImageSearch.Embeddings.Tests.Devise;

/// <summary><see cref="DeviseEvaluation.LinearProbe"/>: the supervised reference of the evaluation, on synthetic features.</summary>
public sealed class LinearProbeTests
{
    private static DeviseEvaluationData Clusters(float spread, bool shuffleLabels, int classes = 5, int perClass = 50, int dim = 8)
    {
        var rng = new Random(7);
        int n = classes * perClass;
        var labels = new int[n];
        var features = new float[n * dim];
        var centres = new float[classes * dim];
        for (int i = 0; i < centres.Length; i++) centres[i] = (float)(rng.NextDouble() * 4 - 2);
        for (int i = 0; i < n; i++)
        {
            int c = i % classes;
            labels[i] = c;
            for (int j = 0; j < dim; j++) features[(i * dim) + j] = centres[(c * dim) + j] + (spread * (float)(rng.NextDouble() - 0.5));
        }

        if (shuffleLabels) rng.Shuffle(labels); // features no longer say anything about the label
        var names = Enumerable.Range(0, classes).Select(c => $"class{c}").ToArray();
        var words = WordVectors.Create(["word"], 2, [1f, 0f]);
        var captions = Enumerable.Range(0, n).Select(_ => new HashSet<string>()).ToArray();
        return new DeviseEvaluationData(features, dim, labels, names, captions, Enumerable.Range(0, n).Select(i => $"p{i}").ToArray(), words);
    }

    [Fact]
    public void Separable_clusters_are_classified_and_ranked_perfectly()
    {
        var (accuracy, rPrecision) = DeviseEvaluation.LinearProbe(Clusters(spread: 0.5f, shuffleLabels: false), new DeviseEvaluationOptions());
        Assert.Equal(1.0, accuracy);
        Assert.Equal(1.0, rPrecision);
    }

    [Fact]
    public void Labels_unrelated_to_the_features_stay_near_chance()
    {
        var (accuracy, rPrecision) = DeviseEvaluation.LinearProbe(Clusters(spread: 0.5f, shuffleLabels: true), new DeviseEvaluationOptions());
        Assert.InRange(accuracy, 0.0, 0.45); // chance is 0.2 with five classes, 50 held-out photos
        Assert.InRange(rPrecision, 0.0, 0.45);
    }

    [Fact]
    public void Views_of_the_wrong_length_are_refused()
    {
        var data = Clusters(0.5f, false) with { Views = [new float[3]] };
        var e = Assert.Throws<ArgumentException>(() => DeviseEvaluation.LinearProbe(data, new DeviseEvaluationOptions()));
        Assert.Equal("data", e.ParamName);
    }
}
