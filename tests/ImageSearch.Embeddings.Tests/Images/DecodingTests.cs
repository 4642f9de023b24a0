using SkiaSharp;

namespace ImageSearch.Embeddings.Tests.Images;

/// <summary>Decoding and preprocessing without a model: formats, colour conversion, alpha, EXIF orientation.</summary>
public sealed class DecodingTests
{
    /// <summary>An identity preprocessor: output pixel = 0-255 source value, RGB planes, plain resize to w x h.</summary>
    private static ImagePreprocessor Identity(int w, int h) => new(new ImageModelDescriptor
    {
        Name = "identity",
        ModelPath = "unused.onnx",
        InputName = "x",
        OutputName = "y",
        OutputDimension = 1,
        InputWidth = w,
        InputHeight = h,
        ResizeMode = ImageResizeMode.Stretch,
        Scale = 1,
        Mean = [0, 0, 0],
        Std = [1, 1, 1],
    });

    private static float[] Run(ImagePreprocessor p, byte[] encoded, int w, int h)
    {
        var t = new float[3 * w * h];
        p.Preprocess(encoded, "test image", t);
        return t;
    }

    private static void AssertColor(SKColor expected, (float R, float G, float B) actual, float tolerance, string where)
    {
        Assert.True(Math.Abs(actual.R - expected.Red) <= tolerance && Math.Abs(actual.G - expected.Green) <= tolerance
            && Math.Abs(actual.B - expected.Blue) <= tolerance, $"{where}: expected {expected}, got ({actual.R:F1}, {actual.G:F1}, {actual.B:F1})");
    }

    [Fact]
    public void GreyscalePngBecomesEqualRgb()
    {
        using var bmp = new SKBitmap(new SKImageInfo(4, 2, SKColorType.Gray8, SKAlphaType.Opaque));
        var px = bmp.GetPixelSpan();
        for (int i = 0; i < px.Length; i++)
        {
            px[i] = (byte)(i * 30);
        }

        var t = Run(Identity(4, 2), TestImages.Encode(bmp, SKEncodedImageFormat.Png), 4, 2);
        for (int i = 0; i < 8; i++)
        {
            var (r, g, b) = TestImages.Pixel(t, 4, 2, i % 4, i / 4);
            Assert.Equal(i * 30, r, 3);
            Assert.Equal(r, g);
            Assert.Equal(r, b);
        }
    }

    [Fact]
    public void TransparencyIsCompositedOverWhite()
    {
        using var bmp = new SKBitmap(new SKImageInfo(2, 1, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bmp.SetPixel(0, 0, new SKColor(255, 0, 0, 0));   // fully transparent red: white
        bmp.SetPixel(1, 0, new SKColor(0, 0, 255, 128)); // half-transparent blue over white
        var t = Run(Identity(2, 1), TestImages.Encode(bmp, SKEncodedImageFormat.Png), 2, 1);
        AssertColor(SKColors.White, TestImages.Pixel(t, 2, 1, 0, 0), 0.5f, "transparent pixel");
        AssertColor(new SKColor(127, 127, 255), TestImages.Pixel(t, 2, 1, 1, 0), 1.5f, "half-transparent pixel");
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Png, 0)]
    [InlineData(SKEncodedImageFormat.Jpeg, 12)]
    [InlineData(SKEncodedImageFormat.Webp, 2)]
    public void EncodedQuadrantsSurviveDecoding(SKEncodedImageFormat format, float tolerance)
    {
        using var bmp = TestImages.Quadrants(32, 16, TestImages.Red, TestImages.Green, TestImages.Blue, TestImages.Yellow);
        var t = Run(Identity(32, 16), TestImages.Encode(bmp, format), 32, 16);
        AssertColor(TestImages.Red, TestImages.Pixel(t, 32, 16, 8, 4), tolerance, "top left");
        AssertColor(TestImages.Green, TestImages.Pixel(t, 32, 16, 24, 4), tolerance, "top right");
        AssertColor(TestImages.Blue, TestImages.Pixel(t, 32, 16, 8, 12), tolerance, "bottom left");
        AssertColor(TestImages.Yellow, TestImages.Pixel(t, 32, 16, 24, 12), tolerance, "bottom right");
    }

    [Fact]
    public void BmpAndGifDecode()
    {
        var p = Identity(2, 1);
        foreach (var (name, bytes) in new[] { ("bmp", TestImages.Bmp2x1()), ("gif", TestImages.Gif2x1()) })
        {
            var t = Run(p, bytes, 2, 1);
            AssertColor(TestImages.Red, TestImages.Pixel(t, 2, 1, 0, 0), 0.5f, name + " left");
            AssertColor(TestImages.Blue, TestImages.Pixel(t, 2, 1, 1, 0), 0.5f, name + " right");
        }
    }

    // Expected displayed quadrants for a stored [[R, G], [B, Y]] image, from the EXIF definitions.
    public static TheoryData<int, int, int, char[]> Orientations => new()
    {
        { 1, 32, 16, ['R', 'G', 'B', 'Y'] }, // as stored
        { 2, 32, 16, ['G', 'R', 'Y', 'B'] }, // mirrored left-right
        { 3, 32, 16, ['Y', 'B', 'G', 'R'] }, // rotated 180
        { 4, 32, 16, ['B', 'Y', 'R', 'G'] }, // mirrored top-bottom
        { 5, 16, 32, ['R', 'B', 'G', 'Y'] }, // transposed
        { 6, 16, 32, ['B', 'R', 'Y', 'G'] }, // rotated 90 clockwise
        { 7, 16, 32, ['Y', 'G', 'B', 'R'] }, // transverse
        { 8, 16, 32, ['G', 'Y', 'R', 'B'] }, // rotated 90 anticlockwise
    };

    [Theory]
    [MemberData(nameof(Orientations))]
    public void ExifOrientationIsApplied(int orientation, int displayedW, int displayedH, char[] expected)
    {
        using var bmp = TestImages.Quadrants(32, 16, TestImages.Red, TestImages.Green, TestImages.Blue, TestImages.Yellow);
        byte[] jpeg = TestImages.WithExifOrientation(TestImages.Encode(bmp, SKEncodedImageFormat.Jpeg), orientation);
        using (var codec = SKCodec.Create(new SKMemoryStream(jpeg)))
        {
            Assert.Equal((SKEncodedOrigin)orientation, codec.EncodedOrigin); // the test image really carries the tag
        }

        var t = Run(Identity(displayedW, displayedH), jpeg, displayedW, displayedH);
        var colors = new Dictionary<char, SKColor> { ['R'] = TestImages.Red, ['G'] = TestImages.Green, ['B'] = TestImages.Blue, ['Y'] = TestImages.Yellow };
        int qx = displayedW / 4, qy = displayedH / 4;
        AssertColor(colors[expected[0]], TestImages.Pixel(t, displayedW, displayedH, qx, qy), 12, $"orientation {orientation} top left");
        AssertColor(colors[expected[1]], TestImages.Pixel(t, displayedW, displayedH, 3 * qx, qy), 12, $"orientation {orientation} top right");
        AssertColor(colors[expected[2]], TestImages.Pixel(t, displayedW, displayedH, qx, 3 * qy), 12, $"orientation {orientation} bottom left");
        AssertColor(colors[expected[3]], TestImages.Pixel(t, displayedW, displayedH, 3 * qx, 3 * qy), 12, $"orientation {orientation} bottom right");
    }

    [Fact]
    public void CentreCropKeepsTheMiddleAndBgrSwapsPlanes()
    {
        // 64 x 16 stripes: left quarter red, middle half green, right quarter blue. Short side 16 -> 8, crop 8x8 centre.
        using var bmp = new SKBitmap(new SKImageInfo(64, 16, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (int y = 0; y < 16; y++)
        {
            for (int x = 0; x < 64; x++)
            {
                bmp.SetPixel(x, y, x < 16 ? TestImages.Red : x < 48 ? TestImages.Green : TestImages.Blue);
            }
        }

        var descriptor = new ImageModelDescriptor
        {
            Name = "crop",
            ModelPath = "unused.onnx",
            InputName = "x",
            OutputName = "y",
            OutputDimension = 1,
            InputWidth = 8,
            InputHeight = 8,
            ResizeShortSide = 8,
            ChannelOrder = ChannelOrder.Bgr,
            Scale = 1,
            Mean = [0, 0, 0],
            Std = [1, 1, 1],
        };
        var t = new float[3 * 64];
        new ImagePreprocessor(descriptor).Preprocess(TestImages.Encode(bmp, SKEncodedImageFormat.Png), "stripes", t);
        for (int i = 0; i < 64; i++)
        {
            Assert.Equal(0, t[i], 1);        // plane 0 = blue: none in the middle
            Assert.Equal(255, t[64 + i], 1); // plane 1 = green everywhere in the crop
            Assert.Equal(0, t[128 + i], 1);  // plane 2 = red: none
        }
    }

    [Fact]
    public void GarbageAndTruncatedDataRaiseEmbeddingExceptionNamingTheSource()
    {
        var p = Identity(4, 4);
        var t = new float[48];
        var random = new byte[2048];
        new Random(1).NextBytes(random);
        var ex = Assert.Throws<EmbeddingException>(() => p.Preprocess(random, "random.jpg", t));
        Assert.Contains("random.jpg", ex.Message);

        using var bmp = TestImages.Quadrants(64, 64, TestImages.Red, TestImages.Green, TestImages.Blue, TestImages.Yellow);
        byte[] jpeg = TestImages.Encode(bmp, SKEncodedImageFormat.Jpeg);
        ex = Assert.Throws<EmbeddingException>(() => p.Preprocess(jpeg.AsSpan(0, jpeg.Length / 2), "half.jpg", t));
        Assert.Contains("half.jpg", ex.Message);

        ex = Assert.Throws<EmbeddingException>(() => p.Preprocess([], "empty.png", t));
        Assert.Contains("empty.png", ex.Message);

        ex = Assert.Throws<EmbeddingException>(() => p.Preprocess(ImageInput.FromFile("/nonexistent/dir/none.jpg"), t));
        Assert.Contains("/nonexistent/dir/none.jpg", ex.Message);
    }
}
