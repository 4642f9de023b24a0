using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace ImageSearch.Ann;

/// <summary>
/// Runs a peer benchmark (any program) with the dataset directory appended (or put where the command says
/// <c>{dir}</c>, for programs that want it first) and reads these lines from its stdout,
/// any number of libraries: <c>peer NAME build_s B</c>, <c>peer NAME bytes_per_vector X</c>,
/// <c>peer NAME ef E recall@10 R qps Q</c>. Other lines pass through to our stdout.
/// </summary>
internal static partial class PeerRunner
{
    public static Dictionary<string, PeerResult> Run(string command, string datasetDir, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("/bin/bash")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        string quoted = $"'{datasetDir.Replace("'", "'\\''", StringComparison.Ordinal)}'";
        start.ArgumentList.Add(command.Contains("{dir}", StringComparison.Ordinal)
            ? command.Replace("{dir}", quoted, StringComparison.Ordinal)
            : $"{command} {quoted}");
        foreach (var (name, value) in environment) start.Environment[name] = value;

        Console.WriteLine($"# peer: {start.ArgumentList[1]}");
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start '{command}'.");
        var results = new Dictionary<string, PeerResult>();
        while (process.StandardOutput.ReadLine() is { } line)
        {
            Console.WriteLine(line);
            Parse(line, results);
        }

        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"The peer command exited with {process.ExitCode}: {command}");
        return results;
    }

    public static void Parse(string line, Dictionary<string, PeerResult> results)
    {
        var c = CultureInfo.InvariantCulture;
        if (Sweep().Match(line) is { Success: true } s)
        {
            Get(results, s.Groups[1].Value).Points.Add(new SweepPoint(double.Parse(s.Groups[2].Value, c), double.Parse(s.Groups[3].Value, c), double.Parse(s.Groups[4].Value, c)));
        }
        else if (Build().Match(line) is { Success: true } b)
        {
            Get(results, b.Groups[1].Value).BuildSeconds = double.Parse(b.Groups[2].Value, c);
        }
        else if (Bytes().Match(line) is { Success: true } m)
        {
            Get(results, m.Groups[1].Value).BytesPerVector = double.Parse(m.Groups[2].Value, c);
        }
    }

    private static PeerResult Get(Dictionary<string, PeerResult> results, string name)
        => results.TryGetValue(name, out var r) ? r : results[name] = new PeerResult();

    [GeneratedRegex(@"^peer (\S+) ef ([0-9.]+) recall@10 ([0-9.eE+-]+) qps ([0-9.eE+-]+)\s*$")]
    private static partial Regex Sweep();

    [GeneratedRegex(@"^peer (\S+) build_s ([0-9.eE+-]+)\s*$")]
    private static partial Regex Build();

    [GeneratedRegex(@"^peer (\S+) bytes_per_vector ([0-9.eE+-]+)\s*$")]
    private static partial Regex Bytes();
}
