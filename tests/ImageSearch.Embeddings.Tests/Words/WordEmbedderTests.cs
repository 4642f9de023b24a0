
namespace ImageSearch.Embeddings.Tests.Words;

public class WordEmbedderTests
{
    private static readonly WordVectors V = WordVectors.Create(["cat", "dog", "big"], 2, [1, 0, 0, 1, 3, 3]);

    [Fact]
    public async Task Embeds_words_and_phrases()
    {
        var e = new WordEmbedder(V);
        Assert.Equal(2, e.Dimension);
        Assert.Equal(new[] { 1f, 0f }, await e.EmbedAsync("Cat"));
        Assert.Equal(new[] { 2f, 1.5f }, await e.EmbedAsync("big cat"));
        Assert.Equal(new[] { 4f, 3f }, await new WordEmbedder(V, TermCombination.Sum).EmbedAsync("big cat"));
        Assert.Equal(new[] { 1f, 0f }, await new WordEmbedder(V, unknownWords: UnknownWordPolicy.Skip).EmbedAsync("fluffy cat"));
    }

    [Fact]
    public async Task Unknown_words_raise_an_EmbeddingException_naming_them()
    {
        var e = await Assert.ThrowsAsync<EmbeddingException>(() => new WordEmbedder(V).EmbedAsync("fluffy cat"));
        Assert.Contains("'fluffy'", e.Message);
        Assert.IsType<UnknownWordException>(e.InnerException);
        await Assert.ThrowsAsync<EmbeddingException>(() => new WordEmbedder(V).EmbedAsync("  "));
    }

    [Fact]
    public async Task A_batch_reports_failures_per_item_in_order()
    {
        var progress = new ProgressLog<EmbeddingProgress>();
        var results = await new WordEmbedder(V).EmbedBatchAsync(["cat", "wolf", "big dog", "", null!], progress);
        Assert.Equal([0, 1, 2, 3, 4], results.Select(r => r.Index));
        Assert.Equal([true, false, true, false, false], results.Select(r => r.Succeeded));
        Assert.Equal([1.5f, 2f], results[2].Vector!);
        Assert.Contains("'wolf'", results[1].Error!.Message);
        Assert.IsType<EmbeddingException>(results[4].Error);
        Assert.Equal(5, progress.Reports.Count);
        Assert.Equal(new EmbeddingProgress(5, 3, 5), progress.Reports[^1]);
        Assert.Equal(new EmbeddingProgress(2, 1, 5), progress.Reports[1]);
    }

    [Fact]
    public async Task A_cancelled_batch_throws()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new WordEmbedder(V).EmbedBatchAsync(["cat"], null, cts.Token));
    }
}
