using System.Diagnostics;
using System.Globalization;

namespace ImageSearch.Ann;

/// <summary>The <c>synth</c> subcommand: a clustered synthetic split (see <see cref="ClusteredData"/>) in TEXMEX files.</summary>
internal static class SynthCommand
{
    public const string Usage = """
        usage: ImageSearch.Ann synth --n N --dim D --out DIR [--queries 10000] [--seed 1] [--metric cosine|ip|l2]
               [--clusters 1000] [--spread 1.0] [--decay 0.5] [--normalize true|false] [--family clustered-D] [--k 100]
          writes DIR/base.fvecs (streamed), DIR/query.fvecs (fresh draws from the same mixture, not base rows),
          DIR/gt.ivecs (exact top-k by ExactIndex.SearchBatch on every core) and DIR/dataset.txt.
          --normalize defaults to true for cosine and ip, false for l2.
        """;

    public static int Run(Args a)
    {
        var culture = CultureInfo.InvariantCulture;
        int n = int.Parse(a.Get("n"), culture);
        int dim = int.Parse(a.Get("dim"), culture);
        int queryCount = int.Parse(a.Get("queries", "10000"), culture);
        int seed = int.Parse(a.Get("seed", "1"), culture);
        string metricName = a.Get("metric", "cosine");
        DistanceMetric metric = DatasetInfo.ParseMetric(metricName);
        int clusters = int.Parse(a.Get("clusters", "1000"), culture);
        float spread = float.Parse(a.Get("spread", "1.0"), culture);
        float decay = float.Parse(a.Get("decay", "0.5"), culture);
        bool normalize = bool.Parse(a.Get("normalize", metric == DistanceMetric.SquaredL2 ? "false" : "true"));
        int k = int.Parse(a.Get("k", "100"), culture);
        string dir = a.Get("out");
        Directory.CreateDirectory(dir);

        var sw = Stopwatch.StartNew();
        var data = new ClusteredData(dim, clusters, spread, decay, normalize, seed);
        var block = new float[ClusteredData.BlockRows * dim];
        using (var writer = new TexmexWriter(Path.Combine(dir, "base.fvecs"), dim))
        {
            for (int b = 0; (long)b * ClusteredData.BlockRows < n; b++)
            {
                int rows = Math.Min(ClusteredData.BlockRows, n - (b * ClusteredData.BlockRows));
                data.FillBlock(0, b, block.AsSpan(0, rows * dim));
                writer.Write<float>(block.AsSpan(0, rows * dim));
            }
        }

        var queries = new float[(long)queryCount * dim];
        for (int b = 0; (long)b * ClusteredData.BlockRows < queryCount; b++)
        {
            int rows = Math.Min(ClusteredData.BlockRows, queryCount - (b * ClusteredData.BlockRows));
            data.FillBlock(1, b, queries.AsSpan(b * ClusteredData.BlockRows * dim, rows * dim));
        }

        using (var writer = new TexmexWriter(Path.Combine(dir, "query.fvecs"), dim))
        {
            writer.Write<float>(queries);
        }

        Console.WriteLine($"# synth: {n} x {dim} base and {queryCount} queries written in {sw.Elapsed.TotalSeconds:F1} s");
        GroundTruth.Write(Path.Combine(dir, "base.fvecs"), n, queries, metric, k, Path.Combine(dir, "gt.ivecs"));
        DatasetInfo.Write(dir, new Dictionary<string, string>
        {
            ["family"] = a.Get("family", $"clustered-{dim}"),
            ["metric"] = metricName,
            ["n"] = n.ToString(culture),
            ["dim"] = dim.ToString(culture),
            ["queries"] = queryCount.ToString(culture),
            ["source"] = $"synth seed={seed} clusters={clusters} spread={spread.ToString(culture)} decay={decay.ToString(culture)} normalize={normalize}",
        });
        return 0;
    }
}
