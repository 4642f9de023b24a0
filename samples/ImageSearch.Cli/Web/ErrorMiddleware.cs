using Microsoft.AspNetCore.Http;

namespace ImageSearch.Cli.Web;

/// <summary>Turns failures into JSON <c>{ "message": ... }</c> with the status that fits them.</summary>
public sealed class ErrorMiddleware(RequestDelegate next)
{
    /// <summary>Runs the rest of the pipeline, answering its failures.</summary>
    /// <param name="context">The request.</param>
    /// <returns>A task.</returns>
    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            await next(context);
        }
        catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            var (status, message) = e switch
            {
                ApiException a => (a.Status, a.Message),
                BadHttpRequestException b => (b.StatusCode, CliApp.OneLine(b)),
                UnknownWordException u => (StatusCodes.Status400BadRequest, CliApp.OneLine(u)),
                KeyNotFoundException k => (StatusCodes.Status400BadRequest, CliApp.OneLine(k)),
                EmbeddingException m => (StatusCodes.Status400BadRequest, CliApp.OneLine(m)),
                _ => (StatusCodes.Status500InternalServerError, "Internal error: " + CliApp.OneLine(e)),
            };
            context.Response.Clear();
            context.Response.StatusCode = status;
            await context.Response.WriteAsJsonAsync(new ErrorBody(message));
        }
    }
}

/// <summary>The body of every error answer.</summary>
/// <param name="Message">What went wrong.</param>
public sealed record ErrorBody(string Message);
