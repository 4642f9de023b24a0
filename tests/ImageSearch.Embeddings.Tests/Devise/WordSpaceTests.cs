
namespace ImageSearch.Embeddings.Tests.Devise;

/// <summary>Label mapping, tagging and photo search over a tiny hand-made vocabulary.</summary>
public class WordSpaceTests
{
    /// <summary>An in-memory image that the fakes here know by its name only.</summary>
    private static ImageInput Named(string name) => ImageInput.FromBytes(ReadOnlyMemory<byte>.Empty, name);

    // Frequency order matters for the "most frequent" restriction: "the" is rank 0.
    private static readonly WordVectors Words = WordVectors.Create(
        ["the", "dog", "cat", "dining", "table", "plant", "airplane", "beach", "water", "puppy"], 3,
        [
            1, 1, 1,
            1, 0, 0,
            0.9f, 0.3f, 0,
            0, 1, 0,
            0, 1, 0.4f,
            0, 0, 1,
            -1, 0, 0.2f,
            0.2f, -1, 0,
            0, -1, 0.1f,
            0.95f, 0.05f, 0,
        ]);

    [Fact]
    public void Labels_map_to_words_averaging_phrases_and_falling_back()
    {
        var map = new LabelWordMap(new Dictionary<string, string[]> { ["pottedplant"] = ["potted plant", "plant"], ["aeroplane"] = ["aeroplane", "airplane"] });
        var dt = map.Map("diningtable", Words);                          // general rule: segmented
        Assert.Equal(["dining", "table"], dt.Words);
        Assert.Equal([0f, 1f, 0.2f], dt.Vector);
        Assert.Equal(["plant"], map.Map("pottedplant", Words).Words);   // "potted" is unknown: second choice
        Assert.Equal(["airplane"], map.Map("aeroplane", Words).Words);  // "aeroplane" is unknown here
        Assert.Equal(["dog"], map.Map("dog", Words).Words);             // plain word
        Assert.Equal(["dining", "table"], map.Map("dining_table", Words).Words); // separators split
        var ex = Assert.Throws<ArgumentException>(() => map.Map("tvmonitor", Words));
        Assert.Contains("'tvmonitor'", ex.Message);
        Assert.Throws<ArgumentException>(() => map.MapAll(["dog", "zebra"], Words));
        Assert.Throws<ArgumentException>(() => new LabelWordMap(new Dictionary<string, string[]> { ["x"] = [] }));
    }

    [Fact]
    public void Tagger_returns_nearest_words_with_cosine_distances()
    {
        var tagger = new DeviseTagger(Words, mostFrequent: 100);
        Assert.Equal(10, tagger.VocabularySize);
        var tags = tagger.Tag([1f, 0f, 0f], 3);
        Assert.Equal(["dog", "puppy", "cat"], tags.Tags.Select(t => t.Word));
        Assert.Equal(0f, tags.Tags[0].CosineDistance, 5);
        Assert.Equal(1f - 0.95f / MathF.Sqrt(0.95f * 0.95f + 0.05f * 0.05f), tags.Tags[1].CosineDistance, 4);
        Assert.True(tags.Contains("puppy", 2));
        Assert.False(tags.Contains("cat", 2));
        Assert.Equal(1, tags.Tags[0].WordIndex);
    }

    [Fact]
    public void Tagger_vocabulary_can_be_restricted()
    {
        var frequent = new DeviseTagger(Words, mostFrequent: 2); // "the", "dog"
        Assert.Equal(2, frequent.VocabularySize);
        Assert.Equal("dog", frequent.Tag([0.9f, 0.3f, 0f], 1).Tags[0].Word);
        var listed = new DeviseTagger(Words, ["cat", "beach", "cat"]);
        Assert.Equal(2, listed.VocabularySize);
        Assert.Equal("cat", listed.Tag([1f, 0f, 0f], 1).Tags[0].Word);
        var ex = Assert.Throws<UnknownWordException>(() => new DeviseTagger(Words, ["cat", "zebra"]));
        Assert.Equal(["zebra"], ex.Words);
        Assert.Throws<ArgumentException>(() => frequent.Tag([1f, 0f], 1));
        var batch = listed.TagBatch([1f, 0f, 0f, 0.2f, -1f, 0f], 1);
        Assert.Equal(["cat", "beach"], batch.Select(b => b.Tags[0].Word));
    }

    [Fact]
    public void Frequency_vocabulary_keeps_only_words_of_letters_while_a_given_list_is_taken_as_is()
    {
        // The engine used to drop punctuation and numbers itself while DeviseTagger kept them: now both do the same.
        var words = WordVectors.Create([",", "dog", "1990", "a", "cat"], 2, [1, 0, 1, 0.1f, 1, 0.2f, 1, 0.3f, 0, 1]);
        var frequent = new DeviseTagger(words, mostFrequent: 5);
        Assert.Equal(2, frequent.VocabularySize);
        Assert.Equal(["dog", "cat"], frequent.Tag([1f, 0f], 5).Tags.Select(t => t.Word));
        Assert.Equal(",", new DeviseTagger(words, [",", "dog"]).Tag([1f, 0f], 1).Tags[0].Word);
        Assert.True(DeviseTagger.IsWord("tv"));
        Assert.False(DeviseTagger.IsWord("t-shirt"));
    }

    [Fact]
    public void Photos_are_found_by_composed_words()
    {
        var index = new ExactIndex(3, DistanceMetric.Cosine);
        index.Add(10, [1f, 0f, 0f]);     // a dog photo
        index.Add(11, [0.2f, -1f, 0.05f]); // a beach photo
        index.Add(12, [0f, 1f, 0.3f]);   // a table photo
        index.Add(13, [0.7f, -0.7f, 0f]); // dog on a beach
        Assert.Equal(10, index.Search(Words.Compose("dog"), 1)[0].Key);
        Assert.Equal(13, index.Search(Words.Compose(["dog", "beach"]), 1)[0].Key);
        Assert.Equal(13, index.Search(Words.Compose(["dog", "beach"], TermCombination.Sum), 1)[0].Key);
        Assert.Throws<UnknownWordException>(() => Words.Compose(["dog", "zebra"]));
    }

    [Fact]
    public async Task DeviseEmbedder_projects_backbone_features_into_word_space()
    {
        var data = new SyntheticData(3, 10, 4, 3, seed: 30);
        var head = new DeviseTrainer(new DeviseTrainingOptions { HiddenSize = 8, Epochs = 2, BatchSize = 10 })
            .Train(data.Features, data.Targets, 4, 3).Head;
        var backbone = new FakeBackbone(4);
        var e = new DeviseEmbedder(backbone, head);
        Assert.Equal(3, e.Dimension);
        float[] v = await e.EmbedAsync(Named("a"));
        Assert.Equal(head.Embed(FakeBackbone.Features("a", 4)), v);
        Assert.Equal(1f, MathF.Sqrt(v.Sum(x => x * x)), 5);
        var batch = await e.EmbedBatchAsync([Named("a"), Named("bad"), Named("bb")]);
        Assert.True(batch[0].Succeeded);
        Assert.False(batch[1].Succeeded);
        Assert.Equal(head.Embed(FakeBackbone.Features("bb", 4)), batch[2].Vector);
        Assert.Throws<ArgumentException>(() => new DeviseEmbedder(new FakeBackbone(5), head));
    }

    private sealed class FakeBackbone(int dim) : IEmbedder<ImageInput>
    {
        public int Dimension => dim;

        public static float[] Features(string s, int dim)
        {
            var f = new float[dim];
            for (int i = 0; i < dim; i++) f[i] = (s.Length + i) % 3;
            return f;
        }

        public Task<float[]> EmbedAsync(ImageInput input, CancellationToken cancellationToken = default)
            => input.Name == "bad" ? throw new EmbeddingException("bad image") : Task.FromResult(Features(input.Name, dim));

        public async Task<IReadOnlyList<EmbeddingResult>> EmbedBatchAsync(IReadOnlyList<ImageInput> inputs, IProgress<EmbeddingProgress>? progress = null, CancellationToken cancellationToken = default)
        {
            var r = new List<EmbeddingResult>();
            for (int i = 0; i < inputs.Count; i++)
            {
                try { r.Add(new EmbeddingResult(i, await EmbedAsync(inputs[i], cancellationToken), null)); }
                catch (EmbeddingException ex) { r.Add(new EmbeddingResult(i, null, ex)); }
            }
            return r;
        }
    }
}
