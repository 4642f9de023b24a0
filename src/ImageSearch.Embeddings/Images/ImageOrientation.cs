using SkiaSharp;

namespace ImageSearch;

/// <summary>EXIF orientation helpers (the mapping itself is applied by <see cref="Resampler"/>).</summary>
internal static class ImageOrientation
{
    /// <summary>Whether the orientation swaps width and height (the 90-degree family, EXIF 5-8).</summary>
    public static bool SwapsAxes(SKEncodedOrigin origin) => origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop
        or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
}
