using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace ImageSearch.Cli.Web;

/// <summary>The web app of <c>serve</c>: services and pipeline, shared by the real server and the tests.</summary>
public static class WebSetup
{
    /// <summary>Configures a web host to serve <paramref name="options"/>.</summary>
    /// <param name="web">The web host.</param>
    /// <param name="options">What to serve.</param>
    /// <returns>The same builder.</returns>
    public static IWebHostBuilder Configure(IWebHostBuilder web, ServeOptions options)
    {
        ArgumentNullException.ThrowIfNull(web);
        return web
            .ConfigureServices(s =>
            {
                s.AddSingleton(options);
                s.AddSingleton<IndexState>();
                s.AddRouting();
                s.AddOpenApi();
            })
            .Configure(app =>
            {
                app.UseMiddleware<ErrorMiddleware>();
                app.UseRouting();
                app.UseEndpoints(e =>
                {
                    e.MapOpenApi();
                    ApiEndpoints.Map(e);
                    PhotoEndpoints.Map(e);
                    PageEndpoints.Map(e);
                });
            });
    }
}
