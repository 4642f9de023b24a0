using System.Buffers.Binary;
using SkiaSharp;

namespace ImageSearch.Embeddings.Tests.Images;

/// <summary>Small synthetic images encoded in memory, and helpers to read a preprocessed tensor back as pixels.</summary>
internal static class TestImages
{
    public static readonly SKColor Red = new(255, 0, 0);
    public static readonly SKColor Green = new(0, 255, 0);
    public static readonly SKColor Blue = new(0, 0, 255);
    public static readonly SKColor Yellow = new(255, 255, 0);

    /// <summary>A <paramref name="w"/> x <paramref name="h"/> image of four solid quadrants [[tl, tr], [bl, br]].</summary>
    public static SKBitmap Quadrants(int w, int h, SKColor tl, SKColor tr, SKColor bl, SKColor br)
    {
        var bmp = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                bmp.SetPixel(x, y, y < h / 2 ? (x < w / 2 ? tl : tr) : (x < w / 2 ? bl : br));
            }
        }

        return bmp;
    }

    public static byte[] Encode(SKBitmap bmp, SKEncodedImageFormat format, int quality = 100)
    {
        using var data = bmp.Encode(format, quality) ?? throw new InvalidOperationException($"Skia cannot encode {format}.");
        return data.ToArray();
    }

    /// <summary>Inserts an EXIF APP1 segment with the given orientation (1-8) right after the JPEG's SOI marker.</summary>
    public static byte[] WithExifOrientation(byte[] jpeg, int orientation)
    {
        if (jpeg[0] != 0xFF || jpeg[1] != 0xD8)
        {
            throw new ArgumentException("Not a JPEG.", nameof(jpeg));
        }

        var tiff = new byte[26];
        "II"u8.CopyTo(tiff);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(2), 42);
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(4), 8);       // IFD0 offset
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(8), 1);       // one entry
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(10), 0x0112); // Orientation
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(12), 3);      // SHORT
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(14), 1);      // count
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(18), (ushort)orientation);
        // bytes 22..25: next IFD offset 0
        byte[] payload = [.. "Exif\0\0"u8, .. tiff];
        var segment = new byte[4 + payload.Length];
        segment[0] = 0xFF;
        segment[1] = 0xE1;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), (ushort)(payload.Length + 2));
        payload.CopyTo(segment, 4);
        return [.. jpeg.AsSpan(0, 2), .. segment, .. jpeg.AsSpan(2)];
    }

    /// <summary>A 2 x 1 24-bit BMP: a red then a blue pixel.</summary>
    public static byte[] Bmp2x1()
    {
        int rowBytes = 8; // 2 pixels x 3 bytes, padded to 4
        var b = new byte[54 + rowBytes];
        "BM"u8.CopyTo(b);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(2), b.Length);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(18), 2);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(22), 1);
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(28), 24);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(34), rowBytes);
        // Pixels are BGR.
        b[54] = 0; b[55] = 0; b[56] = 255;
        b[57] = 255; b[58] = 0; b[59] = 0;
        return b;
    }

    /// <summary>A 2 x 1 GIF89a with a two-colour palette: a red then a blue pixel.</summary>
    public static byte[] Gif2x1() =>
    [
        .. "GIF89a"u8, 2, 0, 1, 0, 0x80, 0, 0,      // screen 2x1, global palette of 2 colours
        255, 0, 0, 0, 0, 255,                       // palette: red, blue
        0x2C, 0, 0, 0, 0, 2, 0, 1, 0, 0,            // image descriptor 2x1
        2, 2, 0x44, 0x0A, 0,                        // LZW (min code size 2): clear, 0, 1, end
        0x3B,
    ];

    /// <summary>Reads pixel (x, y) of a [3, h, w] tensor written with scale 1, mean 0, std 1.</summary>
    public static (float R, float G, float B) Pixel(float[] tensor, int w, int h, int x, int y)
    {
        int plane = w * h;
        return (tensor[(y * w) + x], tensor[plane + (y * w) + x], tensor[(2 * plane) + (y * w) + x]);
    }
}
