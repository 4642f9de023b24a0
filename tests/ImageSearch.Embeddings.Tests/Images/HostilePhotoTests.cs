using System.Buffers.Binary;
using System.IO.Compression;
using SkiaSharp;

namespace ImageSearch.Embeddings.Tests.Images;

/// <summary>
/// Photos built to hurt: decompression bombs, empty, truncated, not images, a huge EXIF block. Each is reported for that
/// photo with a clear message, and the other photos of the batch are embedded.
/// </summary>
public sealed class HostilePhotoTests
{
    private static byte[] Jpeg() => TestImages.Encode(TestImages.Quadrants(64, 48, TestImages.Red, TestImages.Green, TestImages.Blue, TestImages.Yellow), SKEncodedImageFormat.Jpeg, 90);

    /// <summary>A valid PNG header declaring <paramref name="w"/> x <paramref name="h"/> RGB pixels, with a tiny IDAT.</summary>
    internal static byte[] PngBomb(int w, int h)
    {
        var ms = new MemoryStream();
        ms.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        byte[] ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, w);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), h);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // RGB
        Chunk(ms, "IHDR", ihdr);
        var z = new MemoryStream();
        using (var zlib = new ZLibStream(z, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            zlib.Write(new byte[4096]); // the first rows only: the rest is missing
        }

        Chunk(ms, "IDAT", z.ToArray());
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    /// <summary>A valid small JPEG whose frame header (SOF) is rewritten to declare <paramref name="w"/> x <paramref name="h"/>.</summary>
    internal static byte[] JpegBomb(int w, int h)
    {
        byte[] jpeg = Jpeg();
        for (int i = 2; i + 9 < jpeg.Length; i++)
        {
            if (jpeg[i] == 0xFF && jpeg[i + 1] is 0xC0 or 0xC1 or 0xC2)
            {
                BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(i + 5), (ushort)h);
                BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(i + 7), (ushort)w);
                return jpeg;
            }
        }

        throw new InvalidOperationException("No SOF marker in the test JPEG.");
    }

    /// <summary>The JPEG with <paramref name="segments"/> maximal APP1 "Exif" segments (64 KB each) after SOI.</summary>
    internal static byte[] WithHugeExif(byte[] jpeg, int segments)
    {
        var ms = new MemoryStream();
        ms.Write(jpeg.AsSpan(0, 2));
        var rng = new Random(1);
        for (int s = 0; s < segments; s++)
        {
            byte[] seg = new byte[4 + 65533];
            seg[0] = 0xFF;
            seg[1] = 0xE1;
            BinaryPrimitives.WriteUInt16BigEndian(seg.AsSpan(2), 65535);
            "Exif\0\0"u8.CopyTo(seg.AsSpan(4));
            rng.NextBytes(seg.AsSpan(10));
            ms.Write(seg);
        }

        ms.Write(jpeg.AsSpan(2));
        return ms.ToArray();
    }

    [Fact]
    public async Task Hostile_photos_fail_one_by_one_and_the_rest_of_the_batch_is_embedded()
    {
        byte[] good = Jpeg();
        ImageInput[] batch =
        [
            ImageInput.FromBytes(good, "good.jpg"),
            ImageInput.FromBytes(PngBomb(50_000, 50_000), "bomb.png"),
            ImageInput.FromBytes(JpegBomb(50_000, 50_000), "bomb.jpg"),
            ImageInput.FromBytes(Array.Empty<byte>(), "empty.jpg"),
            ImageInput.FromBytes(good.AsMemory(0, good.Length / 3), "truncated.jpg"),
            ImageInput.FromBytes("this is not a photo\n"u8.ToArray(), "notes.jpg"),
            ImageInput.FromBytes(WithHugeExif(good, 16), "huge-exif.jpg"),
            ImageInput.FromBytes(good, "good-again.jpg"),
        ];
        using var embedder = new OnnxImageEmbedder(ImageModels.MobileNetV2(), new OnnxImageEmbedderOptions { BatchSize = 4 });

        IReadOnlyList<EmbeddingResult> results = await embedder.EmbedBatchAsync(batch);

        Assert.True(results[0].Succeeded);
        Assert.True(results[7].Succeeded);
        Assert.True(results[6].Succeeded, results[6].Error?.Message); // a huge EXIF block is metadata, not pixels
        Assert.Equal(results[0].Vector, results[6].Vector);
        Assert.Contains("'bomb.png' declares 50000x50000 pixels, more than the limit of 100,000,000", results[1].Error!.Message, StringComparison.Ordinal);
        Assert.Contains("'bomb.jpg' declares 50000x50000 pixels", results[2].Error!.Message, StringComparison.Ordinal);
        Assert.Contains("'empty.jpg' is empty", results[3].Error!.Message, StringComparison.Ordinal);
        Assert.Contains("'truncated.jpg'", results[4].Error!.Message, StringComparison.Ordinal);
        Assert.Contains("'notes.jpg' is corrupt or not in a supported format", results[5].Error!.Message, StringComparison.Ordinal);
        Assert.All(results.Where(r => !r.Succeeded), r => Assert.IsType<EmbeddingException>(r.Error));
    }

    [Fact]
    public async Task A_lower_pixel_limit_is_enforced_and_a_bad_one_refused()
    {
        using var embedder = new OnnxImageEmbedder(ImageModels.MobileNetV2(), new OnnxImageEmbedderOptions { MaxPixels = 64 * 47 });
        var e = await Assert.ThrowsAsync<EmbeddingException>(() => embedder.EmbedAsync(ImageInput.FromBytes(Jpeg(), "64x48.jpg")));
        Assert.Contains("declares 64x48 pixels, more than the limit of 3,008", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new OnnxImageEmbedder(ImageModels.MobileNetV2(), new OnnxImageEmbedderOptions { MaxPixels = 0 }));
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(b, data.Length);
        s.Write(b);
        byte[] typed = [.. System.Text.Encoding.ASCII.GetBytes(type), .. data];
        s.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(b, Crc32(typed));
        s.Write(b);
    }

    // PNG's CRC-32 (ISO-HDLC), bitwise: a handful of small chunks.
    private static uint Crc32(byte[] data)
    {
        uint c = 0xFFFFFFFFu;
        foreach (byte x in data)
        {
            c ^= x;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
        }

        return ~c;
    }
}
