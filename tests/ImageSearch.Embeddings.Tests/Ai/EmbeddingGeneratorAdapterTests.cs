using Microsoft.Extensions.AI;
using ImageSearch.Embeddings.Tests.Words;

namespace ImageSearch.Embeddings.Tests.Ai;

public class EmbeddingGeneratorAdapterTests
{
    private static readonly WordVectors V = WordVectors.Create(["cat", "dog", "big"], 2, [1, 0, 0, 1, 3, 3]);

    [Fact]
    public async Task Generates_one_embedding_per_input_in_order()
    {
        IEmbeddingGenerator<string, Embedding<float>> generator = new WordEmbedder(V).AsEmbeddingGenerator("glove-test");
        var embeddings = await generator.GenerateAsync(["dog", "big cat"]);
        Assert.Equal(2, embeddings.Count);
        Assert.Equal([0f, 1f], embeddings[0].Vector.ToArray());
        Assert.Equal([2f, 1.5f], embeddings[1].Vector.ToArray());
        Assert.Equal("glove-test", embeddings[0].ModelId);
        Assert.Equal(2, embeddings[1].Dimensions);
        float[] dog = (await generator.GenerateVectorAsync("DOG")).ToArray();
        Assert.Equal([0f, 1f], dog);
    }

    [Fact]
    public async Task Failed_inputs_are_all_listed()
    {
        var generator = new WordEmbedder(V).AsEmbeddingGenerator();
        var e = await Assert.ThrowsAsync<EmbeddingBatchException>(() => generator.GenerateAsync(["cat", "wolf", "dog", "pink fox"]));
        Assert.Equal([1, 3], e.Failures.Select(f => f.Index));
        Assert.Equal(4, e.Total);
        Assert.Contains("2 of 4", e.Message);
        Assert.Contains("#1 'wolf'", e.Message);
        Assert.Contains("#3 'pink fox'", e.Message);
        Assert.Equal(2, Assert.IsType<AggregateException>(e.InnerException).InnerExceptions.Count);
        Assert.IsAssignableFrom<EmbeddingException>(e);
    }

    [Fact]
    public void Metadata_and_services_are_exposed()
    {
        var embedder = new WordEmbedder(V);
        var generator = new EmbeddingGeneratorAdapter<string>(embedder, "m");
        var metadata = generator.GetService<EmbeddingGeneratorMetadata>();
        Assert.NotNull(metadata);
        Assert.Equal(2, metadata.DefaultModelDimensions);
        Assert.Equal("m", metadata.DefaultModelId);
        Assert.Equal("ImageSearch", metadata.ProviderName);
        Assert.Same(embedder, generator.GetService<WordEmbedder>());
        Assert.Same(embedder, generator.GetService<IEmbedder<string>>());
        Assert.Same(generator, generator.GetService<EmbeddingGeneratorAdapter<string>>());
        Assert.Null(generator.GetService<WordEmbedder>("some key"));
        Assert.Null(generator.GetService<string>());
        Assert.Equal(nameof(WordEmbedder), new EmbeddingGeneratorAdapter<string>(embedder).Metadata.DefaultModelId);
    }

    [Fact]
    public async Task A_different_dimension_cannot_be_requested()
    {
        var generator = new WordEmbedder(V).AsEmbeddingGenerator();
        await Assert.ThrowsAsync<NotSupportedException>(() => generator.GenerateAsync(["cat"], new EmbeddingGenerationOptions { Dimensions = 3 }));
        Assert.Single(await generator.GenerateAsync(["cat"], new EmbeddingGenerationOptions { Dimensions = 2 }));
    }

    [Fact]
    public async Task Dispose_disposes_the_embedder_only_when_asked()
    {
        var owned = new DisposableEmbedder();
        new EmbeddingGeneratorAdapter<string>(owned, disposeEmbedder: true).Dispose();
        Assert.True(owned.Disposed);

        var borrowed = new DisposableEmbedder();
        var generator = new EmbeddingGeneratorAdapter<string>(borrowed);
        generator.Dispose();
        Assert.False(borrowed.Disposed);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => generator.GenerateAsync(["x"]));
    }

    [Fact]
    public async Task The_reverse_wrapper_makes_a_generator_an_embedder()
    {
        var generator = new WordEmbedder(V).AsEmbeddingGenerator();
        var embedder = new GeneratorEmbedder<string>(generator);
        Assert.Equal(2, embedder.Dimension);
        Assert.Equal(new[] { 2f, 1.5f }, await embedder.EmbedAsync("big cat"));

        var progress = new ProgressLog<EmbeddingProgress>();
        var results = await embedder.EmbedBatchAsync(["cat", "wolf", "dog"], progress);
        Assert.Equal([true, false, true], results.Select(r => r.Succeeded));
        Assert.Contains("'wolf'", results[1].Error!.Message);
        Assert.Equal(new EmbeddingProgress(3, 1, 3), progress.Reports[^1]);

        Assert.Contains("'wolf'", (await Assert.ThrowsAnyAsync<EmbeddingException>(() => embedder.EmbedAsync("wolf"))).Message);
    }

    [Fact]
    public void Round_trips_unwrap_instead_of_stacking()
    {
        var embedder = new WordEmbedder(V);
        Assert.Same(embedder, embedder.AsEmbeddingGenerator().AsEmbedder());
        var foreign = new NoMetadataGenerator();
        Assert.Same(foreign, foreign.AsEmbedder(7).AsEmbeddingGenerator());
        Assert.IsType<EmbeddingGeneratorAdapter<string>>(foreign.AsEmbedder(7).AsEmbeddingGenerator("renamed"));
        Assert.Throws<ArgumentException>(() => new GeneratorEmbedder<string>(new NoMetadataGenerator()));
        Assert.Equal(7, new GeneratorEmbedder<string>(new NoMetadataGenerator(), 7).Dimension);
    }

    private sealed class DisposableEmbedder : IEmbedder<string>, IDisposable
    {
        public bool Disposed { get; private set; }

        public int Dimension => 1;

        public void Dispose() => Disposed = true;

        public Task<float[]> EmbedAsync(string input, CancellationToken cancellationToken = default) => Task.FromResult(new[] { 1f });

        public Task<IReadOnlyList<EmbeddingResult>> EmbedBatchAsync(IReadOnlyList<string> inputs, IProgress<EmbeddingProgress>? progress = null, CancellationToken cancellationToken = default)
            => Task.FromResult<IReadOnlyList<EmbeddingResult>>(inputs.Select((_, i) => new EmbeddingResult(i, [1f], null)).ToArray());
    }

    private sealed class NoMetadataGenerator : IEmbeddingGenerator<string, Embedding<float>>
    {
        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
            => throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
