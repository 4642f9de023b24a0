using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.StaticFiles;

namespace ImageSearch.Cli.Web;

/// <summary>
/// <c>GET /photos/&lt;path&gt;</c> and <c>GET /thumbs/&lt;path&gt;</c>: a photo of the index and its cached thumbnail.
/// <c>&lt;path&gt;</c> is the path stored in the index, URL-encoded as one segment (<c>encodeURIComponent</c>); it is
/// only looked up in the catalog (<see cref="IndexSnapshot.FindFile"/>), so only indexed photos are ever served.
/// </summary>
public static class PhotoEndpoints
{
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    /// <summary>Maps the two routes.</summary>
    /// <param name="app">The endpoints.</param>
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/photos/{*path}", PhotoAsync).WithSummary("An indexed photo, by its path as stored in the index.").Produces<ErrorBody>(404);
        app.MapGet("/thumbs/{*path}", ThumbAsync).WithSummary("The thumbnail of an indexed photo (made once, cached in the index folder).").Produces<ErrorBody>(404);
    }

    /// <summary>The stored path a <c>/photos/...</c> or <c>/thumbs/...</c> URL names.</summary>
    /// <param name="routeValue">The route value (the server has decoded everything but <c>%2F</c>).</param>
    /// <returns>The path.</returns>
    public static string StoredPath(string? routeValue)
        => (routeValue ?? "").Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);

    private static async Task<IResult> PhotoAsync(IndexState state, string? path, CancellationToken ct)
    {
        using var lease = await state.AcquireAsync(ct);
        var s = lease.Require();
        var (_, photo, file) = s.FindFile(StoredPath(path));
        string type = ContentTypes.TryGetContentType(photo.Path, out var t) ? t : "application/octet-stream";
        return Results.File(file.FullName, type, enableRangeProcessing: false);
    }

    private static async Task<IResult> ThumbAsync(IndexState state, string? path, CancellationToken ct)
    {
        using var lease = await state.AcquireAsync(ct);
        var s = lease.Require();
        var (key, photo, file) = s.FindFile(StoredPath(path));
        string? thumb = await Task.Run(() => Thumbnails.Get(state.Directory, key, photo, file), ct);
        return thumb is null
            ? throw new ApiException(StatusCodes.Status404NotFound, "That photo cannot be decoded any more.")
            : Results.File(thumb, "image/jpeg");
    }
}
