using System.Globalization;
using System.Net;
using System.Text;
using SkiaSharp;

namespace ImageSearch.Cli;

/// <summary>
/// Writes a self-contained HTML page of results: photo results as small JPEG thumbnails (data URIs, so the page can be
/// mailed or moved) with rank, distance and label; word results as a list.
/// </summary>
public static class ContactSheet
{
    private const int ThumbnailSize = 160;

    /// <summary>Writes the page atomically.</summary>
    /// <param name="path">The HTML file.</param>
    /// <param name="title">The heading.</param>
    /// <param name="rows">The results.</param>
    /// <param name="queryImage">The query photo, shown first; may be <see langword="null"/>.</param>
    public static void Write(string path, string title, IReadOnlyList<ResultRow> rows, string? queryImage)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>").Append(WebUtility.HtmlEncode(title)).Append("</title>\n<style>")
          .Append("body{font-family:sans-serif;margin:1em}figure{display:inline-block;margin:6px;width:")
          .Append(ThumbnailSize + 10).Append("px;vertical-align:top;text-align:center}figure img{max-width:").Append(ThumbnailSize)
          .Append("px;max-height:").Append(ThumbnailSize).Append("px;border:1px solid #ccc}figcaption{font-size:12px;word-break:break-all}")
          .Append(".query img{border:3px solid #36c}table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd}</style></head><body>\n")
          .Append("<h1>").Append(WebUtility.HtmlEncode(title)).Append("</h1>\n");
        if (queryImage is not null)
        {
            sb.Append("<figure class=\"query\">").Append(Img(queryImage)).Append("<figcaption>query<br>")
              .Append(WebUtility.HtmlEncode(Output.Short(queryImage))).Append("</figcaption></figure><hr>\n");
        }

        if (rows.Count > 0 && rows[0].Word is not null)
        {
            sb.Append("<table><tr><th>#</th><th>word</th><th>distance</th></tr>\n");
            foreach (var r in rows)
            {
                sb.Append(c, $"<tr><td>{r.Rank}</td><td>{WebUtility.HtmlEncode(r.Word)}</td><td>{r.Distance:F4}</td></tr>\n");
            }

            sb.Append("</table>\n");
        }
        else
        {
            foreach (var r in rows)
            {
                sb.Append("<figure>").Append(Img(r.Path!)).Append(c, $"<figcaption>#{r.Rank} &middot; {r.Distance:F4}<br>")
                  .Append(WebUtility.HtmlEncode(r.Label ?? "")).Append("<br><small>").Append(WebUtility.HtmlEncode(Path.GetFileName(r.Path))).Append("</small></figcaption></figure>\n");
            }
        }

        sb.Append("</body></html>\n");
        byte[] bytes = Encoding.UTF8.GetBytes(sb.ToString());
        // Written beside the target and renamed over it, so a reader never sees half a page.
        string full = Path.GetFullPath(path), temp = full + ".tmp";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, full, overwrite: true);
    }

    /// <summary>A JPEG thumbnail of a photo as a data URI, or <see langword="null"/> when it cannot be read.</summary>
    /// <param name="path">The photo.</param>
    /// <returns>The data URI, or <see langword="null"/>.</returns>
    public static string? Thumbnail(string path)
    {
        try
        {
            using var bitmap = SKBitmap.Decode(path);
            if (bitmap is null)
            {
                return null;
            }

            float scale = Math.Min(1f, (float)ThumbnailSize / Math.Max(bitmap.Width, bitmap.Height));
            int w = Math.Max(1, (int)MathF.Round(bitmap.Width * scale)), h = Math.Max(1, (int)MathF.Round(bitmap.Height * scale));
            using var small = bitmap.Resize(new SKImageInfo(w, h), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
            using var image = SKImage.FromBitmap(small ?? bitmap);
            using var data = image.Encode(SKEncodedImageFormat.Jpeg, 75);
            return "data:image/jpeg;base64," + Convert.ToBase64String(data.AsSpan());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    private static string Img(string path)
    {
        string? uri = Thumbnail(path);
        return uri is null
            ? "<div style=\"width:160px;height:120px;background:#eee\">(unreadable)</div>"
            : $"<img src=\"{uri}\" alt=\"{WebUtility.HtmlEncode(Path.GetFileName(path))}\">";
    }
}
