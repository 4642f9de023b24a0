using System.Globalization;

namespace ImageSearch.Ann;

/// <summary>
/// One row of the scale CSV. <see cref="Kind"/> is <c>sweep</c> for a measured ef, <c>recall_0.95</c> for the
/// interpolated summary (ef and q/s at recall@10 = 0.95), or <c>recall_0.95_not_bracketed</c> when the sweep never
/// crossed 0.95 (the row then repeats the sweep point nearest to it; the plot leaves it out).
/// </summary>
internal sealed record ScaleRow(
    string Dataset, int N, int Dim, string Metric, string Library, int BuildThreads, double BuildSeconds, double BytesPerVector,
    double Ef, double Recall10, double Qps, int QueryThreads, string Cpu, string Date, string Kind, double IndexBytesPerVector)
{
    public const string Header = "dataset,n,dim,metric,library,build_threads,build_s,bytes_per_vector,ef,recall10,qps,query_threads,cpu,date,row,index_bytes_per_vector";

    public const string Summary = "recall_0.95";

    public const string NotBracketed = "recall_0.95_not_bracketed";

    private static readonly CultureInfo Culture = CultureInfo.InvariantCulture;

    public string ToCsv() => string.Join(',',
        Clean(Dataset), N.ToString(Culture), Dim.ToString(Culture), Clean(Metric), Clean(Library), BuildThreads.ToString(Culture),
        BuildSeconds.ToString("F2", Culture), BytesPerVector.ToString("F1", Culture), Ef.ToString("0.#", Culture),
        Recall10.ToString("F4", Culture), Qps.ToString("F1", Culture), QueryThreads.ToString(Culture), Clean(Cpu), Clean(Date), Kind,
        IndexBytesPerVector.ToString("F1", Culture));

    /// <summary>Reads a CSV with <see cref="Header"/>'s columns, by name, so columns added later at the end do no harm.</summary>
    public static List<ScaleRow> ReadAll(string path)
    {
        string[] lines = File.ReadAllLines(path);
        if (lines.Length == 0) return [];
        var col = lines[0].Split(',').Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i);
        var rows = new List<ScaleRow>();
        foreach (string line in lines.Skip(1).Where(l => l.Length > 0 && l != lines[0]))
        {
            string[] f = line.Split(',');
            string S(string name) => f[col[name]];
            double D(string name) => double.Parse(S(name), Culture);
            int I(string name) => int.Parse(S(name), Culture);
            rows.Add(new ScaleRow(S("dataset"), I("n"), I("dim"), S("metric"), S("library"), I("build_threads"), D("build_s"),
                D("bytes_per_vector"), D("ef"), D("recall10"), D("qps"), I("query_threads"), S("cpu"), S("date"), S("row"),
                D("index_bytes_per_vector")));
        }

        return rows;
    }

    /// <summary>Appends rows, writing the header first when the file is new or empty.</summary>
    public static void Append(string path, IEnumerable<ScaleRow> rows)
    {
        bool header = !File.Exists(path) || new FileInfo(path).Length == 0;
        using var writer = new StreamWriter(path, append: true);
        if (header) writer.WriteLine(Header);
        foreach (ScaleRow row in rows) writer.WriteLine(row.ToCsv());
    }

    // Free text (the CPU model) must not break the columns.
    private static string Clean(string text) => text.Replace(',', ';').Replace('\n', ' ');
}
