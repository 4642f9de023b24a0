namespace ImageSearch.Cli.Web;

/// <summary>A request that fails with <paramref name="status"/>; answered as JSON <c>{ "message": ... }</c>.</summary>
/// <param name="status">The HTTP status code.</param>
/// <param name="message">What went wrong, for the user.</param>
public sealed class ApiException(int status, string message) : Exception(message)
{
    /// <summary>The HTTP status code.</summary>
    public int Status { get; } = status;
}
