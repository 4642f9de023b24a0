using System.Globalization;

namespace ImageSearch.Cli;

/// <summary>A mistake in the command line: printed with a hint, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// Parsed arguments: the command, positional values and options. Options are <c>--name value</c>, <c>--name=value</c>
/// or <c>-k value</c>; <c>--json</c>, <c>--help</c> and <c>--quiet</c> take no value.
/// </summary>
public sealed class CliArgs
{
    private static readonly HashSet<string> Flags = ["json", "help", "quiet", "hnsw"];
    private static readonly Dictionary<string, string> Short = new() { ["k"] = "k", ["o"] = "out", ["m"] = "model", ["h"] = "help", ["i"] = "index", ["q"] = "quiet" };
    private readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    private CliArgs(string command, List<string> positional)
    {
        Command = command;
        Positional = positional;
    }

    /// <summary>The command (first argument), or empty.</summary>
    public string Command { get; }

    /// <summary>Positional arguments after the command.</summary>
    public List<string> Positional { get; }

    /// <summary>Parses <paramref name="args"/>.</summary>
    /// <param name="args">The command line.</param>
    /// <returns>The parsed arguments.</returns>
    public static CliArgs Parse(IReadOnlyList<string> args)
    {
        var positional = new List<string>();
        var options = new List<(string, string)>();
        bool onlyPositional = false;
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (onlyPositional || a.Length < 2 || a[0] != '-' || (a.Length > 1 && char.IsDigit(a[1])))
            {
                positional.Add(a);
                continue;
            }

            if (a == "--")
            {
                onlyPositional = true;
                continue;
            }

            string name = a.StartsWith("--", StringComparison.Ordinal) ? a[2..] : (Short.TryGetValue(a[1..], out var s) ? s : throw new UsageException($"Unknown option '{a}'."));
            string? value = null;
            int eq = name.IndexOf('=');
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }

            if (Flags.Contains(name))
            {
                options.Add((name, value ?? "true"));
                continue;
            }

            if (value is null)
            {
                if (i + 1 >= args.Count)
                {
                    throw new UsageException($"Option '--{name}' needs a value.");
                }

                value = args[++i];
            }

            options.Add((name, value));
        }

        string command = positional.Count > 0 ? positional[0] : "";
        var parsed = new CliArgs(command, positional.Count > 0 ? positional[1..] : []);
        foreach (var (n, v) in options)
        {
            if (!parsed._options.TryAdd(n, v))
            {
                throw new UsageException($"Option '--{n}' is given twice.");
            }
        }

        return parsed;
    }

    /// <summary>Whether a flag is set.</summary>
    /// <param name="name">The flag, without dashes.</param>
    /// <returns>Whether it was given.</returns>
    public bool Flag(string name)
    {
        _used.Add(name);
        return _options.ContainsKey(name);
    }

    /// <summary>An option's value, or <see langword="null"/>.</summary>
    /// <param name="name">The option, without dashes.</param>
    /// <returns>The value.</returns>
    public string? Option(string name)
    {
        _used.Add(name);
        return _options.TryGetValue(name, out var v) ? v : null;
    }

    /// <summary>A required option.</summary>
    /// <param name="name">The option, without dashes.</param>
    /// <returns>The value.</returns>
    public string Required(string name) => Option(name) ?? throw new UsageException($"'{Command}' needs --{name} <{(name == "index" || name == "out" ? "dir" : "value")}>.");

    /// <summary>A positive integer option.</summary>
    /// <param name="name">The option.</param>
    /// <param name="fallback">The default.</param>
    /// <returns>The value.</returns>
    public int PositiveInt(string name, int fallback)
    {
        string? v = Option(name);
        if (v is null)
        {
            return fallback;
        }

        return int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0
            ? n
            : throw new UsageException($"--{name} must be a positive whole number, not '{v}'.");
    }

    /// <summary>The positional arguments, checking their count.</summary>
    /// <param name="min">Fewest allowed.</param>
    /// <param name="max">Most allowed.</param>
    /// <param name="what">What they are, for the message.</param>
    /// <returns>The positional arguments.</returns>
    public List<string> Expect(int min, int max, string what)
    {
        if (Positional.Count < min)
        {
            throw new UsageException($"'{Command}' needs {what}.");
        }

        if (Positional.Count > max)
        {
            throw new UsageException($"'{Command}' got unexpected argument '{Positional[max]}'.");
        }

        return Positional;
    }

    /// <summary>Fails on options the command did not read.</summary>
    public void RejectUnused()
    {
        foreach (string name in _options.Keys)
        {
            if (!_used.Contains(name))
            {
                throw new UsageException($"'{Command}' does not take --{name}.");
            }
        }
    }
}
