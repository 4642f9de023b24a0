using System.Numerics.Tensors;

namespace ImageSearch.Embeddings.Tests.Devise;

/// <summary>Targets from a label and a description: stop, unknown and rare words dropped, weights, label share.</summary>
public class DescriptionTargetsTests
{
    // Orthogonal-ish words so a target's components can be read back with dot products.
    private static readonly WordVectors Words = WordVectors.Create(
        ["cat", "sofa", "street", "red", "the"], 5,
        [2, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 1]);

    private static readonly MappedLabel Cat = new("cat", ["cat"], [2, 0, 0, 0, 0]);

    [Fact]
    public void Stop_words_unknown_words_and_words_of_one_photo_are_dropped()
    {
        var t = new DescriptionTargets(Words, ["The cat on the sofa, zzyzx.", "A sofa in the street.", "red", null]);
        var words = t.WeighWords("The cat on the sofa, zzyzx.");
        // "the"/"on": stop words; "zzyzx": no vector; "cat": in one description only (MinPhotos 2); "red": one photo too.
        Assert.Equal(["sofa"], words.Select(w => w.Key));
        Assert.Equal(1f, words[0].Value, 6);
        Assert.Equal(["sofa"], t.Vocabulary);
        Assert.Equal(4, t.PhotoCount);
        Assert.Empty(t.WeighWords(null));
    }

    [Fact]
    public void Idf_weighs_rare_words_up_and_frequency_counts_repeats()
    {
        string[] texts = ["sofa street street", "sofa cat", "sofa street", "cat"];
        var idf = new DescriptionTargets(Words, texts).WeighWords("sofa street street");
        // sofa in 3 of 4 photos (ln 4/3), street in 2 (ln 2) and said twice.
        double sofa = Math.Log(4 / 3.0), street = 2 * Math.Log(2);
        Assert.Equal("street", idf[0].Key);
        Assert.Equal(street / (sofa + street), idf[0].Value, 5);
        var freq = new DescriptionTargets(Words, texts, new DescriptionTargetOptions { Weighting = DescriptionWordWeighting.Frequency }).WeighWords("sofa street street");
        Assert.Equal(2 / 3.0, freq.Single(w => w.Key == "street").Value, 5);
        var uniform = new DescriptionTargets(Words, texts, new DescriptionTargetOptions { Weighting = DescriptionWordWeighting.Uniform }).WeighWords("sofa street street");
        Assert.All(uniform, w => Assert.Equal(0.5f, w.Value, 6));
    }

    [Fact]
    public void The_target_is_the_label_share_plus_the_weighted_unit_word_vectors()
    {
        var t = new DescriptionTargets(Words, ["sofa street", "sofa street"], new DescriptionTargetOptions { LabelWeight = 0.4f, Weighting = DescriptionWordWeighting.Uniform });
        float[] target = t.Target(Cat, "a sofa in the street")!;
        Assert.Equal([0.4f, 0.3f, 0.3f, 0f, 0f], target.Select(v => MathF.Round(v, 5)));

        // Only a label: all of it on the label (unit length); only words: all on the words; neither: null.
        Assert.Equal([1f, 0f, 0f, 0f, 0f], t.Target(Cat, "nothing known here")!);
        Assert.Equal(1f, TensorPrimitives.Sum(t.Target(null, "sofa street")!), 5);
        Assert.Null(t.Target(null, "zzyzx"));
        Assert.Null(t.Target(null, null));
    }

    [Fact]
    public void Bad_options_and_mismatched_labels_are_refused()
    {
        Assert.Equal("LabelWeight", Assert.Throws<ArgumentOutOfRangeException>(() => new DescriptionTargets(Words, [], new DescriptionTargetOptions { LabelWeight = 1.5f })).ParamName);
        Assert.Equal("MinPhotos", Assert.Throws<ArgumentOutOfRangeException>(() => new DescriptionTargets(Words, [], new DescriptionTargetOptions { MinPhotos = 0 })).ParamName);
        var t = new DescriptionTargets(Words, []);
        Assert.Equal("label", Assert.Throws<ArgumentException>(() => t.Target(new MappedLabel("x", ["x"], [1, 2]), "sofa")).ParamName);
    }

    [Fact]
    public void Tokenize_gives_lower_cased_letter_runs()
        => Assert.Equal(["a", "man", "s", "nd", "x", "élan"], DescriptionTargets.Tokenize("A man's 2nd-X, Élan"));
}
