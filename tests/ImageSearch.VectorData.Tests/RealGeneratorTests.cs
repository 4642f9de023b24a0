using ImageSearch.Evaluation;
using Microsoft.Extensions.AI;

namespace ImageSearch.VectorData.Tests;

/// <summary>The checkout's data: the shared Pascal photos and the fetched GloVe (tests needing them are skipped, saying why, when absent).</summary>
internal static class RepositoryFiles
{
    public static readonly RepositoryData? Data = RepositoryData.Find(typeof(RepositoryFiles).Assembly);

    public static string? PhotosMissing { get; } = Data?.PascalDatasetFolder is null
        ? $"the shared Pascal Sentences photos were not found (set {RepositoryData.SharedVariable} or put shared/ beside the checkout)"
        : null;

    public static string? GloveMissing { get; } = Data is { HasGlove: true } ? null : "GloVe is not fetched into .cache/glove (run scripts/fetch-glove.sh)";
}

public sealed class PascalPhotosFactAttribute : FactAttribute
{
    public PascalPhotosFactAttribute()
    {
        if (RepositoryFiles.PhotosMissing is { } reason)
        {
            Skip = "Needs the shared data: " + reason;
        }
    }
}

public sealed class GloveFactAttribute : FactAttribute
{
    public GloveFactAttribute()
    {
        if (RepositoryFiles.GloveMissing is { } reason)
        {
            Skip = "Needs GloVe: " + reason;
        }
    }
}

public sealed class PhotoRecord
{
    public string Path { get; set; } = "";

    public string Label { get; set; } = "";

    public DataContent? Photo { get; set; }
}

public sealed class CaptionRecord
{
    [VectorStoreKey]
    public int Id { get; set; }

    [VectorStoreData]
    public string Text { get; set; } = "";

    [VectorStoreVector(100)] // GloVe 6B 100-d; cosine similarity, HNSW (the defaults)
    public string? Embedding { get; set; }
}

/// <summary>ImageSearch.Embeddings' own embedders as the store's generators: MobileNetV2 on photos as <see cref="DataContent"/>, GloVe on captions.</summary>
public sealed class RealGeneratorTests
{
    [PascalPhotosFact]
    public async Task MobileNetV2_embeds_photos_given_as_DataContent_and_scores_them_as_its_own_vectors()
    {
        string folder = RepositoryFiles.Data!.PascalDatasetFolder!;
        string[] photos = new[] { "dog", "cat", "bus" }
            .SelectMany(label => Directory.GetFiles(Path.Combine(folder, label), "*.jpg").Order(StringComparer.Ordinal).Take(2))
            .ToArray();
        using var embedder = new OnnxImageEmbedder(ImageModels.MobileNetV2());
        using IEmbeddingGenerator<DataContent, Embedding<float>> generator = embedder.AsIEmbeddingGenerator();
        var definition = new VectorStoreCollectionDefinition
        {
            EmbeddingGenerator = generator,
            Properties =
            [
                new VectorStoreKeyProperty(nameof(PhotoRecord.Path), typeof(string)),
                new VectorStoreDataProperty(nameof(PhotoRecord.Label), typeof(string)),
                new VectorStoreVectorProperty(nameof(PhotoRecord.Photo), typeof(DataContent), embedder.Dimension) { IndexKind = IndexKind.Flat },
            ],
        };
        using var store = new ImageSearchVectorStore();
        var collection = store.GetCollection<string, PhotoRecord>("photos", definition);
        await collection.EnsureCollectionExistsAsync();
        await collection.UpsertAsync(photos.Select(p => new PhotoRecord { Path = p, Label = Label(p), Photo = Jpeg(p) }));

        // The reference: the embedder's own vectors of the same files, compared by cosine in double precision.
        float[][] direct = await Task.WhenAll(photos.Select(p => embedder.EmbedAsync(ImageInput.FromFile(p))));
        for (int i = 0; i < photos.Length; i++)
        {
            var hits = await collection.SearchAsync(Jpeg(photos[i]), photos.Length).ToListAsync();
            Assert.Equal(photos[i], hits[0].Record.Path);
            Assert.Equal(1, hits[0].Score!.Value, 1e-4);
            Assert.Equal(photos.Length, hits.Count);
            foreach (var hit in hits)
            {
                Assert.Equal(Reference.Score(DistanceFunction.CosineSimilarity, direct[i], direct[Array.IndexOf(photos, hit.Record.Path)]), hit.Score!.Value, 1e-4);
            }

            string label = Label(photos[i]);
            var others = await collection.SearchAsync(Jpeg(photos[i]), 10, new() { Filter = r => r.Label != label }).ToListAsync();
            Assert.Equal(photos.Count(p => Label(p) != label), others.Count);
            Assert.DoesNotContain(others, h => h.Record.Label == label);
        }
    }

    [GloveFact]
    public async Task GloVe_embeds_captions_and_finds_them_by_other_words()
    {
        WordVectors glove = await Glove.OpenAsync(RepositoryFiles.Data!.GloveFolder);
        var words = new WordEmbedder(glove, TermCombination.Average, UnknownWordPolicy.Skip);
        string[] captions = ["a black dog runs on the grass", "a cat sleeps on a sofa", "a red bus in the street", "a sailing boat on the sea", "an airplane in the sky"];
        using var store = new ImageSearchVectorStore(new ImageSearchVectorStoreOptions { EmbeddingGenerator = words.AsIEmbeddingGenerator() });
        var collection = store.GetCollection<int, CaptionRecord>("captions");
        await collection.EnsureCollectionExistsAsync();
        await collection.UpsertAsync(captions.Select((c, i) => new CaptionRecord { Id = i, Text = c, Embedding = c }));

        foreach (var (query, expected) in new[] { ("dog", 0), ("cat", 1), ("ship", 3), ("aircraft", 4), ("traffic", 2) })
        {
            var hits = await collection.SearchAsync(query, captions.Length).ToListAsync();
            Assert.Equal(expected, hits[0].Record.Id);
            float[] q = words.Embed(query);
            Assert.All(hits, h => Assert.Equal(Reference.Score(DistanceFunction.CosineSimilarity, q, words.Embed(h.Record.Text)), h.Score!.Value, 1e-4));
        }
    }

    private static string Label(string photo) => Path.GetFileName(Path.GetDirectoryName(photo)!);

    private static DataContent Jpeg(string path) => new(File.ReadAllBytes(path), "image/jpeg");
}
