using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ImageSearch.Cli.Web;

/// <summary><c>imagesearch serve --index DIR [--port N]</c>: the page and its JSON API on localhost.</summary>
public static class ServeCommand
{
    /// <summary>The port when <c>--port</c> is not given.</summary>
    public const int DefaultPort = 5080;

    /// <summary>Runs the command until cancelled (Ctrl+C).</summary>
    /// <param name="a">The arguments.</param>
    /// <param name="stdout">Where the URL is printed.</param>
    /// <param name="glove">Where GloVe is.</param>
    /// <param name="ct">Stops the server.</param>
    /// <returns>0.</returns>
    public static async Task<int> RunAsync(CliArgs a, TextWriter stdout, GloveSource glove, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(glove);
        a.Expect(0, 0, "no positional arguments");
        string index = a.Required("index");
        string? portText = a.Option("port");
        int port = portText == "0" ? 0 : a.PositiveInt("port", DefaultPort);
        a.RejectUnused();
        if (port > 65535)
        {
            throw new UsageException($"--port must be at most 65535, not {port}.");
        }

        using var host = await StartAsync(new ServeOptions(index, glove.EngineOptions()), port, ct);

        // Open the index now, and fetch GloVe now rather than in the middle of a request when it can search by words.
        bool hasDevise;
        using (var lease = await host.Services.GetRequiredService<IndexState>().AcquireAsync(ct))
        {
            // Released at once: a lease held for the server's lifetime would keep a replaced index's engine open.
            hasDevise = lease.Snapshot?.Engine.HasDevise ?? false;
            if (lease.Snapshot is null)
            {
                stdout.WriteLine($"no index in '{Path.GetFullPath(index)}' yet: the page says it is being built until one is saved there");
            }
        }

        if (hasDevise)
        {
            await glove.EnsureAsync(ct);
        }

        stdout.WriteLine($"listening on {Address(host)}  (Ctrl+C stops)");
        stdout.Flush();
        // Ctrl+C reaches the host's console lifetime (SIGINT, SIGTERM) or the CLI's token: either stops the server.
        await host.WaitForShutdownAsync(ct);
        return 0;
    }

    /// <summary>Starts the server on localhost.</summary>
    /// <param name="options">What to serve.</param>
    /// <param name="port">The port; 0 picks a free one.</param>
    /// <param name="ct">Cancels the start.</param>
    /// <returns>The running host (see <see cref="Address"/>).</returns>
    public static async Task<IHost> StartAsync(ServeOptions options, int port, CancellationToken ct)
    {
        var host = new HostBuilder()
            .ConfigureWebHost(web => WebSetup.Configure(web.UseKestrel(k =>
            {
                // Localhost only: the page shows a person's photos to whoever can reach it.
                if (port == 0)
                {
                    k.Listen(IPAddress.Loopback, 0);
                }
                else
                {
                    k.ListenLocalhost(port);
                }

                k.Limits.MaxRequestBodySize = options.MaxUploadBytes + 1;
            }), options))
            .Build();
        await host.StartAsync(ct);
        return host;
    }

    /// <summary>The URL a started host listens on.</summary>
    /// <param name="host">The host.</param>
    /// <returns>Like <c>http://localhost:5080/</c>.</returns>
    public static Uri Address(IHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        string first = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var uri = new Uri(first);
        return new Uri($"http://localhost:{uri.Port}/");
    }
}
