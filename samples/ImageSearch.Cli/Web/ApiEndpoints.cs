using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ImageSearch.Cli.Web;

/// <summary>
/// The JSON API under <c>/api</c>. Searches answer with exactly the array the CLI prints with <c>--json</c>
/// (<see cref="Output.WriteJson"/>); errors with <c>{ "message": ... }</c> (<see cref="ErrorMiddleware"/>).
/// </summary>
public static class ApiEndpoints
{
    /// <summary>Maps the API.</summary>
    /// <param name="app">The endpoints.</param>
    public static void Map(IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api");
        api.MapGet("/status", StatusAsync).WithSummary("Whether the index is ready: photos, model, DeViSE head.").Produces<IndexStatus>();
        api.MapGet("/search", SearchAsync).WithSummary("Photos for words (DeViSE): q = words separated by spaces, combine = average|sum.")
            .Produces<ResultRow[]>().Produces<ErrorBody>(400).Produces<ErrorBody>(409);
        api.MapGet("/similar", SimilarAsync).WithSummary("Look-alikes of an indexed photo, class-weighted when class is given.")
            .Produces<ResultRow[]>().Produces<ErrorBody>(400).Produces<ErrorBody>(404);
        api.MapPost("/similar", SimilarUploadAsync).WithSummary("Look-alikes of an uploaded photo (the request body: JPEG, PNG, WebP, GIF or BMP bytes).")
            .Accepts<byte[]>("*/*") // any declared type: the bytes decide (a wrong type gets a JSON 400, not a bare 415)
            .Produces<ResultRow[]>().Produces<ErrorBody>(400).Produces<ErrorBody>(413);
        api.MapGet("/tags", TagsAsync).WithSummary("Words for an indexed photo (DeViSE).")
            .Produces<ResultRow[]>().Produces<ErrorBody>(404).Produces<ErrorBody>(409);
        api.MapGet("/classes", ClassesAsync).WithSummary("The classes for class-weighted search: ImageNet for mobilenetv2, folder labels otherwise.")
            .Produces<ClassList>();
    }

    private static async Task<IResult> StatusAsync(IndexState state, CancellationToken ct)
    {
        using var lease = await state.AcquireAsync(ct);
        var s = lease.Snapshot;
        return Results.Json(s is null
            ? new IndexStatus(false, 0, null, false, $"No index in '{state.Directory}' yet: it is being built.")
            : new IndexStatus(true, s.Engine.Count, s.Engine.ModelId, s.Engine.HasDevise, null));
    }

    private static async Task<IResult> SearchAsync(IndexState state, ServeOptions options, string? q, string? k, string? combine, CancellationToken ct)
    {
        string[] words = (q ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(w => w.ToLowerInvariant()).ToArray();
        if (words.Length == 0)
        {
            throw new ApiException(StatusCodes.Status400BadRequest, "'q' needs one or more words.");
        }

        var combination = combine?.ToLowerInvariant() switch
        {
            null or "" or "average" => TermCombination.Average,
            "sum" => TermCombination.Sum,
            _ => throw new ApiException(StatusCodes.Status400BadRequest, $"'combine' is average or sum, not '{combine}'."),
        };
        int n = K(k, options);
        using var lease = await state.AcquireAsync(ct);
        var s = lease.Require();
        RequireDevise(s);
        return Rows(CliApp.Rows(await s.Engine.SearchWordsAsync(words, n, combination, ct)));
    }

    private static async Task<IResult> SimilarAsync(IndexState state, ServeOptions options, string? path, string? k, string? @class, CancellationToken ct)
    {
        int n = K(k, options);
        using var lease = await state.AcquireAsync(ct);
        var s = lease.Require();
        var (_, _, file) = s.FindFile(path);
        var weights = await WeightsAsync(s, @class, ct);
        return Rows(CliApp.Rows(await s.Engine.SimilarAsync(ImageInput.FromFile(file.FullName), n, weights, ct)));
    }

    private static async Task<IResult> SimilarUploadAsync(HttpRequest request, IndexState state, ServeOptions options, string? k, string? @class, CancellationToken ct)
    {
        int n = K(k, options);
        byte[] bytes = await ReadLimitedAsync(request, options.MaxUploadBytes, ct);
        using var lease = await state.AcquireAsync(ct);
        var s = lease.Require();
        var weights = await WeightsAsync(s, @class, ct);

        // Decoded by the engine like any indexed photo: corrupt, empty, unknown-format or oversized pictures are refused (400).
        return Rows(CliApp.Rows(await s.Engine.SimilarAsync(ImageInput.FromBytes(bytes, "uploaded photo"), n, weights, ct)));
    }

    private static async Task<IResult> TagsAsync(IndexState state, ServeOptions options, string? path, string? k, CancellationToken ct)
    {
        int n = K(k, options);
        using var lease = await state.AcquireAsync(ct);
        var s = lease.Require();
        var (_, _, file) = s.FindFile(path);
        RequireDevise(s);
        return Rows(CliApp.Rows(await s.Engine.TagsAsync(ImageInput.FromFile(file.FullName), n, ct)));
    }

    private static async Task<IResult> ClassesAsync(IndexState state, CancellationToken ct)
    {
        using var lease = await state.AcquireAsync(ct);
        var s = lease.Require();
        try
        {
            ClassWeights classes = await s.Engine.GetClassWeightsAsync(ct);
            // The same resolution as `similar --class`: the engine says where its classes come from.
            string source = (await s.Engine.FindClassAsync("0", ct)).Source;
            return Results.Json(new ClassList(source, classes.ClassNames.ToArray()));
        }
        catch (InvalidOperationException e)
        {
            // Fewer than two folder labels and no ImageNet head: no class-weighted search for this index.
            return Results.Json(new ClassList("none", [], CliApp.OneLine(e)));
        }
    }

    private static async Task<ReadOnlyMemory<float>> WeightsAsync(IndexSnapshot s, string? cls, CancellationToken ct)
        => string.IsNullOrWhiteSpace(cls) ? default : (await s.Engine.FindClassAsync(cls, ct)).Weights;

    private static void RequireDevise(IndexSnapshot s)
    {
        if (!s.Engine.HasDevise)
        {
            throw new ApiException(StatusCodes.Status409Conflict, "This index has no DeViSE head yet: run 'imagesearch train-devise --index <dir>' first.");
        }
    }

    private static int K(string? k, ServeOptions options)
    {
        if (string.IsNullOrEmpty(k))
        {
            return 10;
        }

        return int.TryParse(k, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 && n <= options.MaxK
            ? n
            : throw new ApiException(StatusCodes.Status400BadRequest, $"'k' must be a whole number from 1 to {options.MaxK}, not '{k}'.");
    }

    private static async Task<byte[]> ReadLimitedAsync(HttpRequest request, long limit, CancellationToken ct)
    {
        string tooLarge = $"The photo is larger than the limit of {limit / (1024 * 1024)} MB.";
        if (request.ContentLength > limit)
        {
            throw new ApiException(StatusCodes.Status413PayloadTooLarge, tooLarge);
        }

        // Content-Length may be absent (chunked): count while reading, never buffer more than the limit.
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw new ApiException(StatusCodes.Status413PayloadTooLarge, tooLarge);
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            throw new ApiException(StatusCodes.Status400BadRequest, "The request body is empty: send the photo's bytes.");
        }

        return buffer.ToArray();
    }

    private static IResult Rows(IReadOnlyList<ResultRow> rows)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        Output.WriteJson(writer, rows);
        return Results.Text(writer.ToString(), "application/json");
    }
}

/// <summary>The answer of <c>GET /api/status</c>.</summary>
/// <param name="Ready">Whether an index is open.</param>
/// <param name="Photos">How many photos it holds.</param>
/// <param name="Model">The image model.</param>
/// <param name="Devise">Whether word search and tags work (a DeViSE head is trained).</param>
/// <param name="Message">Why it is not ready.</param>
public sealed record IndexStatus(bool Ready, int Photos, string? Model, bool Devise, string? Message);

/// <summary>The answer of <c>GET /api/classes</c>.</summary>
/// <param name="Source"><c>imagenet</c>, <c>folder labels</c> or <c>none</c>.</param>
/// <param name="Classes">The class names, by index.</param>
/// <param name="Message">Why there are none.</param>
public sealed record ClassList(string Source, IReadOnlyList<string> Classes, string? Message = null);
