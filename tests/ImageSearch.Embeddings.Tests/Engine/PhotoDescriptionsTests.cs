using System.Text;

namespace ImageSearch.Embeddings.Tests.Engine;

/// <summary>Where a photo's description comes from, in order, and what malformed files do.</summary>
public sealed class PhotoDescriptionsTests
{
    [Fact]
    public void Given_mapping_then_sidecars_then_mapping_files_up_to_the_root()
    {
        using var tmp = new TempFolder();
        tmp.Write("p/cats/a.jpg", "x");
        tmp.Write("p/cats/a.jpg.txt", "  a cat on a sofa \n");
        tmp.Write("p/cats/a.txt", "not used: photo.jpg.txt comes first");
        tmp.Write("p/cats/b.jpg", "x");
        tmp.Write("p/cats/b.txt", "b's sidecar");
        tmp.Write("p/cats/c.jpg", "x");
        tmp.Write("p/cats/descriptions.tsv", "# comment\n\nc.jpg\tfirst caption\r\nc.jpg\tsecond caption\n");
        tmp.Write("p/dogs/d.jpg", "x");
        tmp.Write("p/descriptions.tsv", "dogs/d.jpg\ta dog in the snow\n");
        tmp.Write("p/dogs/e.jpg", "x");

        var d = new PhotoDescriptions(tmp.Path("p"));
        Assert.Equal("a cat on a sofa", d.Get(tmp.Path("p/cats/a.jpg")));
        Assert.Equal("b's sidecar", d.Get(tmp.Path("p/cats/b.jpg")));
        Assert.Equal("first caption\nsecond caption", d.Get(tmp.Path("p/cats/c.jpg")));
        Assert.Equal("a dog in the snow", d.Get(tmp.Path("p/dogs/d.jpg")));
        Assert.Null(d.Get(tmp.Path("p/dogs/e.jpg")));

        var given = new PhotoDescriptions(tmp.Path("p"), new Dictionary<string, string> { [tmp.Path("p/cats/a.jpg")] = "given in code" });
        Assert.Equal("given in code", given.Get(tmp.Path("p/cats/a.jpg")));

        // Without a root only the photo's own folder's mapping file is read.
        Assert.Null(new PhotoDescriptions().Get(tmp.Path("p/dogs/d.jpg")));
    }

    [Theory]
    [InlineData("no tab on this line\n")]
    [InlineData("\tempty name\n")]
    public void A_malformed_mapping_line_is_refused_with_its_number(string text)
    {
        var e = Assert.Throws<InvalidDataException>(() => PhotoDescriptions.ReadMapping(new MemoryStream(Encoding.UTF8.GetBytes("ok.jpg\tfine\n" + text))));
        Assert.Contains("line 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_is_refused_and_long_text_is_cut()
    {
        Assert.Throws<InvalidDataException>(() => PhotoDescriptions.ReadMapping(new MemoryStream([(byte)'a', (byte)'\t', 0xC3, 0x28])));
        var map = PhotoDescriptions.ReadMapping(new MemoryStream(Encoding.UTF8.GetBytes("\uFEFFa.jpg\t" + new string('w', PhotoDescriptions.MaxLength + 10))));
        Assert.Equal(PhotoDescriptions.MaxLength, map["a.jpg"].Length);

        using var tmp = new TempFolder();
        tmp.Write("p/a.jpg", "x");
        File.WriteAllBytes(tmp.Path("p/a.jpg.txt"), [0xFF, 0xFE, 0x00]);
        var e = Assert.Throws<InvalidDataException>(() => new PhotoDescriptions(tmp.Path("p")).Get(tmp.Path("p/a.jpg")));
        Assert.Contains("a.jpg.txt", e.Message, StringComparison.Ordinal);
    }
}
