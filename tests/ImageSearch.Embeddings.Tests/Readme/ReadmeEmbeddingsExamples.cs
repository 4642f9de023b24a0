using ImageSearch.Embeddings.Tests.Images;
using ImageSearch.Embeddings.Tests.Words;

namespace ImageSearch.Embeddings.Tests.Readme;

/// <summary>A fact that needs the shared photos and models and the fetched GloVe; skipped, saying which is missing, otherwise.</summary>
public sealed class RealDataFactAttribute : FactAttribute
{
    public RealDataFactAttribute()
    {
        if (SharedData.MissingReason is { } reason)
        {
            Skip = "Needs the shared data: " + reason;
        }
        else if (GloveLocation.Directory is null)
        {
            Skip = GloveLocation.SkipReason;
        }
    }
}

/// <summary>
/// The README's embedding examples, compiled and run on real photos, models and GloVe. The regions between
/// "// README:name" and "// END" appear verbatim in README.md (checked by ImageSearch.Tests' ReadmeSync).
/// </summary>
public class ReadmeEmbeddingsExamples
{
    // The examples' GloVe folder: the checkout's fetched copy, so Glove.OpenOrDownloadAsync never downloads here.
    private static string GloveFolder => GloveLocation.Directory!;

    private static List<string> Photos(params string[] classes)
    {
        PascalDataset pascal = SharedData.Pascal;
        var photos = new List<string>();
        foreach (string c in classes)
        {
            photos.AddRange(pascal.Paths.Where((p, i) => pascal.ClassNames[pascal.Labels[i]] == c).Take(12));
        }

        return photos;
    }

    [RealDataFact]
    public async Task ImagesAndClassWeights()
    {
        IReadOnlyList<string> photos = Photos("cat", "dog", "bottle");

        // README:images
        using var embedder = new OnnxImageEmbedder(ImageModels.MobileNetV2());   // built in; or ImageModels.ResNet18()
        var index = new ExactIndex(embedder.Dimension, DistanceMetric.Cosine);
        IReadOnlyList<EmbeddingResult> embedded = await embedder.EmbedBatchAsync(photos.Select(ImageInput.FromFile).ToArray());
        foreach (EmbeddingResult r in embedded)
        {
            if (r.Succeeded) index.Add(r.Index, r.Vector);
            else Console.Error.WriteLine(r.Error!.Message);   // a corrupt photo is reported, not dropped silently
        }

        float[] query = await embedder.EmbedAsync(ImageInput.FromFile(photos[0]));
        SearchResult[] lookAlikes = index.Search(query, k: 5);

        // Class-weighted: lean the same search toward one ImageNet class of MobileNetV2's own head.
        ClassWeights imageNet = OnnxClassifierHead.MobileNetV2();
        SearchResult[] cats = index.Search(query, k: 5, new SearchOptions { ElementWeights = imageNet.GetWeights("tabby cat") });
        // END

        Assert.Equal(photos.Count, index.Count);
        Assert.Equal(0, lookAlikes[0].Key);
        Assert.Equal(5, cats.Length);
        // The cat-weighted search finds at least as many cats (keys 0-11) as the plain one.
        Assert.True(cats.Count(c => c.Key < 12) >= lookAlikes.Count(c => c.Key < 12) - 1);
    }

    [RealDataFact]
    public async Task Words()
    {
        string gloveFolder = GloveFolder;
        // README:words
        WordVectors glove = await Glove.OpenOrDownloadAsync(gloveFolder);  // the first call downloads GloVe (118 MB) there
        WordNeighbour[] near = glove.NearestWords("king", k: 5);            // prince, queen, monarch, ... with cosine distances
        WordNeighbour[] analogy = glove.NearestWords(
            await new QueryBuilder(glove.Dimension)
                .Add(new WordEmbedder(glove), "king").Subtract(new WordEmbedder(glove), "man").Add(new WordEmbedder(glove), "woman")
                .BuildVectorAsync(),
            k: 3);
        // END

        Assert.Contains(near, n => n.Word == "queen");
        Assert.Contains(analogy, n => n.Word == "queen");
    }

    [RealDataFact]
    public async Task EngineWithDevise()
    {
        string root = Directory.CreateTempSubdirectory("readme-engine").FullName;
        try
        {
            // A labelled folder: the label of a photo is its parent folder's name.
            string photosFolder = Path.Combine(root, "photos"), indexFolder = Path.Combine(root, "index");
            foreach (string p in Photos("cat", "sofa", "dog", "car"))
            {
                string dest = Path.Combine(photosFolder, Path.GetFileName(Path.GetDirectoryName(p))!, Path.GetFileName(p));
                Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
                File.Copy(p, dest);
            }

            string photo = Directory.GetFiles(Path.Combine(photosFolder, "cat"))[0];
            string gloveFolder = GloveFolder;

            // README:engine
            var options = new ImageSearchEngineOptions { GloveDirectory = gloveFolder };   // filled by Glove.DownloadAsync
            await using var engine = await ImageSearchEngine.OpenOrCreateAsync(indexFolder, ImageModelSpec.ResNet18, options);
            SyncReport sync = await engine.SyncFolderAsync(photosFolder);   // re-running only embeds new or changed files
            await engine.TrainDeviseAsync();                                 // photos -> GloVe space, from the folder labels

            var alike = await engine.SimilarAsync(ImageInput.FromFile(photo), k: 5);
            var tags = await engine.TagsAsync(ImageInput.FromFile(photo), k: 5);   // words for a photo
            var catSofa = await engine.SearchWordsAsync(["cat", "sofa"], k: 5);  // photos for words
            await engine.SaveAsync(indexFolder);
            // END

            Assert.Equal(48, sync.Added);
            Assert.Equal(5, alike.Count);
            Assert.Equal(5, tags.Count);
            Assert.Contains(catSofa, h => h.Payload.Label is "cat" or "sofa");
            Assert.True(ImageSearchEngine.Exists(indexFolder));
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }
}
