
namespace ImageSearch.Embeddings.Tests.Words;

public class ComposeTests
{
    private static readonly WordVectors V = WordVectors.Create(["red", "sports", "car"], 3, [1, 2, 3, 4, 5, 6, -2, 0, 9]);

    [Fact]
    public void Average_is_the_element_wise_mean()
    {
        Assert.Equal([1f, 7f / 3, 6f], V.Compose("red sports car"), new FloatEq(1e-6f));
        Assert.Equal([2.5f, 3.5f, 4.5f], V.Compose(["red", "SPORTS"]), new FloatEq(1e-6f));
    }

    [Fact]
    public void Sum_adds_and_repeated_words_count_each_time()
    {
        Assert.Equal([3f, 7f, 18f], V.Compose("red sports car", TermCombination.Sum));
        Assert.Equal([2f, 4f, 6f], V.Compose("red red", TermCombination.Sum));
        Assert.Equal([1f, 2f, 3f], V.Compose("  red \t red  "));
    }

    [Fact]
    public void Throw_policy_names_every_unknown_word()
    {
        var e = Assert.Throws<UnknownWordException>(() => V.Compose("red flying sports boat"));
        Assert.Equal(["flying", "boat"], e.Words);
        Assert.Contains("'flying'", e.Message);
        Assert.Contains("'boat'", e.Message);
    }

    [Fact]
    public void Skip_policy_ignores_unknown_words()
    {
        Assert.Equal([2.5f, 3.5f, 4.5f], V.Compose("red flying sports", TermCombination.Average, UnknownWordPolicy.Skip), new FloatEq(1e-6f));
        Span<float> dest = stackalloc float[3];
        Assert.Equal(1, V.Compose(["zzz", "car"], dest, TermCombination.Sum, UnknownWordPolicy.Skip));
        Assert.Equal([-2f, 0f, 9f], dest.ToArray());
    }

    [Fact]
    public void Skip_policy_throws_when_no_word_is_known()
    {
        var e = Assert.Throws<UnknownWordException>(() => V.Compose("flying boat", TermCombination.Average, UnknownWordPolicy.Skip));
        Assert.Equal(["flying", "boat"], e.Words);
    }

    [Fact]
    public void Failure_leaves_the_destination_untouched()
    {
        float[] dest = [7, 7, 7];
        Assert.Throws<UnknownWordException>(() => V.Compose(["red", "nope"], dest));
        Assert.Equal([7f, 7f, 7f], dest);
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        Assert.Equal("phrase", Assert.Throws<ArgumentException>(() => V.Compose("   ")).ParamName);
        Assert.Equal("words", Assert.Throws<ArgumentException>(() => V.Compose(Array.Empty<string>())).ParamName);
        Assert.Equal("words", Assert.Throws<ArgumentException>(() => V.Compose(["red", null!])).ParamName);
        Assert.Equal("destination", Assert.Throws<ArgumentException>(() => V.Compose(["red"], new float[2])).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => V.Compose("red", (TermCombination)9));
        Assert.Throws<ArgumentOutOfRangeException>(() => V.Compose("red", TermCombination.Sum, (UnknownWordPolicy)9));
    }

    private sealed class FloatEq(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => MathF.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
