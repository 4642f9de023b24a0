using Microsoft.ML.OnnxRuntime;
using ImageSearch.Embeddings.Tests.Images;
using ImageSearch.Embeddings.Tests.Words;

namespace ImageSearch.Embeddings.Tests.Engine;

/// <summary>
/// A head trained by the engine behaves the same outside it: engine tags, <see cref="DeviseEmbedder"/> + the tag path,
/// and the exported ONNX model + the tag path give the same tags for the same real photos. (The engine used to train on
/// unit-length features through a wrapper the head did not record, so the other two gave other tags.)
/// </summary>
public sealed class EngineDeviseConsistencyTests(GloveFixture glove) : IClassFixture<GloveFixture>
{
    private static readonly string[] Classes = ["cat", "dog", "bus", "bird"];
    private const int TagVocabulary = 20_000;

    private static string Dataset => Path.Combine(SharedData.Folder!, "datasets", "pascal-sentences", "dataset");

    /// <summary>Copies <paramref name="perClass"/> photos of each class into tmp/p/&lt;class&gt;; returns two other photos per class as queries.</summary>
    private static ImageInput[] CopyPhotos(TempFolder tmp, int perClass)
    {
        var queries = new List<string>();
        foreach (string c in Classes)
        {
            string[] all = Directory.GetFiles(Path.Combine(Dataset, c), "*.jpg").Order(StringComparer.Ordinal).ToArray();
            Directory.CreateDirectory(tmp.Path("p", c));
            foreach (string f in all.Take(perClass))
            {
                File.Copy(f, tmp.Path("p", c, Path.GetFileName(f)));
            }

            queries.AddRange(all.Skip(perClass).Take(2));
        }

        return [.. queries.Select(ImageInput.FromFile)];
    }

    private static string[] Words(ImageTags tags) => tags.Tags.Select(t => t.Word).ToArray();

    [PhotosAndGloveFact]
    public async Task Single_view_head_gives_the_same_tags_in_the_engine_through_DeviseEmbedder_and_as_ONNX()
    {
        using var tmp = new TempFolder();
        ImageInput[] queries = CopyPhotos(tmp, perClass: 8);
        var options = new ImageSearchEngineOptions { Words = glove.Vectors, TagVocabulary = TagVocabulary, UseDeviseViews = false };
        using var engine = ImageSearchEngine.Create(ImageModelSpec.ResNet18, options);
        await engine.SyncFolderAsync(tmp.Path("p"));
        await engine.TrainDeviseAsync(new DeviseTrainingOptions { Epochs = 15, HiddenSize = 256, BatchSize = 16 });
        DeviseHead head = engine.DeviseHead!;
        Assert.Equal(DeviseInputNormalization.L2, head.InputNormalization); // trained on the index's unit-length vectors

        // Saved and loaded, the head keeps its normalisation.
        using var stream = new MemoryStream();
        head.Save(stream);
        stream.Position = 0;
        head = DeviseHead.Load(stream);
        Assert.Equal(DeviseInputNormalization.L2, head.InputNormalization);

        var backbone = (OnnxImageEmbedder)engine.Embedder;
        var devise = new DeviseEmbedder(backbone, head);
        var tagger = new DeviseTagger(glove.Vectors, TagVocabulary);
        using var onnx = new MemoryStream();
        devise.ExportOnnx(onnx);
        using var session = new InferenceSession(onnx.ToArray());

        int len = backbone.InputTensorLength;
        var pixels = new float[queries.Length * len];
        for (int i = 0; i < queries.Length; i++)
        {
            backbone.Preprocess(queries[i], pixels.AsSpan(i * len, len));
        }

        var d = backbone.Descriptor;
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [queries.Length, 3, d.InputHeight, d.InputWidth]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [d.InputName], [input], [DeviseOnnxExportOptions.DefaultOutputName]);
        ImageTags[] onnxTags = tagger.TagBatch(outputs[0].GetTensorDataAsSpan<float>(), 5);

        int differentFromRawFeatures = 0;
        for (int i = 0; i < queries.Length; i++)
        {
            string[] inEngine = (await engine.TagsAsync(queries[i], 5)).Select(h => h.Payload).ToArray();
            string[] outside = Words(tagger.Tag(await devise.EmbedAsync(queries[i]), 5));
            Assert.Equal(inEngine, outside);
            Assert.Equal(inEngine, Words(onnxTags[i]));

            // The recorded normalisation matters: the same weights on raw features tag differently.
            float[] raw = head.WithInputNormalization(DeviseInputNormalization.None).Embed(await backbone.EmbedAsync(queries[i]));
            if (!inEngine.SequenceEqual(Words(tagger.Tag(raw, 5))))
            {
                differentFromRawFeatures++;
            }
        }

        Assert.True(differentFromRawFeatures > 0, "raw features give the same tags, so this test would not catch a lost normalisation");
    }

    [PhotosAndGloveFact]
    public async Task Default_views_head_gives_the_same_tags_in_the_engine_and_through_a_view_averaging_DeviseEmbedder()
    {
        using var tmp = new TempFolder();
        ImageInput[] queries = CopyPhotos(tmp, perClass: 4)[..4];
        var options = new ImageSearchEngineOptions { Words = glove.Vectors, TagVocabulary = TagVocabulary };
        string dir = tmp.Path("index");
        var engineTags = new List<string[]>();
        using (var engine = ImageSearchEngine.Create(ImageModelSpec.ResNet18, options))
        {
            await engine.SyncFolderAsync(tmp.Path("p"));
            Assert.Equal(20, engine.DefaultDeviseTrainingOptions.Epochs);
            var summary = await engine.TrainDeviseAsync(engine.DefaultDeviseTrainingOptions with { Epochs = 4, HiddenSize = 128, BatchSize = 16 });
            Assert.Equal(16, summary.TrainingPhotos);
            DeviseHead head = engine.DeviseHead!;
            Assert.Equal(DeviseInputNormalization.None, head.InputNormalization); // the measured setting: raw features, four views
            Assert.NotSame(engine.Embedder, engine.DeviseEmbedder!.Backbone);

            var backbone = (OnnxImageEmbedder)engine.Embedder;
            using var mirror = new OnnxImageEmbedder(DeviseViews.Mirror(backbone.Descriptor));
            using var stretch = new OnnxImageEmbedder(DeviseViews.Stretch(backbone.Descriptor));
            using var both = new OnnxImageEmbedder(DeviseViews.Mirror(DeviseViews.Stretch(backbone.Descriptor)));
            var devise = new DeviseEmbedder(new ViewAveragingEmbedder([backbone, mirror, stretch, both]), head);
            var tagger = new DeviseTagger(glove.Vectors, TagVocabulary);
            foreach (ImageInput q in queries)
            {
                string[] inEngine = (await engine.TagsAsync(q, 5)).Select(h => h.Payload).ToArray();
                Assert.Equal(inEngine, Words(tagger.Tag(await devise.EmbedAsync(q), 5)));
                engineTags.Add(inEngine);
            }

            // A photo synced after training gets the view-averaged vector: searching with it finds it first.
            File.Copy(queries[0].FilePath!, tmp.Path("p", "cat", "later.jpg"));
            await engine.SyncFolderAsync(tmp.Path("p"));
            Assert.True(engine.TryGetKey(tmp.Path("p", "cat", "later.jpg"), out long key));
            Assert.Equal(key, engine.DeviseIndex!.Search(await devise.EmbedAsync(queries[0]), 1)[0].Key);
            await engine.SaveAsync(dir);
        }

        using var reopened = await ImageSearchEngine.OpenAsync(dir, ImageModelSpec.ResNet18, options);
        for (int i = 0; i < queries.Length; i++)
        {
            Assert.Equal(engineTags[i], (await reopened.TagsAsync(queries[i], 5)).Select(h => h.Payload).ToArray());
        }
    }
}

/// <summary>A fact skipped, with the reason, unless the shared photos and models and the fetched GloVe are present.</summary>
public sealed class PhotosAndGloveFactAttribute : FactAttribute
{
    public PhotosAndGloveFactAttribute()
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
