
namespace ImageSearch.Embeddings.Tests.Devise;

public sealed class ViewAveragingEmbedderTests
{
    /// <summary>An in-memory image that the fakes here know by its name only.</summary>
    private static ImageInput Named(string name) => ImageInput.FromBytes(ReadOnlyMemory<byte>.Empty, name);

    /// <summary>Embeds "s" as [len(s) * scale, scale]; fails for "bad" when told to.</summary>
    private sealed class Fake(float scale, bool failBad) : IEmbedder<ImageInput>
    {
        public int Dimension => 2;

        public Task<float[]> EmbedAsync(ImageInput input, CancellationToken cancellationToken = default)
            => failBad && input.Name == "bad" ? throw new EmbeddingException("bad") : Task.FromResult(new[] { input.Name.Length * scale, scale });

        public async Task<IReadOnlyList<EmbeddingResult>> EmbedBatchAsync(IReadOnlyList<ImageInput> inputs, IProgress<EmbeddingProgress>? progress = null, CancellationToken cancellationToken = default)
        {
            var r = new EmbeddingResult[inputs.Count];
            for (int i = 0; i < r.Length; i++)
            {
                try { r[i] = new EmbeddingResult(i, await EmbedAsync(inputs[i], cancellationToken), null); }
                catch (EmbeddingException e) { r[i] = new EmbeddingResult(i, null, e); }
            }
            return r;
        }
    }

    [Fact]
    public async Task Averages_views_one_by_one_and_in_batches_and_fails_a_photo_that_fails_in_any_view()
    {
        var avg = new ViewAveragingEmbedder([new Fake(1, false), new Fake(3, true)]);
        float[] one = await avg.EmbedAsync(Named("abc"));
        Assert.Equal(new[] { 6f, 2f }, one);
        var batch = await avg.EmbedBatchAsync([Named("ab"), Named("bad"), Named("a")]);
        Assert.Equal(new[] { 4f, 2f }, batch[0].Vector!);
        Assert.Null(batch[1].Vector);
        Assert.IsType<EmbeddingException>(batch[1].Error);
        Assert.Equal(new[] { 2f, 2f }, batch[2].Vector!);
    }

    [Fact]
    public void Rejects_no_views_and_mixed_dimensions()
    {
        Assert.Throws<ArgumentException>(() => new ViewAveragingEmbedder([]));
        var three = new DeviseEmbedderTestsHelper();
        Assert.Throws<ArgumentException>(() => new ViewAveragingEmbedder([new Fake(1, false), three]));
    }

    private sealed class DeviseEmbedderTestsHelper : IEmbedder<ImageInput>
    {
        public int Dimension => 3;

        public Task<float[]> EmbedAsync(ImageInput input, CancellationToken cancellationToken = default) => Task.FromResult(new float[3]);

        public Task<IReadOnlyList<EmbeddingResult>> EmbedBatchAsync(IReadOnlyList<ImageInput> inputs, IProgress<EmbeddingProgress>? progress = null, CancellationToken cancellationToken = default)
            => throw new NotSupportedException();
    }
}
