using Microsoft.Extensions.AI;

namespace ImageSearch.VectorData.Tests.Readme;

/// <summary>A photo record of the README example: the image vector is generated from <see cref="Image"/>.</summary>
public sealed class Photo
{
    public string Path { get; set; } = "";

    public string Class { get; set; } = "";

    public DataContent? Image { get; set; }
}

/// <summary>
/// The README's VectorData example, compiled and run on the shared Pascal photos. The region between
/// "// README:vectordata" and "// END" appears verbatim in README.md (checked by ImageSearch.Tests' ReadmeSync).
/// </summary>
public sealed class ReadmeVectorDataExamples : IDisposable
{
    private readonly string _storeFolder = Path.Combine(Path.GetTempPath(), "isvd-readme-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_storeFolder))
        {
            Directory.Delete(_storeFolder, recursive: true);
        }
    }

    [PascalPhotosFact]
    public async Task PhotosThroughVectorData()
    {
        string storeFolder = _storeFolder;
        string[] paths = new[] { "dog", "cat", "horse" }
            .SelectMany(c => Directory.GetFiles(Path.Combine(RepositoryFiles.Data!.PascalDatasetFolder!, c), "*.jpg").Order(StringComparer.Ordinal).Take(4))
            .ToArray();
        string dogPhoto = paths[0];

        // README:vectordata
        using var images = new OnnxImageEmbedder(ImageModels.MobileNetV2());
        VectorStore store = new ImageSearchVectorStore(storeFolder);   // the one line another connector would change
        var photos = store.GetCollection<string, Photo>("photos", new VectorStoreCollectionDefinition
        {
            Properties =
            [
                new VectorStoreKeyProperty(nameof(Photo.Path), typeof(string)),
                new VectorStoreDataProperty(nameof(Photo.Class), typeof(string)),
                new VectorStoreVectorProperty(nameof(Photo.Image), typeof(DataContent), images.Dimension)
                    { EmbeddingGenerator = images.AsIEmbeddingGenerator() },   // MobileNetV2 embeds each photo on upsert
            ],
        });
        await photos.EnsureCollectionExistsAsync();
        await photos.UpsertAsync(paths.Select(p => new Photo
        {
            Path = p, Class = Path.GetFileName(Path.GetDirectoryName(p))!, Image = new DataContent(File.ReadAllBytes(p), "image/jpeg"),
        }));

        var notDogs = await photos.SearchAsync(new DataContent(File.ReadAllBytes(dogPhoto), "image/jpeg"), top: 5,
            new() { Filter = p => p.Class != "dog" }).ToListAsync();   // the filter runs inside the HNSW search
        // END

        Assert.Equal(5, notDogs.Count);
        Assert.All(notDogs, h => Assert.NotEqual("dog", h.Record.Class));
        var self = await photos.SearchAsync(new DataContent(File.ReadAllBytes(dogPhoto), "image/jpeg"), top: 1).SingleAsync();
        Assert.Equal(dogPhoto, self.Record.Path);
        store.Dispose();
    }
}
