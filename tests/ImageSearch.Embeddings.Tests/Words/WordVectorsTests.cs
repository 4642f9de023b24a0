
namespace ImageSearch.Embeddings.Tests.Words;

public class WordVectorsTests
{
    private static WordVectors Small() => WordVectors.Create(
        ["the", "king", "queen", "NASA", "éclair"], 2,
        [1, 0, 0, 1, 1, 1, 2, 0, 0, -3]);

    [Fact]
    public void Exposes_vocabulary_in_order_with_ranks()
    {
        var v = Small();
        Assert.Equal(5, v.Count);
        Assert.Equal(2, v.Dimension);
        Assert.Equal(["the", "king", "queen", "NASA", "éclair"], v.Words);
        Assert.Equal(1, v.IndexOf("king"));
        Assert.Equal(-1, v.IndexOf("prince"));
        Assert.Equal([1f, 1f], v.GetVector(2).ToArray());
        Assert.Equal(10, v.Vectors.Length);
    }

    [Fact]
    public void Lookup_lower_cases_with_the_invariant_culture()
    {
        var v = Small();
        Assert.True(v.Contains("KING"));
        Assert.True(v.Contains("King"));
        Assert.Equal(0, v.IndexOf("The"));
        Assert.True(v.TryGetVector("ÉCLAIR", out var e));
        Assert.Equal([0f, -3f], e.ToArray());
        Assert.Equal([0f, 1f], v.GetVector("KiNg").ToArray());
    }

    [Fact]
    public void Cased_entries_are_found_as_written_when_no_lower_case_form_exists()
    {
        var v = Small();
        Assert.Equal(3, v.IndexOf("NASA"));
        Assert.Equal(-1, v.IndexOf("nasa"));   // lower-cased query, entry is upper-case only
        Assert.Equal(-1, v.IndexOf("Nasa"));
    }

    [Fact]
    public void Unknown_word_throws_a_KeyNotFoundException_naming_it()
    {
        var v = Small();
        var e = Assert.Throws<UnknownWordException>(() => v.GetVector("prince"));
        Assert.IsAssignableFrom<KeyNotFoundException>(e);
        Assert.Contains("'prince'", e.Message);
        Assert.Equal(["prince"], e.Words);
        Assert.False(v.TryGetVector("prince", out var none));
        Assert.True(none.IsEmpty);
    }

    [Fact]
    public void Long_words_are_looked_up_without_stack_overflow()
    {
        string longWord = new('a', 1000);
        var v = WordVectors.Create([longWord], 1, [1f]);
        Assert.Equal(0, v.IndexOf(longWord.ToUpperInvariant()));
    }

    [Fact]
    public void Vectors_are_copied_on_create()
    {
        float[] data = [1, 2];
        var v = WordVectors.Create(["a"], 2, data);
        data[0] = 99;
        Assert.Equal(1f, v.GetVector("a")[0]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("two words")]
    [InlineData("tab\tword")]
    public void Create_rejects_bad_words(string bad)
    {
        var e = Assert.Throws<ArgumentException>(() => WordVectors.Create(["ok", bad], 1, [1, 2]));
        Assert.Equal("words", e.ParamName);
    }

    [Fact]
    public void Create_rejects_duplicates_nan_and_wrong_lengths()
    {
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => WordVectors.Create(["a", "b", "a"], 1, [1, 2, 3])).Message);
        Assert.Contains("'b'", Assert.Throws<ArgumentException>(() => WordVectors.Create(["a", "b"], 1, [1, float.NaN])).Message);
        Assert.Throws<ArgumentException>(() => WordVectors.Create(["a", "b"], 1, [1, float.PositiveInfinity]));
        Assert.Equal("vectors", Assert.Throws<ArgumentException>(() => WordVectors.Create(["a", "b"], 2, [1, 2, 3])).ParamName);
        Assert.Throws<ArgumentException>(() => WordVectors.Create([], 2, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => WordVectors.Create(["a"], 0, []));
    }

    [Fact]
    public void GetVector_by_rank_checks_the_range()
    {
        var v = Small();
        Assert.Throws<ArgumentOutOfRangeException>(() => v.GetVector(5));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.GetVector(-1));
    }
}
