using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ImageSearch.Cli;
using ImageSearch.Cli.Web;

namespace ImageSearch.Web.Tests;

[Collection("web")]
public sealed class ApiTests(WebIndexFixture index) : IDisposable
{
    private readonly ServeFactory _factory = new(index.Options);

    public void Dispose() => _factory.Dispose();

    private HttpClient Client() => _factory.CreateClient();

    private static async Task<JsonElement> Json(HttpResponseMessage r) => JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;

    private static async Task<string> ErrorOf(HttpResponseMessage r, HttpStatusCode expected)
    {
        Assert.Equal(expected, r.StatusCode);
        Assert.StartsWith("application/json", r.Content.Headers.ContentType?.ToString());
        string message = (await Json(r)).GetProperty("message").GetString()!;
        Assert.False(string.IsNullOrWhiteSpace(message));
        return message;
    }

    [WebFact]
    public async Task Search_Dog_ReturnsDogPhotos_AsTheCliJsonArray()
    {
        var r = await Client().GetAsync("/api/search?q=dog&k=5");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        string body = await r.Content.ReadAsStringAsync();

        // Byte for byte what `imagesearch search dog -k 5 --json` prints for the same index.
        var cli = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["search", "dog", "--index", index.Index, "-k", "5", "--json", "--cache", Path.GetDirectoryName(index.Options.EngineOptions.GloveDirectory)!], cli, TextWriter.Null));
        Assert.Equal(cli.ToString().TrimEnd(), body.TrimEnd());

        var rows = JsonDocument.Parse(body).RootElement.EnumerateArray().ToList();
        Assert.Equal(5, rows.Count);
        Assert.Equal(1, rows[0].GetProperty("rank").GetInt32());
        Assert.True(rows.Count(x => x.GetProperty("label").GetString() == "dog") >= 4, body);
    }

    [WebFact]
    public async Task Search_SeveralWords_AverageAndSum_BothAnswer_BadCombineIs400()
    {
        var avg = await Json(await Client().GetAsync("/api/search?q=cat%20sofa&k=3&combine=average"));
        var sum = await Json(await Client().GetAsync("/api/search?q=cat+sofa&k=3&combine=sum"));
        Assert.Equal(3, avg.GetArrayLength());
        Assert.Equal(3, sum.GetArrayLength());
        await ErrorOf(await Client().GetAsync("/api/search?q=cat&combine=max"), HttpStatusCode.BadRequest);
        await ErrorOf(await Client().GetAsync("/api/search?q=%20"), HttpStatusCode.BadRequest);
        await ErrorOf(await Client().GetAsync("/api/search?q=cat&k=0"), HttpStatusCode.BadRequest);
        await ErrorOf(await Client().GetAsync("/api/search?q=cat&k=abc"), HttpStatusCode.BadRequest);
        string unknown = await ErrorOf(await Client().GetAsync("/api/search?q=qwxzzyq"), HttpStatusCode.BadRequest);
        Assert.Contains("qwxzzyq", unknown);
    }

    [WebFact]
    public async Task Similar_ByStoredPath_LeavesThePhotoOut_AndClassWeightingAnswers()
    {
        string dog = index.ByClass["dog"][0];
        var rows = await Json(await Client().GetAsync($"/api/similar?path={Uri.EscapeDataString(dog)}&k=5"));
        Assert.Equal(5, rows.GetArrayLength());
        Assert.DoesNotContain(rows.EnumerateArray(), x => x.GetProperty("path").GetString() == dog);

        var weighted = await Json(await Client().GetAsync($"/api/similar?path={Uri.EscapeDataString(dog)}&k=5&class=tabby"));
        Assert.Equal(5, weighted.GetArrayLength());
        await ErrorOf(await Client().GetAsync($"/api/similar?path={Uri.EscapeDataString(dog)}&class=nosuchclassxyz"), HttpStatusCode.BadRequest);
        await ErrorOf(await Client().GetAsync("/api/similar?k=5"), HttpStatusCode.BadRequest);
    }

    [WebFact]
    public async Task Tags_OfADogPhoto_AreWords()
    {
        string dog = index.ByClass["dog"][1];
        var rows = await Json(await Client().GetAsync($"/api/tags?path={Uri.EscapeDataString(dog)}&k=8"));
        Assert.Equal(8, rows.GetArrayLength());
        Assert.All(rows.EnumerateArray(), x => Assert.False(string.IsNullOrEmpty(x.GetProperty("word").GetString())));
    }

    [WebFact]
    public async Task Upload_FindsLookAlikes_CorruptIs400_TooLargeIs413_EmptyIs400()
    {
        string cat = index.ByClass["cat"][0];
        using var photo = new ByteArrayContent(await File.ReadAllBytesAsync(cat));
        photo.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        var rows = await Json(await Client().PostAsync("/api/similar?k=3", photo));
        Assert.Equal(3, rows.GetArrayLength());

        // Uploaded bytes are not an indexed file: the same photo comes back first, at distance ~0.
        Assert.Equal(cat, rows[0].GetProperty("path").GetString());
        Assert.True(rows[0].GetProperty("distance").GetDouble() < 1e-3);

        using var corrupt = new ByteArrayContent("not a photo at all"u8.ToArray());
        await ErrorOf(await Client().PostAsync("/api/similar", corrupt), HttpStatusCode.BadRequest);
        using var form = new StringContent("a=b", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded");
        await ErrorOf(await Client().PostAsync("/api/similar", form), HttpStatusCode.BadRequest);
        using var empty = new ByteArrayContent([]);
        await ErrorOf(await Client().PostAsync("/api/similar", empty), HttpStatusCode.BadRequest);

        using var small = new ServeFactory(index.Options with { MaxUploadBytes = 1000 });
        using var big = new ByteArrayContent(await File.ReadAllBytesAsync(cat));
        string message = await ErrorOf(await small.CreateClient().PostAsync("/api/similar", big), HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("limit", message);
    }

    [WebFact]
    public async Task Classes_AreImageNet_ForMobileNetV2()
    {
        var c = await Json(await Client().GetAsync("/api/classes"));
        Assert.Equal("imagenet", c.GetProperty("source").GetString());
        Assert.Equal(1000, c.GetProperty("classes").GetArrayLength());
    }

    [WebFact]
    public async Task Status_OpenApi_AndPage_AreServed()
    {
        var s = await Json(await Client().GetAsync("/api/status"));
        Assert.True(s.GetProperty("ready").GetBoolean());
        Assert.Equal(WebIndexFixture.Classes.Length * WebIndexFixture.PerClass + 1, s.GetProperty("photos").GetInt32());
        Assert.True(s.GetProperty("devise").GetBoolean());

        var openApi = await Json(await Client().GetAsync("/openapi/v1.json"));
        var paths = openApi.GetProperty("paths");
        foreach (string p in new[] { "/api/search", "/api/similar", "/api/tags", "/api/classes", "/api/status" })
        {
            Assert.True(paths.TryGetProperty(p, out _), p);
        }

        string html = await Client().GetStringAsync("/");
        Assert.Contains("<script src=\"/app.js\">", html);
        Assert.Contains("/api/search", await Client().GetStringAsync("/app.js"));
    }

    [WebFact]
    public async Task Photo_AndThumbnail_AreServed_ThumbnailCachedInTheIndexFolder()
    {
        string dog = index.ByClass["dog"][2];
        var photo = await Client().GetAsync("/photos/" + Uri.EscapeDataString(dog));
        Assert.Equal(HttpStatusCode.OK, photo.StatusCode);
        Assert.Equal("image/jpeg", photo.Content.Headers.ContentType?.MediaType);
        Assert.Equal(await File.ReadAllBytesAsync(dog), await photo.Content.ReadAsByteArrayAsync());

        var thumb = await Client().GetAsync("/thumbs/" + Uri.EscapeDataString(dog));
        Assert.Equal(HttpStatusCode.OK, thumb.StatusCode);
        byte[] jpeg = await thumb.Content.ReadAsByteArrayAsync();
        using (var bitmap = SkiaSharp.SKBitmap.Decode(jpeg))
        {
            Assert.Equal(Thumbnails.Size, Math.Max(bitmap.Width, bitmap.Height));
        }

        string[] cached = Directory.GetFiles(Path.Combine(index.Index, "thumbs"), "*.jpg");
        Assert.Contains(cached, f => File.ReadAllBytes(f).AsSpan().SequenceEqual(jpeg));
    }

    [WebFact]
    public async Task OnlyIndexedPhotosAreServed_NoTraversal_NoLinks_NothingWrittenOutsideTheIndex()
    {
        string before = string.Join("\n", index.FilesOutsideIndex().Order(StringComparer.Ordinal));
        string dog = index.ByClass["dog"][0];
        string dogFolder = Path.GetDirectoryName(dog)!;
        string[] attacks =
        [
            "..%2F..%2F..%2Fetc%2Fpasswd",
            "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
            "%2Fetc%2Fpasswd",
            "/etc/passwd",
            "../../../../etc/passwd",
            Uri.EscapeDataString(dogFolder + "/../cat/" + Path.GetFileName(index.ByClass["cat"][0])),
            Uri.EscapeDataString(dogFolder + "/./" + Path.GetFileName(dog)),
            Uri.EscapeDataString(Path.Combine(index.Index, "manifest.json")),
            Uri.EscapeDataString(index.Outside),
            "%252Fetc%252Fpasswd",
            "",
        ];
        foreach (string prefix in new[] { "/photos/", "/thumbs/" })
        {
            foreach (string a in attacks)
            {
                var r = await Client().GetAsync(prefix + a);
                Assert.True(r.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest, $"{prefix}{a}: {r.StatusCode}");
                string body = await r.Content.ReadAsStringAsync();
                Assert.DoesNotContain("root:", body);
            }

            // The link is in the index (the folder scan found it) but leads out of the folder: never served.
            Assert.True(index.LinkIndexed);
            var link = await Client().GetAsync(prefix + Uri.EscapeDataString(index.LinkPath));
            await ErrorOf(link, HttpStatusCode.NotFound);
        }

        foreach (string api in new[] { "/api/similar?path=", "/api/tags?path=" })
        {
            await ErrorOf(await Client().GetAsync(api + Uri.EscapeDataString("/etc/passwd")), HttpStatusCode.NotFound);
            await ErrorOf(await Client().GetAsync(api + Uri.EscapeDataString(dogFolder + "/../cat/" + Path.GetFileName(index.ByClass["cat"][0]))), HttpStatusCode.NotFound);
            await ErrorOf(await Client().GetAsync(api + Uri.EscapeDataString(index.LinkPath)), HttpStatusCode.NotFound);
        }

        Assert.Equal(before, string.Join("\n", index.FilesOutsideIndex().Order(StringComparer.Ordinal)));
    }

    [WebFact]
    public async Task NoIndexYet_StatusSaysBeingBuilt_SearchesAre503()
    {
        string empty = Path.Combine(index.Root, "not-yet-" + Guid.NewGuid().ToString("N")[..6]);
        using var factory = new ServeFactory(index.Options with { IndexDirectory = empty });
        var s = await Json(await factory.CreateClient().GetAsync("/api/status"));
        Assert.False(s.GetProperty("ready").GetBoolean());
        Assert.Contains("being built", s.GetProperty("message").GetString());
        await ErrorOf(await factory.CreateClient().GetAsync("/api/search?q=dog"), HttpStatusCode.ServiceUnavailable);
        Assert.False(Directory.Exists(empty));
    }

    [WebFact]
    public async Task NoDeviseHead_WordsAndTagsAre409()
    {
        string dir = Path.Combine(index.Root, "index-no-devise");
        await using (var engine = await ImageSearchEngine.OpenOrCreateAsync(dir, ImageModelSpec.Parse("mobilenetv2")))
        {
            await engine.SyncFolderAsync(Path.Combine(index.Photos, "boat"));
            await engine.SaveAsync(dir);
        }

        using var factory = new ServeFactory(index.Options with { IndexDirectory = dir });
        string message = await ErrorOf(await factory.CreateClient().GetAsync("/api/search?q=boat"), HttpStatusCode.Conflict);
        Assert.Contains("train-devise", message);
        await ErrorOf(await factory.CreateClient().GetAsync($"/api/tags?path={Uri.EscapeDataString(index.ByClass["boat"][0])}"), HttpStatusCode.Conflict);
        var similar = await Json(await factory.CreateClient().GetAsync($"/api/similar?path={Uri.EscapeDataString(index.ByClass["boat"][0])}&k=2"));
        Assert.Equal(2, similar.GetArrayLength());
    }
}
