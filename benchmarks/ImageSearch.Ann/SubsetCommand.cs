using System.Globalization;

namespace ImageSearch.Ann;

/// <summary>The <c>subset</c> subcommand: the first N base rows of a split, with its own exact ground truth.</summary>
internal static class SubsetCommand
{
    public const string Usage = """
        usage: ImageSearch.Ann subset --from DIR --limit N --out DIR2 [--metric cosine|ip|l2] [--queries all] [--family NAME] [--k 100]
          copies the first N rows of DIR/base.fvecs and the first queries of DIR/query.fvecs into DIR2 and computes
          DIR2/gt.ivecs exactly (ExactIndex.SearchBatch on every core): the source's gt is for the whole base.
          --family defaults to DIR's dataset.txt family, else glove-100.
        """;

    public static int Run(Args a)
    {
        var culture = CultureInfo.InvariantCulture;
        string from = a.Get("from");
        int limit = int.Parse(a.Get("limit"), culture);
        string dir = a.Get("out");
        Dictionary<string, string> source = DatasetInfo.Read(from);
        string metricName = a.Get("metric", source.GetValueOrDefault("metric", "cosine"));
        DistanceMetric metric = DatasetInfo.ParseMetric(metricName);
        int k = int.Parse(a.Get("k", "100"), culture);
        Directory.CreateDirectory(dir);

        string basePath = Path.Combine(from, "base.fvecs");
        int n = 0, dim = 0;
        using (var writer = new TexmexWriter(Path.Combine(dir, "base.fvecs"), TexmexReader.Shape(basePath).Dimension))
        {
            foreach (var (chunk, rows, d) in TexmexReader.ReadFvecsChunks(basePath, 16_384, limit))
            {
                writer.Write<float>(chunk.AsSpan(0, rows * d));
                n += rows;
                dim = d;
            }
        }

        var (queries, queryCount, qdim) = TexmexReader.ReadFvecs(Path.Combine(from, "query.fvecs"), int.Parse(a.Get("queries", int.MaxValue.ToString(culture)), culture));
        if (qdim != dim) throw new InvalidDataException($"base has {dim} dimensions, queries {qdim}.");
        using (var writer = new TexmexWriter(Path.Combine(dir, "query.fvecs"), dim))
        {
            writer.Write<float>(queries);
        }

        Console.WriteLine($"# subset: first {n} of {basePath}, {queryCount} queries");
        GroundTruth.Write(Path.Combine(dir, "base.fvecs"), n, queries, metric, k, Path.Combine(dir, "gt.ivecs"));
        DatasetInfo.Write(dir, new Dictionary<string, string>
        {
            ["family"] = a.Get("family", source.GetValueOrDefault("family", "glove-100")),
            ["metric"] = metricName,
            ["n"] = n.ToString(culture),
            ["dim"] = dim.ToString(culture),
            ["queries"] = queryCount.ToString(culture),
            ["source"] = $"first {n} rows of {Path.GetFullPath(from)}",
        });
        return 0;
    }
}
