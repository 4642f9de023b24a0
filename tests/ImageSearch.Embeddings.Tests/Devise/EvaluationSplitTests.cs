namespace ImageSearch.Embeddings.Tests.Devise;

/// <summary>The evaluation's own shuffle reproduces the library's training generator, so the recorded splits are the same photos.</summary>
public class EvaluationSplitTests
{
    [Theory]
    [InlineData(2026L, 50)]
    [InlineData(7L, 1000)]
    public void The_split_shuffle_is_the_library_generators_shuffle(long seed, int n)
    {
        int[] a = Enumerable.Range(0, n).ToArray(), b = Enumerable.Range(0, n).ToArray();
        var evaluation = new SplitRandom(seed);
        var library = new DeviseRandom(seed);
        for (int round = 0; round < 3; round++)
        {
            evaluation.Shuffle(a);
            library.Shuffle(b);
            Assert.Equal(b, a);
        }
    }
}
