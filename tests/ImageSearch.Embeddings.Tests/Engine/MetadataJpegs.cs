using System.Buffers.Binary;
using System.Text;
using ImageSearch.Embeddings.Tests.Images;
using SkiaSharp;

namespace ImageSearch.Embeddings.Tests.Engine;

/// <summary>Small JPEGs (encoded by SkiaSharp) with an APP1 EXIF and/or APP1 XMP segment spliced in after SOI.</summary>
internal static class MetadataJpegs
{
    /// <summary>A plain 16 x 12 JPEG.</summary>
    public static byte[] Plain() => TestImages.Encode(TestImages.Quadrants(16, 12, TestImages.Red, TestImages.Green, TestImages.Blue, TestImages.Yellow), SKEncodedImageFormat.Jpeg, 80);

    /// <summary>The JPEG with the given APP1 segments (payloads) inserted right after SOI.</summary>
    public static byte[] With(params byte[][] app1Payloads)
    {
        byte[] jpeg = Plain();
        var ms = new MemoryStream();
        ms.Write(jpeg.AsSpan(0, 2));
        foreach (byte[] payload in app1Payloads)
        {
            ms.Write([0xFF, 0xE1]);
            byte[] length = new byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(length, checked((ushort)(payload.Length + 2)));
            ms.Write(length);
            ms.Write(payload);
        }

        ms.Write(jpeg.AsSpan(2));
        return ms.ToArray();
    }

    /// <summary>An APP1 EXIF payload: a little-endian TIFF whose IFD0 holds one ImageDescription (0x010E, ASCII) entry.</summary>
    public static byte[] Exif(string description) => ExifBytes(Encoding.UTF8.GetBytes(description + "\0"));

    /// <summary>An APP1 EXIF payload whose ImageDescription is <paramref name="value"/> as given (no NUL added).</summary>
    public static byte[] ExifBytes(byte[] value)
    {
        var b = new List<byte>();
        b.AddRange("Exif\0\0"u8.ToArray());
        b.AddRange("II*\0"u8.ToArray());
        b.AddRange(U32(8));             // IFD0 at 8
        b.AddRange(U16(1));             // one entry
        b.AddRange(U16(0x010E));        // ImageDescription
        b.AddRange(U16(2));             // ASCII
        b.AddRange(U32((uint)value.Length));
        b.AddRange(value.Length <= 4 ? [.. value, .. new byte[4 - value.Length]] : U32(8 + 2 + 12 + 4));
        b.AddRange(U32(0));             // no next IFD
        if (value.Length > 4)
        {
            b.AddRange(value);
        }

        return [.. b];
    }

    /// <summary>An APP1 XMP payload with a <c>dc:description</c> of the given (language, text) alternatives.</summary>
    public static byte[] Xmp(params (string Lang, string Text)[] alternatives)
    {
        string items = string.Concat(alternatives.Select(a => $"<rdf:li xml:lang=\"{a.Lang}\">{System.Security.SecurityElement.Escape(a.Text)}</rdf:li>"));
        return XmpPacket(
            "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">" +
            "<rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:description><rdf:Alt>" + items +
            "</rdf:Alt></dc:description></rdf:Description></rdf:RDF></x:xmpmeta>");
    }

    /// <summary>An APP1 XMP payload holding <paramref name="xml"/> in an xpacket.</summary>
    public static byte[] XmpPacket(string xml) =>
        [.. "http://ns.adobe.com/xap/1.0/\0"u8, .. Encoding.UTF8.GetBytes("<?xpacket begin=\"\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>" + xml + "<?xpacket end=\"w\"?>")];

    private static byte[] U16(int v)
    {
        byte[] b = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)v);
        return b;
    }

    private static byte[] U32(uint v)
    {
        byte[] b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        return b;
    }
}
