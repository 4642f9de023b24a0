
namespace ImageSearch.Embeddings.Tests.Words;

public class WordNeighboursTests
{
    // Directions at known angles from "east": 0, 45, 90, 135 and 180 degrees (lengths differ on purpose: cosine ignores them).
    private static WordVectors Compass() => WordVectors.Create(
        ["east", "northeast", "north", "northwest", "west"], 2,
        [2, 0, 3, 3, 0, 0.5f, -1, 1, -4, 0]);

    [Fact]
    public void Neighbours_of_a_word_follow_the_angle_and_exclude_the_word()
    {
        var hits = Compass().NearestWords("East", 4);
        Assert.Equal(["northeast", "north", "northwest", "west"], hits.Select(h => h.Word));
        Assert.Equal([1, 2, 3, 4], hits.Select(h => h.WordIndex));
        // cos 45 = 0.7071: cosine distance 1 - 0.7071, angular distance sqrt(2 (1 - cos)) = 2 sin(22.5 deg) = 0.7654.
        Assert.Equal(1 - Math.Sqrt(0.5), hits[0].CosineDistance, 1e-5);
        Assert.Equal(2 * Math.Sin(Math.PI / 8), hits[0].AngularDistance, 1e-5);
        Assert.Equal(1.0, hits[1].CosineDistance, 1e-5);
        Assert.Equal(Math.Sqrt(2), hits[1].AngularDistance, 1e-5);
        Assert.Equal(2.0, hits[3].CosineDistance, 1e-5);
        Assert.Equal(2.0, hits[3].AngularDistance, 1e-5);
        Assert.Equal(-1.0, hits[3].Cosine, 1e-5);
    }

    [Fact]
    public void The_query_word_can_be_included()
    {
        var hits = Compass().NearestWords("north", 2, new NearestWordsOptions { IncludeQueryWord = true });
        Assert.Equal("north", hits[0].Word);
        Assert.Equal(0, hits[0].CosineDistance, 1e-6);
        Assert.Contains(hits[1].Word, new[] { "northeast", "northwest" });
    }

    [Fact]
    public void Any_vector_can_be_the_query()
    {
        // Just south of west-north-west: nearest is northwest (about 22 deg away), then west.
        float[] q = [-2, 0.9f];
        var hits = Compass().NearestWords(q, 2);
        Assert.Equal(["northwest", "west"], hits.Select(h => h.Word));
        double expected = 1 - ((-2 * -1) + (0.9 * 1)) / (Math.Sqrt(4 + 0.81) * Math.Sqrt(2));
        Assert.Equal(expected, hits[0].CosineDistance, 1e-5);
    }

    [Fact]
    public void Restrictions_apply_together()
    {
        var v = Compass();
        Assert.Equal(["northeast", "north"], v.NearestWords("east", 10, new NearestWordsOptions { MostFrequent = 3 }).Select(h => h.Word));
        Assert.Equal(["north", "west"], v.NearestWords("east", 10, new NearestWordsOptions { Candidates = ["WEST", "north", "east"] }).Select(h => h.Word));
        Assert.Equal(["north", "northwest"], v.NearestWords("east", 2, new NearestWordsOptions { Exclude = ["northeast", "unknown-word"] }).Select(h => h.Word));
        Assert.Equal(["north"], v.NearestWords("east", 5, new NearestWordsOptions { MostFrequent = 4, Candidates = ["north", "west"], Exclude = ["northwest"] }).Select(h => h.Word));
    }

    [Fact]
    public void Errors_name_the_problem()
    {
        var v = Compass();
        Assert.Equal(["south"], Assert.Throws<UnknownWordException>(() => v.NearestWords("south", 3)).Words);
        Assert.Equal(["up", "down"], Assert.Throws<UnknownWordException>(() => v.NearestWords("east", 3, new NearestWordsOptions { Candidates = ["up", "north", "down"] })).Words);
        Assert.Throws<ArgumentOutOfRangeException>(() => v.NearestWords("east", 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.NearestWords("east", 1, new NearestWordsOptions { MostFrequent = 0 }));
        Assert.Throws<ArgumentException>(() => v.NearestWords(new float[3], 1));
        Assert.Throws<ArgumentException>(() => v.NearestWords(new float[2], 1));   // zero vector has no direction
    }

    [Fact]
    public void Zero_vectors_are_left_out_of_the_index()
    {
        var v = WordVectors.Create(["a", "zero", "b"], 2, [1, 0, 0, 0, 1, 1]);
        var neighbours = new WordNeighbours(v);
        Assert.Equal(2, neighbours.Index.Count);
        Assert.False(neighbours.Index.Contains(1));
        Assert.Equal(["b"], v.NearestWords("a", 5).Select(h => h.Word));
    }

    [Fact]
    public void The_index_is_built_once_and_shared()
    {
        int built = 0;
        var v = Compass();
        var neighbours = new WordNeighbours(v, w =>
        {
            Interlocked.Increment(ref built);
            return WordNeighbours.BuildExactIndex(w);
        });
        Parallel.For(0, 16, _ => neighbours.Nearest("north", 2));
        Assert.Equal(1, built);
        Assert.Same(v.Neighbours, v.Neighbours);
        Assert.Equal(5, v.Neighbours.Index.Count);
    }

    [Fact]
    public void A_factory_index_must_be_cosine_with_the_right_dimension()
    {
        var v = Compass();
        Assert.Throws<InvalidOperationException>(() => new WordNeighbours(v, _ => new ExactIndex(2, DistanceMetric.SquaredL2)).Nearest("east", 1));
        Assert.Throws<InvalidOperationException>(() => new WordNeighbours(v, _ => new ExactIndex(3, DistanceMetric.Cosine)).Nearest("east", 1));
    }

    [Fact]
    public void Any_cosine_index_can_serve_the_search()
    {
        var v = WordTestData.Random(600, 12, seed: 4);
        var hnsw = new WordNeighbours(v, w =>
        {
            var index = new HnswIndex(w.Dimension, DistanceMetric.Cosine);
            long[] keys = Enumerable.Range(0, w.Count).Select(i => (long)i).ToArray();
            index.AddRange(keys, w.Vectors.Span);
            return index;
        });
        Assert.IsType<HnswIndex>(hnsw.Index);
        int agree = 0, total = 0;
        foreach (string word in v.Words.Take(20))
        {
            var exact = v.NearestWords(word, 5).Select(h => h.Word).ToHashSet();
            var approximate = hnsw.Nearest(word, 5, new NearestWordsOptions { Ef = 200 });
            Assert.DoesNotContain(word, approximate.Select(h => h.Word));
            agree += approximate.Count(h => exact.Contains(h.Word));
            total += 5;
        }

        // HNSW is approximate; on 600 points with ef = 200 it should find nearly all exact neighbours.
        Assert.True(agree >= total * 0.95, $"{agree} of {total}");
    }
}
