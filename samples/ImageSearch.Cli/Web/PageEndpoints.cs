using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ImageSearch.Cli.Web;

/// <summary>The page: <c>index.html</c>, <c>app.js</c> and <c>app.css</c>, embedded in the assembly (Web/wwwroot).</summary>
public static class PageEndpoints
{
    private static readonly Dictionary<string, string> Files = new(StringComparer.Ordinal)
    {
        ["/"] = "index.html",
        ["/app.js"] = "app.js",
        ["/app.css"] = "app.css",
    };

    /// <summary>Maps the page's files.</summary>
    /// <param name="app">The endpoints.</param>
    public static void Map(IEndpointRouteBuilder app)
    {
        foreach (var (route, name) in Files)
        {
            byte[] bytes = Read(name);
            string type = Path.GetExtension(name) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                _ => "text/css; charset=utf-8",
            };
            app.MapGet(route, () => Results.Bytes(bytes, type)).ExcludeFromDescription();
        }
    }

    private static byte[] Read(string name)
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream("wwwroot/" + name)
            ?? throw new InvalidOperationException($"The page file '{name}' is not embedded in the assembly.");
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }
}
