using SkiaSharp;

namespace ImageSearch.Embeddings.Tests.Images;

/// <summary><see cref="ImageModelDescriptor.MirrorHorizontally"/>: the model input is the left-right mirror of the unmirrored one.</summary>
public sealed class MirrorTests
{
    private static ImageModelDescriptor Identity(int w, int h, bool mirror, ImageResizeMode mode = ImageResizeMode.Stretch) => new()
    {
        Name = mirror ? "identity-mirror" : "identity",
        ModelPath = "unused.onnx",
        InputName = "x",
        OutputName = "y",
        OutputDimension = 1,
        InputWidth = w,
        InputHeight = h,
        ResizeShortSide = Math.Max(w, h),
        ResizeMode = mode,
        Scale = 1,
        Mean = [0, 0, 0],
        Std = [1, 1, 1],
        MirrorHorizontally = mirror,
    };

    private static float[] Run(ImageModelDescriptor d, byte[] encoded)
    {
        var t = new float[3 * d.InputWidth * d.InputHeight];
        new ImagePreprocessor(d).Preprocess(encoded, "test image", t);
        return t;
    }

    [Fact]
    public void QuadrantsSwapLeftAndRight()
    {
        using var bmp = TestImages.Quadrants(8, 8, TestImages.Red, TestImages.Green, TestImages.Blue, TestImages.Yellow);
        byte[] png = TestImages.Encode(bmp, SKEncodedImageFormat.Png);
        float[] plain = Run(Identity(8, 8, mirror: false), png);
        float[] mirrored = Run(Identity(8, 8, mirror: true), png);

        // Unmirrored: red top-left; mirrored: green (the old top-right) top-left, yellow bottom-left.
        Assert.Equal(255f, TestImages.Pixel(plain, 8, 8, 0, 0).R, 1);
        Assert.Equal(0f, TestImages.Pixel(plain, 8, 8, 0, 0).G, 1);
        var tl = TestImages.Pixel(mirrored, 8, 8, 0, 0);
        Assert.Equal((0f, 255f, 0f), (MathF.Round(tl.R), MathF.Round(tl.G), MathF.Round(tl.B)));
        var bl = TestImages.Pixel(mirrored, 8, 8, 0, 7);
        Assert.Equal((255f, 255f, 0f), (MathF.Round(bl.R), MathF.Round(bl.G), MathF.Round(bl.B)));
    }

    [Fact]
    public void EveryPixelIsTheMirrorOfTheUnmirroredInputAfterACentreCrop()
    {
        // A 12 x 6 gradient, scaled to short side 6 and centre-cropped to 6 x 6: mirroring must flip the crop, not shift it.
        using var bmp = new SKBitmap(new SKImageInfo(12, 6, SKColorType.Rgba8888, SKAlphaType.Premul));
        for (int y = 0; y < 6; y++)
        {
            for (int x = 0; x < 12; x++)
            {
                bmp.SetPixel(x, y, new SKColor((byte)(x * 20), (byte)(y * 40), (byte)((x * 7) + (y * 11))));
            }
        }

        byte[] png = TestImages.Encode(bmp, SKEncodedImageFormat.Png);
        float[] plain = Run(Identity(6, 6, false, ImageResizeMode.ResizeShortSideThenCenterCrop), png);
        float[] mirrored = Run(Identity(6, 6, true, ImageResizeMode.ResizeShortSideThenCenterCrop), png);
        Assert.NotEqual(plain, mirrored);
        for (int y = 0; y < 6; y++)
        {
            for (int x = 0; x < 6; x++)
            {
                Assert.Equal(TestImages.Pixel(plain, 6, 6, x, y), TestImages.Pixel(mirrored, 6, 6, 5 - x, y));
            }
        }
    }

    [Fact]
    public void MeanImageIsSubtractedUnmirrored()
    {
        using var bmp = TestImages.Quadrants(4, 4, TestImages.Red, TestImages.Green, TestImages.Blue, TestImages.Yellow);
        byte[] png = TestImages.Encode(bmp, SKEncodedImageFormat.Png);
        var mean = new float[3 * 4 * 4];
        for (int i = 0; i < mean.Length; i++)
        {
            mean[i] = i;
        }

        float[] plain = Run(Identity(4, 4, false), png);
        float[] mirrored = Run(Identity(4, 4, true) with { MeanImage = mean }, png);
        for (int c = 0; c < 3; c++)
        {
            for (int y = 0; y < 4; y++)
            {
                for (int x = 0; x < 4; x++)
                {
                    int at = (c * 16) + (y * 4) + x;
                    Assert.Equal(plain[(c * 16) + (y * 4) + (3 - x)] - mean[at], mirrored[at], 3);
                }
            }
        }
    }
}
