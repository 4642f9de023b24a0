using ImageSearch.Embeddings.Tests.Words;

namespace ImageSearch.Embeddings.Tests.Devise;

/// <summary>The general label-to-words rule: as it is, split on separators and camelCase, segmented by dynamic programming.</summary>
public class LabelWordMapTests
{
    // Vocabulary in frequency order (rank = position). Short pieces ("t", "v", "din", "ing", "pot", "ted") make
    // segmentations with more words possible, so "fewest words" is what picks the right one.
    private static WordVectors Vocabulary(params string[] words)
    {
        var values = new float[words.Length * 2];
        for (int i = 0; i < words.Length; i++) (values[2 * i], values[(2 * i) + 1]) = (i + 1, 1);
        return WordVectors.Create(words, 2, values);
    }

    private static readonly WordVectors Small = Vocabulary(
        "the", "a", "t", "v", "table", "tv", "plant", "din", "ing", "pot", "ted", "dining", "monitor", "potted", "sofa", "cat");

    private static string[] Words(string label, WordVectors? vocabulary = null, LabelWordMap? map = null)
        => [.. (map ?? LabelWordMap.Default).Map(label, vocabulary ?? Small).Words];

    [Fact]
    public void A_label_that_is_a_word_is_used_as_it_is_case_insensitively()
    {
        Assert.Equal(["sofa"], Words("sofa"));
        Assert.Equal(["sofa"], Words("Sofa"));
        Assert.Equal(["cat"], Words("CAT"));
    }

    [Theory]
    [InlineData("diningtable", "dining table")]
    [InlineData("tvmonitor", "tv monitor")]
    [InlineData("pottedplant", "potted plant")]
    [InlineData("dining_table", "dining table")]
    [InlineData("dining-table", "dining table")]
    [InlineData("Dining Table", "dining table")]
    [InlineData("diningTable", "dining table")]
    [InlineData("TVMonitor", "tv monitor")]
    [InlineData("potted_catsofa", "potted cat sofa")]
    public void Other_labels_are_split_then_segmented_into_the_fewest_known_words(string label, string expected)
        => Assert.Equal(expected.Split(' '), Words(label));

    [Fact]
    public void Among_splits_with_as_few_words_the_more_frequent_words_win()
    {
        // "penisland": "pen island" and "penis land" both have two words; frequency decides.
        Assert.Equal(["pen", "island"], Words("penisland", Vocabulary("the", "pen", "island", "penis", "land")));
        Assert.Equal(["penis", "land"], Words("penisland", Vocabulary("the", "penis", "land", "pen", "island")));
    }

    [Fact]
    public void A_label_in_the_vocabulary_is_not_segmented()
        => Assert.Equal(["diningtable"], Words("diningtable", Vocabulary("dining", "table", "diningtable")));

    [Fact]
    public void A_user_map_overrides_the_general_rule()
    {
        var map = new LabelWordMap(new Dictionary<string, string[]> { ["DiningTable"] = ["table"], ["kitty"] = ["cat"] });
        Assert.Equal(["table"], Words("diningtable", map: map));
        Assert.Equal(["cat"], Words("kitty", map: map));
        Assert.Equal(["tv", "monitor"], Words("tvmonitor", map: map));
    }

    [Fact]
    public void A_label_that_cannot_be_covered_by_known_words_names_itself_and_the_fix()
    {
        var e = Assert.Throws<ArgumentException>(() => Words("zebracrossing"));
        Assert.Contains("'zebracrossing'", e.Message);
        Assert.Contains("LabelWordMap", e.Message);
        Assert.Equal("label", e.ParamName);
        Assert.Throws<ArgumentException>(() => Words("potted_zebra"));
    }

    [Fact]
    public void The_target_is_the_mean_of_the_words_vectors()
    {
        var mapped = LabelWordMap.Default.Map("tvmonitor", Small);
        float[] tv = Small.GetVector("tv").ToArray(), monitor = Small.GetVector("monitor").ToArray();
        Assert.Equal([(tv[0] + monitor[0]) / 2, (tv[1] + monitor[1]) / 2], mapped.Vector);
    }
}

/// <summary>The general rule on the real GloVe maps all 20 Pascal VOC labels as the evaluation's old Pascal map did.</summary>
public class LabelWordMapGloveTests(GloveFixture glove) : IClassFixture<GloveFixture>
{
    [GloveFact]
    public void The_twenty_Pascal_labels()
    {
        string[] labels =
        [
            "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
            "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
        ];
        var mapped = LabelWordMap.Default.MapAll(labels, glove.Vectors).ToDictionary(m => m.Label, m => string.Join(' ', m.Words));
        Assert.Equal("dining table", mapped["diningtable"]);
        Assert.Equal("potted plant", mapped["pottedplant"]);
        Assert.Equal("tv monitor", mapped["tvmonitor"]);
        foreach (string label in labels.Except(["diningtable", "pottedplant", "tvmonitor"]))
        {
            Assert.Equal(label, mapped[label]);
        }
    }
}
