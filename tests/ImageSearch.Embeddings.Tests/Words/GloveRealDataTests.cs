using System.Numerics.Tensors;

namespace ImageSearch.Embeddings.Tests.Words;

/// <summary>Where the fetched GloVe is: the test checkout's cache (scripts/fetch-glove.sh fills it); null when absent.</summary>
internal static class GloveLocation
{
    public static readonly string? Directory = TestRepository.Data is { HasGlove: true } repo ? repo.GloveFolder : null;

    public static string SkipReason => $"GloVe not fetched (looked in {TestRepository.Data?.GloveFolder ?? "the checkout's .cache/glove"}): run scripts/fetch-glove.sh";
}

/// <summary>A test that needs the real GloVe fetched by scripts/fetch-glove.sh; skipped, with the reason, when it is absent.</summary>
public sealed class GloveFactAttribute : FactAttribute
{
    public GloveFactAttribute()
    {
        if (GloveLocation.Directory is null)
        {
            Skip = GloveLocation.SkipReason;
        }
    }
}

/// <summary>Loads the real GloVe once for all tests in the class (binary cache after the first run).</summary>
public sealed class GloveFixture
{
    private readonly Lazy<Task<WordVectors>> _vectors = new(() => Glove.OpenAsync(GloveLocation.Directory!));

    public WordVectors Vectors => _vectors.Value.GetAwaiter().GetResult();
}

public class GloveRealDataTests(GloveFixture glove) : IClassFixture<GloveFixture>
{
    private WordVectors V => glove.Vectors;

    [GloveFact]
    public void Is_the_pinned_GloVe_6B_100d()
    {
        Assert.Equal(341_479, V.Count);
        Assert.Equal(100, V.Dimension);
        Assert.Equal("the", V.Words[0]);       // sorted by frequency
        Assert.Equal(1, V.IndexOf(","));
        Assert.True(V.Contains("Paris"));      // lower-cased lookup
        Assert.Equal(V.IndexOf("paris"), V.IndexOf("PARIS"));
        // Values as printed in glove.6B.100d.txt for "the".
        Assert.Equal(-0.038194f, V.GetVector("the")[0]);
        Assert.Equal(0.27062f, V.GetVector("the")[99]);
    }

    [GloveFact]
    public void The_binary_cache_matches_the_package()
    {
        string dir = GloveLocation.Directory!;
        string binary = Path.Combine(dir, Glove.BinaryFileName);
        Assert.True(File.Exists(binary), "Glove.OpenAsync should have written the binary cache");
        var fromCache = WordVectors.LoadBinaryAsync(binary).GetAwaiter().GetResult();
        WordTestData.AssertEqual(V, fromCache);
    }

    [GloveTheory]
    [InlineData("king", new[] { "queen", "prince", "monarch", "throne" })]
    [InlineData("cat", new[] { "dog", "cats", "kitten", "pet" })]
    [InlineData("paris", new[] { "france", "london", "french", "brussels" })]
    [InlineData("car", new[] { "vehicle", "truck", "cars", "driver" })]
    public void Nearest_words_are_sensible(string word, string[] expectedAmongTop10)
    {
        var hits = V.NearestWords(word, 10);
        string[] top = hits.Select(h => h.Word).ToArray();
        Assert.DoesNotContain(word, top);
        int found = expectedAmongTop10.Count(top.Contains);
        Assert.True(found >= 2, $"{word}: top 10 = {string.Join(", ", top)}");
        Assert.Contains(expectedAmongTop10[0], top.Take(3));
    }

    [GloveFact]
    public void Distances_agree_with_an_independent_cosine_and_with_Annoy_angular()
    {
        var hits = V.NearestWords("queen", 20, new NearestWordsOptions { MostFrequent = 50_000 });
        Assert.All(hits, h => Assert.True(h.WordIndex < 50_000));
        for (int i = 0; i < hits.Length; i++)
        {
            var h = hits[i];
            float cos = TensorPrimitives.CosineSimilarity(V.GetVector("queen"), V.GetVector(h.WordIndex));
            Assert.Equal(1 - cos, h.CosineDistance, 1e-4f);
            Assert.Equal(MathF.Sqrt(2 * (1 - cos)), h.AngularDistance, 1e-3f);
            // Angular distance is the Euclidean distance between the unit vectors.
            float[] a = V.GetVector("queen").ToArray(), b = V.GetVector(h.WordIndex).ToArray();
            TensorPrimitives.Divide(a, TensorPrimitives.Norm(a), a);
            TensorPrimitives.Divide(b, TensorPrimitives.Norm(b), b);
            Assert.Equal(TensorPrimitives.Distance(a, b), h.AngularDistance, 1e-3f);
            if (i > 0)
            {
                Assert.True(hits[i - 1].CosineDistance <= h.CosineDistance);
            }
        }
    }

    [GloveFact]
    public void Phrases_and_analogies_land_near_the_expected_word()
    {
        // king - man + woman ~ queen, the classic GloVe analogy.
        float[] q = V.GetVector("king").ToArray();
        TensorPrimitives.Subtract(q, V.GetVector("man"), q);
        TensorPrimitives.Add(q, V.GetVector("woman"), q);
        var hits = V.NearestWords(q, 5, new NearestWordsOptions { Exclude = ["king", "man", "woman"] });
        Assert.Contains("queen", hits.Select(h => h.Word));

        var phrase = V.Compose("small furry pet");
        Assert.Contains(V.NearestWords(phrase, 20).Select(h => h.Word), w => w is "cat" or "dog" or "dogs" or "cats" or "pets" or "animal");
    }

    [GloveFact]
    public void Candidate_lists_restrict_the_answer()
    {
        var hits = V.NearestWords("kitten", 3, new NearestWordsOptions { Candidates = ["car", "dog", "aeroplane", "bottle", "sheep", "sofa"] });
        Assert.Equal("dog", hits[0].Word);
    }
}

/// <summary>The theory counterpart of <see cref="GloveFactAttribute"/>.</summary>
public sealed class GloveTheoryAttribute : TheoryAttribute
{
    public GloveTheoryAttribute()
    {
        if (GloveLocation.Directory is null)
        {
            Skip = GloveLocation.SkipReason;
        }
    }
}
