
namespace ImageSearch.Embeddings.Tests.Classes;

public sealed class ClassWeightsTests
{
    private static ClassWeights Sample() => new(
        ["tabby, tabby cat", "Siamese cat, Siamese", "airliner"],
        [1, 2, 3, 4, 5, 6, 7, 8, 9],
        3,
        [0.5f, -1, 2]);

    [Theory]
    [InlineData("airliner", 2)]
    [InlineData("AIRLINER", 2)]
    [InlineData("siamese", 1)]      // a synonym, exactly
    [InlineData("Siamese cat", 1)]
    [InlineData(" tabby cat ", 0)]
    [InlineData("cat", 0)]           // partial: the first class containing it
    [InlineData("liner", 2)]
    public void FindsClassesByNameIgnoringCaseAndByPart(string name, int expected)
    {
        var w = Sample();
        Assert.Equal(expected, w.FindClass(name));
        Assert.Equal(w.GetWeights(expected).ToArray(), w.GetWeights(name).ToArray());
    }

    [Fact]
    public void GivesRowsScoresAndPredictions()
    {
        var w = Sample();
        Assert.Equal(3, w.ClassCount);
        Assert.Equal(3, w.Dimension);
        Assert.Equal([4f, 5, 6], w.GetWeights(1).ToArray());
        var scores = new float[3];
        w.Score([1, 0, 1], scores);
        Assert.Equal([1 + 3 + 0.5f, 4 + 6 - 1, 7 + 9 + 2], scores);
        Assert.Equal(2, w.Predict([1, 0, 1]));
        Assert.Equal(-1, w.Bias[1]);
    }

    [Fact]
    public void RejectsBadInputNamingIt()
    {
        Assert.Throws<KeyNotFoundException>(() => Sample().FindClass("zebra"));
        Assert.False(Sample().TryFindClass("", out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sample().GetWeights(3));
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => new ClassWeights(["a", "b"], [1, 2, 3], 2)).ParamName);
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() => new ClassWeights(["a"], [1, 2], 2, [1, 2])).ParamName);
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => new ClassWeights(["a"], [1, float.NaN], 2)).ParamName);
        Assert.Equal("classNames", Assert.Throws<ArgumentException>(() => new ClassWeights(["a", " "], [1, 2], 1)).ParamName);
    }

    [Fact]
    public void CopiesItsInput()
    {
        float[] data = [1, 2];
        var w = new ClassWeights(["a"], data, 2);
        data[0] = 99;
        Assert.Equal(1, w.GetWeights(0)[0]);
    }
}
