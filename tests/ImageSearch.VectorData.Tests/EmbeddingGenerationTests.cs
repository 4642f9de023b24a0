using Microsoft.Extensions.AI;

namespace ImageSearch.VectorData.Tests;

public sealed class Caption
{
    [VectorStoreKey]
    public string Id { get; set; } = "";

    [VectorStoreData]
    public string Text { get; set; } = "";

    [VectorStoreVector(Row.Dimensions, DistanceFunction = DistanceFunction.EuclideanSquaredDistance, IndexKind = IndexKind.Flat)]
    public string? Embedding { get; set; }
}

public sealed class TwoVectors
{
    [VectorStoreKey]
    public int Id { get; set; }

    [VectorStoreVector(Row.Dimensions, DistanceFunction = DistanceFunction.EuclideanSquaredDistance, IndexKind = IndexKind.Flat)]
    public ReadOnlyMemory<float> A { get; set; }

    [VectorStoreVector(2, DistanceFunction = DistanceFunction.EuclideanSquaredDistance, IndexKind = IndexKind.Hnsw)]
    public float[]? B { get; set; }
}

/// <summary>Embedding generation through the abstractions (store, definition and property level), and several vectors per record.</summary>
public sealed class EmbeddingGenerationTests
{
    private static readonly string[] Texts = ["a cat on a sofa", "two dogs in a park", "a red bus", "boats at sea", "zzz"];

    [Fact]
    public async Task A_string_vector_property_is_embedded_by_the_store_generator_in_one_batch_and_searched_by_text()
    {
        var generator = new LetterEmbeddingGenerator();
        using var store = new ImageSearchVectorStore(new ImageSearchVectorStoreOptions { EmbeddingGenerator = generator });
        var collection = store.GetCollection<string, Caption>("captions");
        await collection.EnsureCollectionExistsAsync();
        await collection.UpsertAsync(Texts.Select((t, i) => new Caption { Id = "c" + i, Text = t, Embedding = t }));
        Assert.Equal(1, generator.Calls);

        var hits = await collection.SearchAsync("a red bus", 2).ToListAsync();
        Assert.Equal("c2", hits[0].Record.Id);
        Assert.Equal(0, hits[0].Score!.Value, 1e-6);
        Assert.Null(hits[0].Record.Embedding); // the source text is not stored
        await Assert.ThrowsAsync<NotSupportedException>(() => collection.GetAsync("c1", new RecordRetrievalOptions { IncludeVectors = true }));

        // The brute-force order of the generated vectors.
        float[] q = LetterEmbeddingGenerator.Embed("boats");
        var expected = Reference.Top(Texts.Select((t, i) => new Row(i, t, 0, null, false, [], default, LetterEmbeddingGenerator.Embed(t))), q, DistanceFunction.EuclideanSquaredDistance, 5);
        Assert.Equal(expected.Select(e => "c" + e.Index), await collection.SearchAsync("boats", 5).Select(h => h.Record.Id).ToListAsync());
    }

    [Fact]
    public async Task Generators_on_the_definition_and_on_the_property_are_used_and_without_one_text_is_refused()
    {
        using var store = new ImageSearchVectorStore();
        var onProperty = new LetterEmbeddingGenerator();
        var definition = new VectorStoreCollectionDefinition
        {
            Properties =
            [
                new VectorStoreKeyProperty("Id", typeof(string)),
                new VectorStoreDataProperty("Text", typeof(string)),
                new VectorStoreVectorProperty("Embedding", typeof(string), Row.Dimensions) { EmbeddingGenerator = onProperty, IndexKind = IndexKind.Flat },
            ],
        };
        var dynamic = store.GetDynamicCollection("dyn", definition);
        await dynamic.EnsureCollectionExistsAsync();
        await dynamic.UpsertAsync(new Dictionary<string, object?> { ["Id"] = "x", ["Text"] = "hello", ["Embedding"] = "hello" });
        Assert.Equal("x", (string)(await dynamic.SearchAsync("hello", 1).SingleAsync()).Record["Id"]!);
        Assert.Equal(2, onProperty.Calls);

        var onDefinition = new LetterEmbeddingGenerator();
        var typed = store.GetCollection<string, Caption>("typed", new VectorStoreCollectionDefinition
        {
            EmbeddingGenerator = onDefinition,
            Properties = [new VectorStoreVectorProperty("Embedding", typeof(string), Row.Dimensions) { DistanceFunction = DistanceFunction.EuclideanSquaredDistance, IndexKind = IndexKind.Flat }],
        });
        await typed.EnsureCollectionExistsAsync();
        await typed.UpsertAsync(new Caption { Id = "y", Text = "boat", Embedding = "boat" });
        Assert.Equal("y", (await typed.SearchAsync("boat", 1).SingleAsync()).Record.Id);
        Assert.Equal(2, onDefinition.Calls);

        var vectors = store.GetCollection<int, TwoVectors>("vectors");
        await vectors.EnsureCollectionExistsAsync();
        await Assert.ThrowsAsync<NotSupportedException>(() => vectors.SearchAsync("text", 1, new() { VectorProperty = r => r.A }).ToListAsync().AsTask());
        Assert.Throws<InvalidOperationException>(() => new ImageSearchVectorStore().GetCollection<string, Caption>("nogen")); // a string vector needs a generator
    }

    [Fact]
    public async Task Each_vector_property_has_its_own_index()
    {
        using var store = new ImageSearchVectorStore();
        var collection = store.GetCollection<int, TwoVectors>("two");
        await collection.EnsureCollectionExistsAsync();
        Row[] rows = Row.Make(50);
        await collection.UpsertAsync(rows.Select(r => new TwoVectors { Id = r.Index, A = r.Vector, B = r.Index % 4 == 0 ? null : [r.Index, 0] }));

        var byA = await collection.SearchAsync(rows[7].Vector, 1, new() { VectorProperty = r => r.A }).SingleAsync();
        Assert.Equal(7, byA.Record.Id);
        var byB = await collection.SearchAsync(new float[] { 8.2f, 0 }, 3, new() { VectorProperty = r => r.B, IncludeVectors = true }).ToListAsync();
        Assert.Equal([9, 7, 10], byB.Select(h => h.Record.Id)); // 8 has no B vector
        Assert.Equal(new float[] { 9f, 0f }, byB[0].Record.B!);
        Assert.Throws<InvalidOperationException>(() => collection.SearchAsync(rows[0].Vector, 1).ToBlockingEnumerable().ToList()); // which vector?
    }

    [Fact]
    public async Task An_empty_Guid_key_is_generated_and_written_back()
    {
        using var store = new ImageSearchVectorStore();
        var collection = store.GetCollection<Guid, AttributedRecord<Guid>>("auto");
        await collection.EnsureCollectionExistsAsync();
        var record = new AttributedRecord<Guid> { Title = "new", Vector = Row.Query(1) };
        await collection.UpsertAsync(record);
        Assert.NotEqual(Guid.Empty, record.Id);
        Assert.Equal("new", (await collection.GetAsync(record.Id))!.Title);
    }
}
