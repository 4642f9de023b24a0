
namespace ImageSearch.Tests.Queries;

public class QueryBuilderTests
{
    /// <summary>Embeds a letter as a one-hot vector; anything else fails like a corrupt input would.</summary>
    private sealed class LetterEmbedder : IEmbedder<string>
    {
        public int Dimension => 4;

        public int Calls { get; private set; }

        public Task<float[]> EmbedAsync(string input, CancellationToken cancellationToken = default)
        {
            Calls++;
            int i = "abcd".IndexOf(input, StringComparison.Ordinal);
            if (input.Length != 1 || i < 0)
            {
                throw new EmbeddingException($"Cannot embed '{input}'.");
            }

            var v = new float[4];
            v[i] = 2;
            return Task.FromResult(v);
        }

        public Task<IReadOnlyList<EmbeddingResult>> EmbedBatchAsync(IReadOnlyList<string> inputs, IProgress<EmbeddingProgress>? progress = null, CancellationToken cancellationToken = default)
            => throw new NotSupportedException();
    }

    [Fact]
    public async Task SumAverageAndNegativeTermsCompose()
    {
        var e = new LetterEmbedder();
        float[] sum = await new QueryBuilder(4).Add(e, "a").Add(e, "b", 0.5f).Subtract([1, 1, 1, 1]).BuildVectorAsync();
        Assert.Equal(new float[] { 1, 0, -1, -1 }, sum);

        float[] avg = await new QueryBuilder(4).AddRange(e, ["a", "b", "c"]).Combine(TermCombination.Average).BuildVectorAsync();
        Assert.Equal(new[] { 2 / 3f, 2 / 3f, 2 / 3f, 0 }, avg);

        float[] normalized = await new QueryBuilder(4).Add(e, "a").Add([0, 0, 0, 10]).NormalizeTerms().BuildVectorAsync();
        Assert.Equal(new float[] { 1, 0, 0, 1 }, normalized);
        Assert.Equal(6, e.Calls);
    }

    [Fact]
    public async Task SearchJoinsPayloadsAndAppliesOptions()
    {
        var index = new ExactIndex(4, DistanceMetric.Cosine);
        string[] names = ["north", "east", "south", "west", "north-east"];
        index.AddRange([0, 1, 2, 3, 4], [1, 0, 0, 0, 0, 1, 0, 0, -1, 0, 0, 0, 0, -1, 0, 0, 1, 1, 0, 0]);
        var e = new LetterEmbedder();

        IReadOnlyList<SearchHit<string>> hits = await new QueryBuilder(4).Add(e, "a").Add(e, "b").Take(2).SearchAsync(index, k => names[k]);
        // north and east tie exactly; the tie goes to the smaller key.
        Assert.Equal(["north-east", "north"], hits.Select(h => h.Payload));
        Assert.Equal(1, hits[0].Rank);
        Assert.Equal(0f, hits[0].Distance, 1e-6f);

        var filtered = await new QueryBuilder(4).Add(e, "a").Where(k => k != 0 && k != 4).Take(1).SearchAsync(index, k => names[k]);
        Assert.NotEqual("north", filtered[0].Payload);

        // Class weights that zero out the first axis make "north" no better than "east" for a north-east query.
        var weighted = await new QueryBuilder(4).Add([1, 0.2f, 0, 0]).WithClassWeights([0, 1, 1, 1]).Take(1).SearchAsync(index, k => names[k]);
        var plain = await new QueryBuilder(4).Add([1, 0.2f, 0, 0]).Take(1).SearchAsync(index, k => names[k]);
        Assert.Equal("north", plain[0].Payload);
        Assert.NotEqual("north", weighted[0].Payload);
    }

    /// <summary>A word embedder of another dimension than the query's.</summary>
    private sealed class ThreeDWords : IEmbedder<string>
    {
        public int Dimension => 3;

        public Task<float[]> EmbedAsync(string input, CancellationToken cancellationToken = default) => Task.FromResult(new float[] { 1, 0, 0 });

        public Task<IReadOnlyList<EmbeddingResult>> EmbedBatchAsync(IReadOnlyList<string> inputs, IProgress<EmbeddingProgress>? progress = null, CancellationToken cancellationToken = default)
            => throw new NotSupportedException();
    }

    [Fact]
    public void EachTermIsCheckedWhenAddedAndTheMisfitIsNamed()
    {
        var letters = new LetterEmbedder();
        var words = new ThreeDWords();
        var query = new QueryBuilder(4).Add(letters, "a").Add([0, 1, 0, 0]);

        // An embedder term: position, input, embedder type and both dimensions.
        var e = Assert.Throws<ArgumentException>(() => query.Add(words, "sofa", 0.5f));
        Assert.Equal("embedder", e.ParamName);
        Assert.Contains("#2", e.Message);
        Assert.Contains("'sofa'", e.Message);
        Assert.Contains(nameof(ThreeDWords), e.Message);
        Assert.Contains("3-d", e.Message);
        Assert.Contains("4-d", e.Message);

        e = Assert.Throws<ArgumentException>(() => query.Subtract(words, "dog"));
        Assert.Contains("#2 ('dog')", e.Message);

        // AddRange names the first misfit and adds nothing.
        e = Assert.Throws<ArgumentException>(() => query.AddRange(words, ["cat", "sofa"]));
        Assert.Contains("#2 ('cat')", e.Message);
        Assert.Throws<ArgumentException>(() => query.AddRange(letters, ["b", null!]));

        // A vector term: position and length.
        e = Assert.Throws<ArgumentException>(() => query.Add([1, 2, 3]));
        Assert.Equal("vector", e.ParamName);
        Assert.Contains("#2", e.Message);
        Assert.Contains("3 elements", e.Message);
        Assert.Contains("#2", Assert.Throws<ArgumentException>(() => query.Subtract([1, 2, 3, 4, 5])).Message);

        Assert.Equal(2, query.TermCount);
        Assert.Equal(0, letters.Calls); // nothing was embedded to find the misfits
    }

    [Fact]
    public async Task BadInputIsRejectedClearly()
    {
        var e = new LetterEmbedder();
        Assert.Equal("vector", Assert.Throws<ArgumentException>(() => new QueryBuilder(4).Add([1, 2, 3])).ParamName);
        Assert.Equal("vector", Assert.Throws<ArgumentException>(() => new QueryBuilder(4).Add([1, float.NaN, 3, 4])).ParamName);
        Assert.Equal("weight", Assert.Throws<ArgumentOutOfRangeException>(() => new QueryBuilder(4).Add([1, 2, 3, 4], 0)).ParamName);
        Assert.Equal("weight", Assert.Throws<ArgumentOutOfRangeException>(() => new QueryBuilder(4).Add(e, "a", float.NaN)).ParamName);
        Assert.Equal("embedder", Assert.Throws<ArgumentException>(() => new QueryBuilder(5).Add(e, "a")).ParamName);
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => new QueryBuilder(4).WithClassWeights([0, 0, 0, 0])).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new QueryBuilder(4).Take(0));
        await Assert.ThrowsAsync<InvalidOperationException>(() => new QueryBuilder(4).BuildVectorAsync());
        await Assert.ThrowsAsync<InvalidOperationException>(() => new QueryBuilder(4).Add(e, "a").Subtract(e, "a").BuildVectorAsync());
        var error = await Assert.ThrowsAsync<EmbeddingException>(() => new QueryBuilder(4).Add(e, "zebra").BuildVectorAsync());
        Assert.Contains("zebra", error.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => new QueryBuilder(4).Add(e, "a").SearchAsync(new ExactIndex(3)));
    }
}
