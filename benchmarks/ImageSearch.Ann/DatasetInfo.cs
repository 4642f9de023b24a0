using System.Globalization;

namespace ImageSearch.Ann;

/// <summary>
/// The <c>dataset.txt</c> that <c>synth</c> and <c>subset</c> write beside the TEXMEX files: <c>key=value</c> lines
/// (family, metric, n, dim, queries and how the data was made), so <c>scale</c> labels its rows without being told.
/// </summary>
internal static class DatasetInfo
{
    public const string FileName = "dataset.txt";

    public static void Write(string dir, IReadOnlyDictionary<string, string> values)
        => File.WriteAllLines(Path.Combine(dir, FileName), values.Select(kv => $"{kv.Key}={kv.Value}"));

    /// <summary>The values in <paramref name="dir"/>'s dataset.txt, or none when it has none (a glove_prep.py split).</summary>
    public static Dictionary<string, string> Read(string dir)
    {
        var values = new Dictionary<string, string>();
        string path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) return values;
        foreach (string line in File.ReadLines(path))
        {
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0) values[line[..eq]] = line[(eq + 1)..];
        }

        return values;
    }

    public static DistanceMetric ParseMetric(string name) => name switch
    {
        "cosine" or "angular" => DistanceMetric.Cosine,
        "ip" or "dot" => DistanceMetric.InnerProduct,
        "l2" or "euclidean" => DistanceMetric.SquaredL2,
        _ => throw new ArgumentException($"Unknown metric '{name}' (cosine, ip, l2)."),
    };
}
