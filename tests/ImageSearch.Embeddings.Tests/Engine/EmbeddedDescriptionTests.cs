using System.Text;

namespace ImageSearch.Embeddings.Tests.Engine;

/// <summary>The description embedded in a photo (EXIF ImageDescription, XMP dc:description): the last fallback, bounded, never throwing.</summary>
public sealed class EmbeddedDescriptionTests
{
    private static string? Read(byte[] bytes) => PhotoDescriptions.ReadEmbedded(new MemoryStream(bytes));

    [Fact]
    public void Exif_then_xmp_x_default_or_first_alternative_cleaned()
    {
        Assert.Equal("A red barn in the snow", Read(MetadataJpegs.With(MetadataJpegs.Exif("  A red barn in the snow\0\0 "))));
        Assert.Equal("Tea on the terrace", Read(MetadataJpegs.With(MetadataJpegs.Xmp(("fr", "Th\u00e9 sur la terrasse"), ("x-default", "Tea on the terrace")))));
        Assert.Equal("Th\u00e9 sur la terrasse", Read(MetadataJpegs.With(MetadataJpegs.Xmp(("fr", "Th\u00e9 sur la terrasse"), ("de", "Tee")))));
        // Both: EXIF first.
        Assert.Equal("from exif", Read(MetadataJpegs.With(MetadataJpegs.Exif("from exif"), MetadataJpegs.Xmp(("x-default", "from xmp")))));
        // EXIF UTF-8 text.
        Assert.Equal("\u00e9t\u00e9 \u00e0 la plage", Read(MetadataJpegs.With(MetadataJpegs.Exif("\u00e9t\u00e9 \u00e0 la plage"))));
        // A plain dc:description (not a language alternative) is read as the x-default text; a first IFD offset past
        // the segment falls back to the usual offset (both as MetadataExtractor recovers them).
        Assert.Equal("plain", Read(MetadataJpegs.With(MetadataJpegs.XmpPacket("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" dc:description=\"plain\"/></rdf:RDF></x:xmpmeta>"))));
        byte[] farIfd = MetadataJpegs.Exif("a caption");
        farIfd[13] = 0x7F;
        Assert.Equal("a caption", Read(MetadataJpegs.With(farIfd)));
        // Cut to MaxLength.
        Assert.Equal(PhotoDescriptions.MaxLength, Read(MetadataJpegs.With(MetadataJpegs.Exif(new string('w', PhotoDescriptions.MaxLength + 100))))!.Length);
        Assert.Null(Read(MetadataJpegs.Plain()));
    }

    [Theory]
    [InlineData("OLYMPUS DIGITAL CAMERA         ")]
    [InlineData("SONY DSC")]
    [InlineData("sony dsc\0\0\0")]
    [InlineData("   \0 ")]
    public void Placeholder_or_blank_text_is_ignored_and_xmp_is_used_instead(string placeholder)
    {
        Assert.Null(Read(MetadataJpegs.With(MetadataJpegs.Exif(placeholder))));
        Assert.Equal("a real caption", Read(MetadataJpegs.With(MetadataJpegs.Exif(placeholder), MetadataJpegs.Xmp(("x-default", "a real caption")))));
    }

    public static TheoryData<string, byte[]> Malformed()
    {
        byte[] good = MetadataJpegs.With(MetadataJpegs.Exif("a caption that is long enough"));
        byte[] badOffset = MetadataJpegs.Exif("a caption that is long enough");
        badOffset[6 + 8 + 2 + 8] = 0xF0; // the string's offset points past the segment
        badOffset[6 + 8 + 2 + 9] = 0xFF;
        byte[] hugeCount = MetadataJpegs.Exif("a caption that is long enough");
        hugeCount[6 + 8 + 2 + 4] = 0xFF;
        hugeCount[6 + 8 + 2 + 7] = 0x7F;
        byte[] badIfd = MetadataJpegs.Exif("a caption");
        badIfd[14] = 0xFF; // IFD0 declares 65,535 entries in a 40-byte segment
        badIfd[15] = 0xFF;
        byte[] badTiff = MetadataJpegs.Exif("a caption");
        badTiff[6] = (byte)'X';
        return new TheoryData<string, byte[]>
        {
            { "empty", [] },
            { "not a jpeg", Encoding.UTF8.GetBytes("just some text, not a photo") },
            { "soi only", [0xFF, 0xD8] },
            { "truncated in the segment", good[..30] },
            { "segment length past the end", [0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xF0, .. "Exif\0\0II*\0"u8] },
            { "string offset past the segment", MetadataJpegs.With(badOffset) },
            { "huge string count", MetadataJpegs.With(hugeCount) },
            { "IFD0 entries past the segment", MetadataJpegs.With(badIfd) },
            { "no TIFF byte order", MetadataJpegs.With(badTiff) },
            { "XMP that is not XML", MetadataJpegs.With(MetadataJpegs.XmpPacket("<x:xmpmeta <<< dc:description")) },
            { "XMP with a DTD", MetadataJpegs.With(MetadataJpegs.XmpPacket("<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]><x:xmpmeta xmlns:x=\"adobe:ns:meta/\">&b;</x:xmpmeta>")) },
        };
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_metadata_is_no_description_and_no_exception(string what, byte[] bytes)
    {
        Assert.NotNull(what);
        Assert.Null(Read(bytes));

        using var tmp = new TempFolder();
        File.WriteAllBytes(tmp.Write("p/a.jpg", ""), bytes);
        Assert.Null(new PhotoDescriptions(tmp.Path("p")).Get(tmp.Path("p/a.jpg")));
    }

    [Fact]
    public void Embedded_text_is_the_last_fallback_and_can_be_turned_off()
    {
        using var tmp = new TempFolder();
        File.WriteAllBytes(tmp.Write("p/a.jpg", ""), MetadataJpegs.With(MetadataJpegs.Exif("embedded a")));
        File.WriteAllBytes(tmp.Write("p/b.jpg", ""), MetadataJpegs.With(MetadataJpegs.Xmp(("x-default", "embedded b"))));
        File.WriteAllBytes(tmp.Write("p/c.jpg", ""), MetadataJpegs.With(MetadataJpegs.Exif("embedded c")));
        File.WriteAllBytes(tmp.Write("p/d.jpg", ""), MetadataJpegs.With(MetadataJpegs.Exif("embedded d")));
        tmp.Write("p/a.jpg.txt", "sidecar a");
        tmp.Write("p/descriptions.tsv", "c.jpg\tmapped c\n");

        var d = new PhotoDescriptions(tmp.Path("p"));
        Assert.Equal("sidecar a", d.Get(tmp.Path("p/a.jpg")));
        Assert.Equal("embedded b", d.Get(tmp.Path("p/b.jpg")));
        Assert.Equal("mapped c", d.Get(tmp.Path("p/c.jpg")));
        Assert.Equal("embedded d", d.Get(tmp.Path("p/d.jpg")));
        Assert.Equal("given d", new PhotoDescriptions(tmp.Path("p"), new Dictionary<string, string> { [tmp.Path("p/d.jpg")] = "given d" }).Get(tmp.Path("p/d.jpg")));

        var off = new PhotoDescriptions(tmp.Path("p"), readEmbedded: false);
        Assert.Null(off.Get(tmp.Path("p/b.jpg")));
        Assert.Equal("sidecar a", off.Get(tmp.Path("p/a.jpg")));
    }

    [Fact]
    public void Metadata_past_the_read_limit_is_not_read()
    {
        // Enough 64 KiB APP0 padding segments before the EXIF to push it past MaxEmbeddedBytes.
        var padding = new List<byte>();
        int segments = PhotoDescriptions.MaxEmbeddedBytes / 65537 + 1;
        for (int i = 0; i < segments; i++)
        {
            padding.AddRange([0xFF, 0xE0, 0xFF, 0xFF]);
            padding.AddRange(new byte[65533]);
        }

        byte[] withExif = MetadataJpegs.With(MetadataJpegs.Exif("far away"));
        byte[] far = [.. withExif[..2], .. padding, .. withExif[2..]];
        Assert.Null(Read(far));
        byte[] near = [.. withExif[..2], .. padding.Take(65537 * (segments - 2)), .. withExif[2..]];
        Assert.Equal("far away", Read(near));
    }

    [Fact]
    public void Only_the_metadata_is_read_not_the_image_data()
    {
        // A sync reads every photo's description: the image data after the start of scan must not be read.
        byte[] photo = [.. MetadataJpegs.With(MetadataJpegs.Exif("a caption")), .. new byte[3 << 20]];
        var counting = new CountingStream(photo);
        Assert.Equal("a caption", PhotoDescriptions.ReadEmbedded(counting));
        // At least the EXIF segment is read; segments it does not parse are skipped by seeking.
        Assert.InRange(counting.BytesRead, MetadataJpegs.Exif("a caption").Length + 4, 64 * 1024);

        // From a stream that cannot seek (copied up to the limit first) and from the middle of a stream.
        byte[] small = MetadataJpegs.With(MetadataJpegs.Exif("a caption"));
        Assert.Equal("a caption", PhotoDescriptions.ReadEmbedded(new NonSeekable(small)));
        var offset = new MemoryStream([.. new byte[100], .. small]) { Position = 100 };
        Assert.Equal("a caption", PhotoDescriptions.ReadEmbedded(offset));
    }

    private sealed class NonSeekable(byte[] bytes) : MemoryStream(bytes, writable: false)
    {
        public override bool CanSeek => false;
    }

    private sealed class CountingStream(byte[] bytes) : MemoryStream(bytes, writable: false)
    {
        public long BytesRead { get; private set; }

        public override int Read(byte[] buffer, int offset, int count) => Count(base.Read(buffer, offset, count));

        // MemoryStream.Read(Span) of a derived type reads through Read(byte[], ...).
        public override int ReadByte()
        {
            int b = base.ReadByte();
            BytesRead += b >= 0 ? 1 : 0;
            return b;
        }

        private int Count(int n)
        {
            BytesRead += n;
            return n;
        }
    }

    [Fact]
    public async Task A_sync_reads_embedded_descriptions_unless_turned_off()
    {
        using var tmp = new TempFolder();
        File.WriteAllBytes(tmp.Write("p/cat/a.jpg", ""), MetadataJpegs.With(MetadataJpegs.Exif("a cat on a sofa")));
        File.WriteAllBytes(tmp.Write("p/cat/b.jpg", ""), MetadataJpegs.With(MetadataJpegs.Exif("OLYMPUS DIGITAL CAMERA"), MetadataJpegs.Xmp(("x-default", "a cat in the snow"))));
        File.WriteAllBytes(tmp.Write("p/dog/c.jpg", ""), MetadataJpegs.With(MetadataJpegs.Exif("SONY DSC")));
        File.WriteAllBytes(tmp.Write("p/dog/d.jpg", ""), MetadataJpegs.With(MetadataJpegs.XmpPacket("<x:xmpmeta <<<")));
        tmp.Write("p/dog/d.jpg.txt", "a dog (sidecar)");
        File.WriteAllBytes(tmp.Write("p/dog/e.jpg", ""), [.. MetadataJpegs.With(MetadataJpegs.Exif("a broken photo"))[..40]]);

        using (var engine = ImageSearchEngine.Create(new FakeImageEmbedder(), "fake-4"))
        {
            var report = await engine.SyncFolderAsync(tmp.Path("p"));
            Assert.Empty(report.Failures);
            string? Of(string name) => engine.Photos.Values.Single(p => p.Path.EndsWith(name, StringComparison.Ordinal)).Description;
            Assert.Equal("a cat on a sofa", Of("a.jpg"));
            Assert.Equal("a cat in the snow", Of("b.jpg"));
            Assert.Null(Of("c.jpg"));
            Assert.Equal("a dog (sidecar)", Of("d.jpg"));
            Assert.Null(Of("e.jpg"));
        }

        using var off = ImageSearchEngine.Create(new FakeImageEmbedder(), "fake-4", new ImageSearchEngineOptions { ReadEmbeddedDescriptions = false });
        await off.SyncFolderAsync(tmp.Path("p"));
        Assert.Equal(["a dog (sidecar)"], off.Photos.Values.Select(p => p.Description).OfType<string>());
    }
}
