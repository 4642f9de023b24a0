using System.Reflection;
using System.Text;
using PublicApiGenerator;

namespace ImageSearch.Testing;

/// <summary>
/// Compares an assembly's public API (as PublicApiGenerator writes it) with the approved file in <c>api/</c>, so every
/// API change shows up as a diff in review. Compiled into each test project that checks a package.
/// </summary>
internal static class PublicApiSnapshot
{
    /// <summary>Set to 1 to rewrite the approved files from the current code instead of failing.</summary>
    public const string AcceptVariable = "IMAGESEARCH_ACCEPT_API";

    /// <summary>The one command that regenerates every approved file (documented in CONTRIBUTING.md).</summary>
    public const string AcceptCommand = "IMAGESEARCH_ACCEPT_API=1 dotnet test ImageSearch.sln -c Release --filter FullyQualifiedName~PublicApi";

    /// <summary>Fails, naming the changed lines and how to accept them, unless the assembly's public API equals the approved file.</summary>
    /// <param name="assembly">The package's assembly.</param>
    public static void Verify(Assembly assembly)
    {
        string name = assembly.GetName().Name!;
        string approvedPath = Path.Combine(RepositoryRoot(), "api", name + ".approved.txt");
        string actual = Generate(assembly);
        string? approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).Replace("\r\n", "\n") : null;
        if (approved == actual)
        {
            return;
        }

        if (Environment.GetEnvironmentVariable(AcceptVariable) == "1")
        {
            File.WriteAllText(approvedPath, actual);
            return;
        }

        var message = new StringBuilder();
        message.Append(approved is null
            ? $"No approved public API for {name} at {approvedPath}.\n"
            : $"The public API of {name} differs from {approvedPath}:\n{Diff(approved, actual)}");
        message.Append($"If the change is intended, accept it with\n  {AcceptCommand}\nthen review the diff of api/ and commit it with the code.");
        Assert.Fail(message.ToString());
    }

    /// <summary>
    /// The public API text: no assembly attributes (InternalsVisibleTo, build metadata), no async-iterator attributes
    /// (they name compiler-generated types that change with unrelated edits), \n line ends, one final newline.
    /// </summary>
    internal static string Generate(Assembly assembly)
        => assembly.GeneratePublicApi(new ApiGeneratorOptions
            {
                IncludeAssemblyAttributes = false,
                ExcludeAttributes = ["System.Runtime.CompilerServices.AsyncIteratorStateMachineAttribute"],
            })
            .Replace("\r\n", "\n").TrimEnd('\n') + "\n";

    /// <summary>Lines only in the approved file ("-") and only in the current API ("+"), at most 40 of each.</summary>
    private static string Diff(string approved, string actual)
    {
        string[] before = approved.Split('\n');
        string[] after = actual.Split('\n');
        var removed = before.Except(after).Where(l => l.Trim().Length > 1).ToList();
        var added = after.Except(before).Where(l => l.Trim().Length > 1).ToList();
        var text = new StringBuilder();
        foreach (string line in removed.Take(40))
        {
            text.Append("- ").Append(line.Trim()).Append('\n');
        }

        foreach (string line in added.Take(40))
        {
            text.Append("+ ").Append(line.Trim()).Append('\n');
        }

        if (removed.Count > 40 || added.Count > 40)
        {
            text.Append($"... ({removed.Count} lines removed, {added.Count} added in all)\n");
        }

        return text.ToString();
    }

    private static string RepositoryRoot()
        => typeof(PublicApiSnapshot).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "ImageSearch.RepositoryRoot").Value!;
}
