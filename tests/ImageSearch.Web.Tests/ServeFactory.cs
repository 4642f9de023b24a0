using ImageSearch.Cli.Web;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Hosting;

namespace ImageSearch.Web.Tests;

/// <summary>The <c>serve</c> app in memory (TestServer), configured exactly as the command configures it.</summary>
public sealed class ServeFactory(ServeOptions options) : WebApplicationFactory<ServeOptions>
{
    protected override IHostBuilder CreateHostBuilder()
        => new HostBuilder().ConfigureWebHost(web => WebSetup.Configure(web, options));
}
