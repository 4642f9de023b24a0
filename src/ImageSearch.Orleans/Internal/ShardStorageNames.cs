using System.Globalization;

namespace ImageSearch;

/// <summary>The object names of the storage layout (<see cref="IndexManifest.CurrentLayout"/>) and their checks.</summary>
internal static class ShardStorageNames
{
    public static string Manifest(string index) => index + "/manifest";

    public static string ShardPrefix(string index, int shard) => string.Create(CultureInfo.InvariantCulture, $"{index}/shard-{shard:D4}/");

    public static string Snapshot(string index, int shard, long generation) => string.Create(CultureInfo.InvariantCulture, $"{ShardPrefix(index, shard)}snapshot-{generation:D12}");

    public static string Log(string index, int shard, long generation) => string.Create(CultureInfo.InvariantCulture, $"{ShardPrefix(index, shard)}log-{generation:D12}");

    /// <summary>Splits a shard object's name into kind ("snapshot" or "log") and generation; false for other names.</summary>
    public static bool TryParse(string name, out string kind, out long generation)
    {
        string file = name[(name.LastIndexOf('/') + 1)..];
        int dash = file.IndexOf('-', StringComparison.Ordinal);
        kind = dash < 0 ? "" : file[..dash];
        generation = -1;
        return dash > 0 && kind is "snapshot" or "log"
            && long.TryParse(file.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out generation);
    }

    /// <summary>An index name: 1 to 100 letters, digits, '-', '_' or '.', not starting with '.'.</summary>
    public static void CheckIndexName(string name, string paramName)
    {
        ArgumentException.ThrowIfNullOrEmpty(name, paramName);
        if (name.Length > 100 || name[0] == '.' || !name.All(IsNameChar))
        {
            throw new ArgumentException($"Index name '{name}' must be 1 to 100 letters, digits, '-', '_' or '.', not starting with '.'.", paramName);
        }
    }

    /// <summary>An object name: index-name parts separated by '/'.</summary>
    public static void CheckObjectName(string name, string paramName)
    {
        ArgumentException.ThrowIfNullOrEmpty(name, paramName);
        foreach (string part in name.Split('/'))
        {
            if (part.Length == 0 || part[0] == '.' || !part.All(IsNameChar))
            {
                throw new ArgumentException($"Object name '{name}' has an empty part, a part starting with '.', or a character other than letters, digits, '-', '_', '.' and '/'.", paramName);
            }
        }
    }

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.';
}
