
namespace ImageSearch.Tests.Distances;

/// <summary>Length checks of the public entry points: the right exception, the right argument name, outputs untouched.</summary>
public class ValidationTests
{
    [Fact]
    public void PairKernelsRejectDifferentLengths()
    {
        float[] x = new float[3], y = new float[4];
        Half[] h = new Half[2];
        AssertArgument("y", () => DistanceKernels.Dot(x, y));
        AssertArgument("y", () => DistanceKernels.Dot(x, h));
        AssertArgument("y", () => DistanceKernels.SquaredL2(x, y));
        AssertArgument("y", () => DistanceKernels.SquaredL2(x, h));
        AssertArgument("y", () => DistanceKernels.CosineSimilarity(x, y));
        AssertArgument("y", () => DistanceKernels.CosineSimilarity(x, h));
    }

    [Fact]
    public void ScansRejectRowsThatAreNotScoresTimesDimensionAndWriteNothing()
    {
        float[] q = new float[4], rows = new float[4 * 3 + 1], scores = Filled(3);
        Half[] halfRows = new Half[4 * 2];
        AssertArgument("rows", () => DistanceKernels.DotScan(q, rows, scores));
        AssertArgument("rows", () => DistanceKernels.DotScan(q, halfRows, scores));
        AssertArgument("rows", () => DistanceKernels.SquaredL2Scan(q, rows, scores));
        AssertArgument("rows", () => DistanceKernels.SquaredL2Scan(q, halfRows, scores));
        Assert.All(scores, s => Assert.Equal(-7f, s));
    }

    [Fact]
    public void WeightedScansRejectMismatchedWeightsNormsAndRows()
    {
        float[] q = new float[4], w = new float[4], shortW = new float[3], rows = new float[4 * 3], dots = Filled(3), norms = Filled(3), shortNorms = Filled(2);
        Half[] halfRows = new Half[4 * 3];
        AssertArgument("squaredWeights", () => DistanceKernels.WeightedDotScan(q, shortW, rows, dots, norms));
        AssertArgument("squaredWeights", () => DistanceKernels.WeightedDotScan(q, shortW, halfRows, dots, norms));
        AssertArgument("weightedSquaredNorms", () => DistanceKernels.WeightedDotScan(q, w, rows, dots, shortNorms));
        AssertArgument("rows", () => DistanceKernels.WeightedDotScan(q, w, rows.AsSpan(1), dots, norms));
        AssertArgument("squaredWeights", () => DistanceKernels.WeightedSquaredL2Scan(q, shortW, rows, dots));
        AssertArgument("squaredWeights", () => DistanceKernels.WeightedSquaredL2Scan(q, shortW, halfRows, dots));
        AssertArgument("rows", () => DistanceKernels.WeightedSquaredL2Scan(q, w, halfRows.AsSpan(4), dots));
        Assert.All(dots, s => Assert.Equal(-7f, s));
        Assert.All(norms, s => Assert.Equal(-7f, s));
    }

    [Fact]
    public void MatricesRejectBadDimensionAndLengths()
    {
        float[] queries = new float[2 * 5], rows = new float[3 * 5], scores = Filled(6);
        Assert.Equal("dimension", Assert.Throws<ArgumentOutOfRangeException>(() => DistanceKernels.DotMatrix(queries, rows, 0, scores)).ParamName);
        Assert.Equal("dimension", Assert.Throws<ArgumentOutOfRangeException>(() => DistanceKernels.SquaredL2Matrix(queries, rows, -1, scores)).ParamName);
        AssertArgument("queries", () => DistanceKernels.DotMatrix(queries.AsSpan(1), rows, 5, scores));
        AssertArgument("rows", () => DistanceKernels.DotMatrix(queries, rows.AsSpan(1), 5, scores));
        AssertArgument("scores", () => DistanceKernels.DotMatrix(queries, rows, 5, scores.AsSpan(1)));
        AssertArgument("scores", () => DistanceKernels.SquaredL2Matrix(queries, rows, 5, new float[7]));
        Assert.All(scores, s => Assert.Equal(-7f, s));
    }

    [Fact]
    public void EmptyInputsGiveZeroScores()
    {
        Assert.Equal(0f, DistanceKernels.Dot(ReadOnlySpan<float>.Empty, ReadOnlySpan<float>.Empty));
        Assert.Equal(0f, DistanceKernels.SquaredL2(ReadOnlySpan<float>.Empty, ReadOnlySpan<Half>.Empty));
        float[] scores = Filled(3);
        DistanceKernels.DotScan(ReadOnlySpan<float>.Empty, ReadOnlySpan<float>.Empty, scores);
        Assert.All(scores, s => Assert.Equal(0f, s));
    }

    private static float[] Filled(int n)
    {
        float[] values = new float[n];
        Array.Fill(values, -7f);
        return values;
    }

    private static void AssertArgument(string name, Action action) =>
        Assert.Equal(name, Assert.Throws<ArgumentException>(action).ParamName);
}
