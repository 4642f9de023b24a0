using SkiaSharp;

namespace ImageSearch;

/// <summary>
/// Decodes an encoded image with SkiaSharp and writes the model's NCHW float input for it. Thread-safe: it keeps no
/// mutable state; each call allocates its own Skia objects.
/// </summary>
/// <remarks>
/// <para>Formats: whatever SkiaSharp's codecs read (JPEG, PNG, WebP, GIF (first frame), BMP, ICO, WBMP). Greyscale,
/// CMYK and palette images are converted to RGB by Skia; transparency is composited over white (so a transparent
/// background is white, not the arbitrary colour stored under alpha 0).</para>
/// <para>EXIF orientation is applied. JPEGs are decoded at the smallest 1/8-step DCT scale that keeps the needed
/// resolution (much cheaper for large photos); the resize is antialiased bilinear (see <see cref="Resampler"/>).</para>
/// <para>Anything unreadable (unknown format, truncated or corrupt data, I/O error) raises an
/// <see cref="EmbeddingException"/> naming the source.</para>
/// </remarks>
internal sealed class ImagePreprocessor
{
    private readonly ImageModelDescriptor _d;
    private readonly float[] _mul = new float[3];
    private readonly float[] _add = new float[3];
    private readonly int[] _channelOffset;
    private readonly float[]? _meanImage; // already divided by std
    private readonly long _maxPixels;

    public ImagePreprocessor(ImageModelDescriptor descriptor, long maxPixels = 100_000_000)
    {
        descriptor.Validate();
        _d = descriptor;
        _maxPixels = maxPixels;
        for (int c = 0; c < 3; c++)
        {
            _mul[c] = descriptor.Scale / descriptor.Std[c];
            _add[c] = -descriptor.Mean[c] / descriptor.Std[c];
        }

        _channelOffset = descriptor.ChannelOrder == ChannelOrder.Rgb ? [0, 1, 2] : [2, 1, 0];
        if (descriptor.MeanImage is { } mi)
        {
            int plane = descriptor.InputWidth * descriptor.InputHeight;
            _meanImage = new float[mi.Count];
            for (int i = 0; i < _meanImage.Length; i++)
            {
                _meanImage[i] = mi[i] / descriptor.Std[i / plane];
            }
        }
    }

    /// <summary>Elements of one image's input tensor (3 x height x width).</summary>
    public int TensorLength => 3 * _d.InputWidth * _d.InputHeight;

    /// <summary>Reads the image (from its file, or the bytes it holds) and preprocesses it.</summary>
    public void Preprocess(ImageInput image, Span<float> destination) => Preprocess(image.ReadEncoded().Span, image.Name, destination);

    /// <summary>Decodes <paramref name="encoded"/> and writes the model input into <paramref name="destination"/>.</summary>
    /// <param name="encoded">The encoded image file content.</param>
    /// <param name="source">Name used in error messages (the file path, or a caller's label).</param>
    /// <param name="destination">At least <see cref="TensorLength"/> elements.</param>
    public void Preprocess(ReadOnlySpan<byte> encoded, string source, Span<float> destination)
    {
        if (destination.Length < TensorLength)
        {
            throw new ArgumentException($"Destination has {destination.Length} elements; {TensorLength} needed.", nameof(destination));
        }

        using var decoded = Decode(encoded, source, out var origin);
        bool swap = ImageOrientation.SwapsAxes(origin);
        double w = decoded.Width, h = decoded.Height;
        double dispW = swap ? h : w, dispH = swap ? w : h;
        int inW = _d.InputWidth, inH = _d.InputHeight;
        double sx, sy, ox, oy;
        if (_d.ResizeMode == ImageResizeMode.ResizeShortSideThenCenterCrop)
        {
            sx = sy = _d.ResizeShortSide / Math.Min(dispW, dispH);
            ox = ((dispW * sx) - inW) / 2;
            oy = ((dispH * sy) - inH) / 2;
        }
        else
        {
            sx = inW / dispW;
            sy = inH / dispH;
            ox = oy = 0;
        }

        Resampler.ResampleToPlanes(
            decoded.GetPixelSpan(), decoded.Width, decoded.Height, decoded.RowBytes, origin,
            inW, inH, sx, sy, ox, oy, _channelOffset, _mul, _add, _meanImage, destination, _d.MirrorHorizontally);
    }

    /// <summary>
    /// Decodes to premultiplied RGBA8888 in stored orientation (the orientation is returned, not applied), at the smallest
    /// JPEG DCT scale that still gives the resolution the resize needs.
    /// </summary>
    internal SKBitmap Decode(ReadOnlySpan<byte> encoded, string source, out SKEncodedOrigin origin)
    {
        if (encoded.IsEmpty)
        {
            throw new EmbeddingException($"Image '{source}' is empty (0 bytes).");
        }

        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(new SKMemoryStream(data), out SKCodecResult createResult); // the codec owns the stream
        if (codec is null)
        {
            throw new EmbeddingException(
                $"Image '{source}' is corrupt or not in a supported format (JPEG, PNG, WebP, GIF, BMP): {createResult}.");
        }

        origin = codec.EncodedOrigin;
        bool swap = ImageOrientation.SwapsAxes(origin);
        var full = codec.Info;
        if (full.Width <= 0 || full.Height <= 0)
        {
            throw new EmbeddingException($"Image '{source}' has no pixels ({full.Width}x{full.Height}).");
        }

        // Checked on the declared size, before any pixel memory: a few bytes can declare billions of pixels.
        if ((long)full.Width * full.Height > _maxPixels)
        {
            throw new EmbeddingException(
                $"Image '{source}' declares {full.Width}x{full.Height} pixels, more than the limit of {_maxPixels:N0} (OnnxImageEmbedderOptions.MaxPixels).");
        }

        // Resolution needed, in stored (unrotated) orientation.
        int needW, needH;
        if (_d.ResizeMode == ImageResizeMode.ResizeShortSideThenCenterCrop)
        {
            double f = (double)_d.ResizeShortSide / Math.Min(full.Width, full.Height);
            needW = (int)Math.Ceiling(full.Width * f);
            needH = (int)Math.Ceiling(full.Height * f);
        }
        else
        {
            needW = swap ? _d.InputHeight : _d.InputWidth;
            needH = swap ? _d.InputWidth : _d.InputHeight;
        }

        var size = new SKSizeI(full.Width, full.Height);
        for (int k = 1; k < 8; k++)
        {
            var s = codec.GetScaledDimensions(k / 8f);
            if (s.Width >= needW && s.Height >= needH && s.Width < size.Width)
            {
                size = s;
                break;
            }
        }

        var bitmap = new SKBitmap(new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        try
        {
            if (bitmap.GetPixels() == IntPtr.Zero)
            {
                throw new EmbeddingException($"Image '{source}' ({full.Width}x{full.Height}) could not be decoded: out of memory for its pixels.");
            }

            var result = codec.GetPixels(bitmap.Info, bitmap.GetPixels());
            if (result == SKCodecResult.InvalidScale && size.Width != full.Width)
            {
                bitmap.Dispose();
                bitmap = new SKBitmap(new SKImageInfo(full.Width, full.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
                result = codec.GetPixels(bitmap.Info, bitmap.GetPixels());
            }

            if (result != SKCodecResult.Success)
            {
                throw new EmbeddingException($"Image '{source}' could not be decoded ({result}); the file is truncated or corrupt.");
            }

            return bitmap;
        }
        catch
        {
            bitmap.Dispose();
            throw;
        }
    }
}
