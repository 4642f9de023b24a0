using ImageSearch.Cli.Web;
using Microsoft.Extensions.Hosting;
using Microsoft.Playwright;

namespace ImageSearch.Web.Tests;

/// <summary>
/// The page in a real browser: Debian's chromium (headless, through its executable path) driven by Playwright, against
/// the real Kestrel server of <c>serve</c> on a free localhost port.
/// </summary>
[Collection("web")]
public sealed class BrowserTests(WebIndexFixture index) : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";
    private IHost? _host;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        if (BrowserFactAttribute.Absent() is not null)
        {
            return;
        }

        _host = await ServeCommand.StartAsync(index.Options, 0, CancellationToken.None);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox"], // CI runs as root
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_host is not null)
        {
            await _host.StopAsync();
            _host.Dispose();
        }
    }

    private async Task<IPage> OpenAsync()
    {
        var page = await _browser!.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync(ServeCommand.Address(_host!).ToString());
        await page.Locator("#status").Filter(new LocatorFilterOptions { HasText = "photos" }).WaitForAsync();
        return page;
    }

    private static Task<string[]> AttributeOfCardsAsync(IPage page, string selector, string attribute)
        => page.Locator(selector).EvaluateAllAsync<string[]>($"els => els.map(e => e.dataset.{attribute})");

    [BrowserFact]
    public async Task SearchDog_ShowsDogPhotos_WithThumbnails_AndTags()
    {
        var page = await OpenAsync();
        await page.FillAsync("#words", "dog");
        await page.ClickAsync("#search-button");
        await page.Locator("#grid li.card").First.WaitForAsync();
        string[] labels = await AttributeOfCardsAsync(page, "#grid li.card", "label");
        Assert.True(labels.Length >= 5);
        Assert.Equal("dog", labels[0]);
        Assert.True(labels.Take(5).Count(l => l == "dog") >= 4, string.Join(",", labels));

        // Thumbnails come from /thumbs and are real pictures, except the indexed link out of the folder, which the
        // server refuses and the page marks as not available.
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#grid img')].every(i => i.complete)");
        var states = await page.Locator("#grid li.card").EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.path + '|' + (e.querySelector('img').naturalWidth > 0) + '|' + e.classList.contains('unavailable'))");
        foreach (string state in states)
        {
            string[] p = state.Split('|');
            Assert.True(p.Length == 3, state);
            Assert.Equal(p[0] == index.LinkPath ? "false|true" : "true|false", p[1] + "|" + p[2]);
        }

        Assert.Matches(@"#1 dog · 0\.\d{4}", await page.Locator("#grid li.card .caption").First.InnerTextAsync());

        // Tags of a photo appear under it.
        await page.Locator("#grid li.card .tag-button").First.ClickAsync();
        await page.Locator("#grid li.card .tags li").First.WaitForAsync();
        Assert.True(await page.Locator("#grid li.card").First.Locator(".tags li").CountAsync() >= 3);

        string? shot = Environment.GetEnvironmentVariable("IMAGESEARCH_SCREENSHOT");
        if (!string.IsNullOrEmpty(shot))
        {
            // Hand-run to refresh docs/images/web.png (tests never write into the checkout by themselves).
            await page.Locator("#grid li.card .tag-button").Nth(1).ClickAsync();
            await page.Locator("#grid li.card").Nth(1).Locator(".tags li").First.WaitForAsync();
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot });
        }
    }

    [BrowserFact]
    public async Task UploadedAndDroppedPhotos_FindLookAlikes_ThenMoreLikeThis()
    {
        var page = await OpenAsync();
        string cat = index.ByClass["cat"][0];
        await page.SetInputFilesAsync("#upload", cat);
        await page.Locator("#grid li.card").First.WaitForAsync();
        Assert.Equal(cat, (await AttributeOfCardsAsync(page, "#grid li.card", "path"))[0]);

        // Drop: a DataTransfer holding the photo's bytes, dropped on the drop zone.
        string boat = index.ByClass["boat"][1];
        await page.EvaluateAsync(
            """
            async (url) => {
              const blob = await (await fetch(url)).blob();
              const dt = new DataTransfer();
              dt.items.add(new File([blob], "dropped.jpg", { type: "image/jpeg" }));
              document.getElementById("drop").dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
            }
            """,
            "/photos/" + Uri.EscapeDataString(boat));
        await page.Locator("#title").Filter(new LocatorFilterOptions { HasText = "dropped.jpg" }).WaitForAsync();
        await page.WaitForFunctionAsync($"() => document.querySelector('#grid li.card')?.dataset.path === {System.Text.Json.JsonSerializer.Serialize(boat)}");

        // More like this: the clicked photo becomes the query (with its tags), and is left out of the results.
        string second = (await AttributeOfCardsAsync(page, "#grid li.card", "path"))[1];
        await page.Locator("#grid li.card .more").Nth(1).ClickAsync();
        await page.Locator("#title").Filter(new LocatorFilterOptions { HasText = "more like this" }).WaitForAsync();
        await page.Locator("#query .tags li").First.WaitForAsync();
        Assert.Equal(second, await page.Locator("#query .card").GetAttributeAsync("data-path"));
        await page.Locator("#grid li.card").First.WaitForAsync();
        Assert.DoesNotContain(second, await AttributeOfCardsAsync(page, "#grid li.card", "path"));
    }

    [BrowserFact]
    public async Task ClassList_IsFilled_AndPagingMovesOn()
    {
        var page = await OpenAsync();
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#class option').length > 1000");
        await page.FillAsync("#words", "animal");
        await page.ClickAsync("#search-button");
        await page.Locator("#grid li.card").First.WaitForAsync();
        Assert.Equal(24, await page.Locator("#grid li.card").CountAsync());
        string[] first = await AttributeOfCardsAsync(page, "#grid li.card", "path");
        await page.ClickAsync("#next");
        await page.Locator("#page").Filter(new LocatorFilterOptions { HasText = "25–" }).WaitForAsync();
        string[] second = await AttributeOfCardsAsync(page, "#grid li.card", "path");
        Assert.NotEmpty(second);
        Assert.Empty(first.Intersect(second));
    }
}

/// <summary>Skipped, with the reason, when the photos, GloVe or chromium are absent.</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        Skip = Absent();
    }

    public static string? Absent()
        => WebIndexFixture.Absent()
           ?? (File.Exists(BrowserTests.Chromium) ? null : $"chromium not installed at {BrowserTests.Chromium} (apt-get install chromium): the browser tests are NOT run.");
}
