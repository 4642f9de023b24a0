using Microsoft.Extensions.AI;
using ImageSearch.Embeddings.Tests.Engine;
using ImageSearch.Embeddings.Tests.Images;
using ImageSearch.Embeddings.Tests.Words;

namespace ImageSearch.Embeddings.Tests.Ai;

public class EmbeddingGeneratorAdapterTests
{
    private static readonly WordVectors V = WordVectors.Create(["cat", "dog", "big"], 2, [1, 0, 0, 1, 3, 3]);

    [Fact]
    public async Task Generates_one_embedding_per_input_in_order()
    {
        IEmbeddingGenerator<string, Embedding<float>> generator = new WordEmbedder(V).AsIEmbeddingGenerator("glove-test");
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
        var generator = new WordEmbedder(V).AsIEmbeddingGenerator();
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
    public void Metadata_and_services_are_exposed_through_GetService()
    {
        var embedder = new WordEmbedder(V);
        var generator = embedder.AsIEmbeddingGenerator("m");
        var metadata = generator.GetService<EmbeddingGeneratorMetadata>();
        Assert.NotNull(metadata);
        Assert.Equal(2, metadata.DefaultModelDimensions);
        Assert.Equal("m", metadata.DefaultModelId);
        Assert.Equal("ImageSearch", metadata.ProviderName);
        Assert.Same(embedder, generator.GetService<WordEmbedder>());
        Assert.Same(embedder, generator.GetService<IEmbedder<string>>());
        Assert.Same(generator, generator.GetService<IEmbeddingGenerator<string, Embedding<float>>>());
        Assert.Null(generator.GetService<WordEmbedder>("some key"));
        Assert.Null(generator.GetService<string>());
        Assert.Equal(nameof(WordEmbedder), embedder.AsIEmbeddingGenerator().GetService<EmbeddingGeneratorMetadata>()!.DefaultModelId);

        var images = new FakeImageEmbedder(3).AsIEmbeddingGenerator();
        Assert.Equal(3, images.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelDimensions);
        Assert.Equal(nameof(FakeImageEmbedder), images.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelId);
    }

    [Fact]
    public void The_adapters_are_not_public()
    {
        // Users reach them only through AsIEmbeddingGenerator / AsEmbedder, as in Microsoft.Extensions.AI.
        var exported = typeof(EmbedderAiExtensions).Assembly.GetExportedTypes();
        Assert.DoesNotContain(exported, t => t.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEmbeddingGenerator<,>)));
        Assert.DoesNotContain(exported, t => t.Name.StartsWith("GeneratorEmbedder", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_different_dimension_cannot_be_requested()
    {
        var generator = new WordEmbedder(V).AsIEmbeddingGenerator();
        await Assert.ThrowsAsync<NotSupportedException>(() => generator.GenerateAsync(["cat"], new EmbeddingGenerationOptions { Dimensions = 3 }));
        Assert.Single(await generator.GenerateAsync(["cat"], new EmbeddingGenerationOptions { Dimensions = 2 }));
    }

    [Fact]
    public async Task Dispose_disposes_the_embedder_only_when_asked()
    {
        var owned = new DisposableEmbedder();
        owned.AsIEmbeddingGenerator(disposeEmbedder: true).Dispose();
        Assert.True(owned.Disposed);

        var borrowed = new DisposableEmbedder();
        var generator = borrowed.AsIEmbeddingGenerator();
        generator.Dispose();
        Assert.False(borrowed.Disposed);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => generator.GenerateAsync(["x"]));
    }

    [Fact]
    public async Task The_reverse_wrapper_makes_a_generator_an_embedder()
    {
        var generator = new WordEmbedder(V).AsIEmbeddingGenerator();
        var embedder = new ForeignGenerator<string>(generator).AsEmbedder();
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
        Assert.Same(embedder, embedder.AsIEmbeddingGenerator().AsEmbedder());
        var foreign = new NoMetadataGenerator();
        Assert.Same(foreign, foreign.AsEmbedder(7).AsIEmbeddingGenerator());
        Assert.NotSame(foreign, foreign.AsEmbedder(7).AsIEmbeddingGenerator("renamed"));
        Assert.Throws<ArgumentException>(() => new NoMetadataGenerator().AsEmbedder());
        Assert.Equal(7, new NoMetadataGenerator().AsEmbedder(7).Dimension);

        var images = new FakeImageEmbedder();
        Assert.Same(images, images.AsIEmbeddingGenerator().AsEmbedder());
    }

    [SharedDataFact]
    public async Task An_image_embedder_embeds_a_jpeg_DataContent_as_it_embeds_the_file()
    {
        string path = Path.Combine(SharedData.Folder!, "datasets", "pascal-sentences", "dataset", "cat", "2008_001335.jpg");
        using var embedder = new OnnxImageEmbedder(ImageModels.MobileNetV2(SharedData.MobileNetV2Path));
        IEmbeddingGenerator<DataContent, Embedding<float>> generator = embedder.AsIEmbeddingGenerator();

        float[] expected = await embedder.EmbedAsync(ImageInput.FromFile(path));
        var jpeg = new DataContent(await File.ReadAllBytesAsync(path), "image/jpeg");
        var embeddings = await generator.GenerateAsync([jpeg, await DataContent.LoadFromAsync(path)]);
        Assert.Equal(expected, embeddings[0].Vector.ToArray());
        Assert.Equal(expected, embeddings[1].Vector.ToArray());
        Assert.Equal(1280, generator.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelDimensions);

        // A corrupt image fails naming the content (its Name when set).
        var broken = new DataContent(new byte[] { 0xFF, 0xD8, 0xFF, 0 }, "image/jpeg") { Name = "broken.jpg" };
        var e = await Assert.ThrowsAsync<EmbeddingBatchException>(() => generator.GenerateAsync([jpeg, broken]));
        Assert.Equal(1, Assert.Single(e.Failures).Index);
        Assert.Contains("broken.jpg", e.Message);
    }

    [Fact]
    public async Task A_non_image_DataContent_is_refused_naming_its_media_type()
    {
        var fake = new FakeImageEmbedder();
        var generator = fake.AsIEmbeddingGenerator();
        var text = new DataContent("hello"u8.ToArray(), "text/plain");
        var e = await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateAsync([text]));
        Assert.Contains("text/plain", e.Message);
        Assert.Equal(0, fake.Calls);
    }

    [Fact]
    public async Task An_image_generator_becomes_an_image_embedder_that_sends_DataContent_with_the_media_type()
    {
        using var tmp = new TempFolder();
        string jpeg = tmp.Path("a.jpg");
        File.WriteAllBytes(jpeg, [0xFF, 0xD8, 0xFF, 0xE0, 1, 2]);
        var png = ImageInput.FromBytes(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 9 }, "in memory");
        var seen = new ForeignImageGenerator();
        IEmbedder<ImageInput> embedder = seen.AsEmbedder(2);

        var results = await embedder.EmbedBatchAsync([ImageInput.FromFile(jpeg), png, ImageInput.FromFile(tmp.Path("missing.jpg"))]);
        Assert.Equal([6f, 0f], results[0].Vector!);
        Assert.Equal([5f, 0f], results[1].Vector!);
        Assert.False(results[2].Succeeded);
        Assert.Contains("missing.jpg", results[2].Error!.Message);
        Assert.Equal(["image/jpeg", "image/png"], seen.MediaTypes);
        Assert.Equal([jpeg, "in memory"], seen.Names);
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

    /// <summary>Hides that a generator came from ImageSearch, so AsEmbedder must wrap it rather than unwrap it.</summary>
    private sealed class ForeignGenerator<T>(IEmbeddingGenerator<T, Embedding<float>> inner) : IEmbeddingGenerator<T, Embedding<float>>
    {
        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<T> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
            => inner.GenerateAsync(values, options, cancellationToken);

        public object? GetService(Type serviceType, object? serviceKey = null)
            => serviceType == typeof(EmbeddingGeneratorMetadata) ? inner.GetService(serviceType, serviceKey) : null;

        public void Dispose() => inner.Dispose();
    }

    /// <summary>Embeds image content as [byte count, 0] and records what it was sent.</summary>
    private sealed class ForeignImageGenerator : IEmbeddingGenerator<DataContent, Embedding<float>>
    {
        public List<string> MediaTypes { get; } = [];

        public List<string?> Names { get; } = [];

        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<DataContent> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            var result = new GeneratedEmbeddings<Embedding<float>>();
            foreach (DataContent c in values)
            {
                MediaTypes.Add(c.MediaType);
                Names.Add(c.Name);
                result.Add(new Embedding<float>(new[] { (float)c.Data.Length, 0f }));
            }

            return Task.FromResult(result);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
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
