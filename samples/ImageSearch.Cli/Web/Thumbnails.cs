using System.Globalization;
using SkiaSharp;

namespace ImageSearch.Cli.Web;

/// <summary>
/// JPEG thumbnails of indexed photos, made once and kept in <c>&lt;index&gt;/thumbs</c>. The file name comes from the
/// catalog (key, size, time), never from the request, so nothing is written outside that folder; a changed photo gets
/// a new name.
/// </summary>
public static class Thumbnails
{
    /// <summary>The longer side of a thumbnail, in pixels.</summary>
    public const int Size = 320;

    // Same bound as a photo the indexer would read: a small file that claims a huge picture is refused, not decoded.
    private const long MaxPixels = 100_000_000;

    /// <summary>The cached thumbnail of a photo, made first when missing.</summary>
    /// <param name="indexDirectory">The index folder.</param>
    /// <param name="key">The photo's catalog key.</param>
    /// <param name="photo">Its record.</param>
    /// <param name="file">The photo file (checked by <see cref="IndexSnapshot.FindFile"/>).</param>
    /// <returns>The thumbnail file, or <see langword="null"/> when the photo cannot be decoded.</returns>
    public static string? Get(string indexDirectory, long key, PhotoInfo photo, FileInfo file)
    {
        ArgumentNullException.ThrowIfNull(photo);
        ArgumentNullException.ThrowIfNull(file);
        string folder = Path.Combine(indexDirectory, "thumbs");
        string name = string.Create(CultureInfo.InvariantCulture, $"{key}-{file.Length}-{file.LastWriteTimeUtc.Ticks}.jpg");
        string path = Path.Combine(folder, name);
        if (File.Exists(path))
        {
            return path;
        }

        byte[]? jpeg = Make(file.FullName);
        if (jpeg is null)
        {
            return null;
        }

        Directory.CreateDirectory(folder);
        string temp = Path.Combine(folder, $".{name}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var s = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                s.Write(jpeg);
                s.Flush(flushToDisk: true);
            }

            // Two requests may race to make the same thumbnail: both write the same bytes, the last rename wins.
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }

        return path;
    }

    /// <summary>A JPEG thumbnail of the image file, or <see langword="null"/> when it is not a readable image.</summary>
    /// <param name="path">The image file.</param>
    /// <returns>The JPEG bytes.</returns>
    public static byte[]? Make(string path)
    {
        using var codec = SKCodec.Create(path);
        if (codec is null || codec.Info.Width <= 0 || codec.Info.Height <= 0 || (long)codec.Info.Width * codec.Info.Height > MaxPixels)
        {
            return null;
        }

        // Decode at the smallest JPEG scale that is still at least thumbnail size, then resize and apply EXIF orientation.
        float scale = Math.Min(1f, (float)Size / Math.Max(codec.Info.Width, codec.Info.Height));
        var dims = codec.GetScaledDimensions(Math.Max(scale, 1f / 8));
        if (Math.Max(dims.Width, dims.Height) < Size * scale)
        {
            dims = codec.Info.Size;
        }

        var info = new SKImageInfo(dims.Width, dims.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var decoded = new SKBitmap(info);
        var result = codec.GetPixels(info, decoded.GetPixels());
        if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
        {
            return null;
        }

        int w = Math.Max(1, (int)MathF.Round(codec.Info.Width * scale)), h = Math.Max(1, (int)MathF.Round(codec.Info.Height * scale));
        using var small = decoded.Resize(new SKImageInfo(w, h), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None)) ?? throw new InvalidOperationException("resize failed");
        using var oriented = Orient(small, codec.EncodedOrigin);
        using var image = SKImage.FromBitmap(oriented);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 80);
        return data.ToArray();
    }

    private static SKBitmap Orient(SKBitmap bitmap, SKEncodedOrigin origin)
    {
        if (origin == SKEncodedOrigin.TopLeft)
        {
            return bitmap.Copy();
        }

        bool swap = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        var rotated = new SKBitmap(swap ? bitmap.Height : bitmap.Width, swap ? bitmap.Width : bitmap.Height);
        using var canvas = new SKCanvas(rotated);
        canvas.SetMatrix(origin switch
        {
            SKEncodedOrigin.TopRight => SKMatrix.CreateScale(-1, 1, bitmap.Width / 2f, 0),
            SKEncodedOrigin.BottomRight => SKMatrix.CreateRotationDegrees(180, bitmap.Width / 2f, bitmap.Height / 2f),
            SKEncodedOrigin.BottomLeft => SKMatrix.CreateScale(1, -1, 0, bitmap.Height / 2f),
            SKEncodedOrigin.RightTop => SKMatrix.CreateTranslation(bitmap.Height, 0).PreConcat(SKMatrix.CreateRotationDegrees(90)),
            SKEncodedOrigin.LeftBottom => SKMatrix.CreateTranslation(0, bitmap.Width).PreConcat(SKMatrix.CreateRotationDegrees(270)),
            SKEncodedOrigin.LeftTop => SKMatrix.CreateRotationDegrees(90).PostConcat(SKMatrix.CreateScale(-1, 1)), // transpose: (x, y) -> (y, x)
            _ => SKMatrix.CreateRotationDegrees(270).PostConcat(SKMatrix.CreateScale(-1, 1)).PostConcat(SKMatrix.CreateTranslation(bitmap.Height, bitmap.Width)), // transverse: (x, y) -> (H - y, W - x)
        });
        canvas.DrawBitmap(bitmap, 0, 0);
        return rotated;
    }
}
