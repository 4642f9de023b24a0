using System.Globalization;

namespace ImageSearch.Reliability;

/// <summary>
/// <c>stress --seconds N [--threads T] [--seed S]</c>: <see cref="IndexStress"/> on an <c>ExactIndex</c>, an f16
/// <c>ExactIndex</c> and an <c>HnswIndex</c>, then <see cref="EngineStress"/>, sharing the N seconds. Prints operations,
/// duration and invariant violations per target; exit code 1 when any invariant was violated.
/// </summary>
internal static class StressCommand
{
    public static Task<int> RunAsync(string[] args, TextWriter output)
    {
        var a = new Arguments(args);
        int seconds = a.Int("seconds", 30), seed = a.Int("seed", 1);
        int threads = a.Int("threads", Math.Max(4, Environment.ProcessorCount));
        var slice = TimeSpan.FromSeconds(seconds / 4.0);
        string work = Path.Combine(Path.GetTempPath(), "imagesearch-stress-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        var rows = new List<(string Target, string Operation, long Count, TimeSpan Time, long Violations)>();
        var messages = new List<string>();
        try
        {
            foreach (var (kind, name) in new[] { ("exact", "ExactIndex f32"), ("exact-f16", "ExactIndex f16"), ("hnsw", "HnswIndex") })
            {
                var stress = new IndexStress(kind, Factory(kind), threads, slice, seed, work);
                TimeSpan took = stress.Run();
                rows.AddRange(stress.Counts.Select(c => (name, c.Operation, c.Count, took, stress.Violations)));
                messages.AddRange(stress.Messages.Select(m => $"{name}: {m}"));
            }

            var engine = new EngineStress(threads, slice, seed, work);
            TimeSpan engineTook = engine.Run();
            rows.AddRange(engine.Counts.Select(c => ("ImageSearchEngine", c.Operation, c.Count, engineTook, engine.Violations)));
            messages.AddRange(engine.Messages.Select(m => $"ImageSearchEngine: {m}"));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }

        output.WriteLine($"| target | operation | count | duration | violations (target) |");
        output.WriteLine("|---|---|---|---|---|");
        foreach (var r in rows)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {r.Target} | {r.Operation} | {r.Count:N0} | {r.Time.TotalSeconds:F1} s | {r.Violations} |"));
        }

        foreach (string m in messages)
        {
            output.WriteLine("VIOLATION " + m);
        }

        return Task.FromResult(rows.Any(r => r.Violations > 0) ? 1 : 0);
    }

    public static Func<IVectorIndex> Factory(string kind) => kind switch
    {
        "exact" => () => new ExactIndex(IndexStress.Dimension, DistanceMetric.SquaredL2),
        "exact-f16" => () => new ExactIndex(IndexStress.Dimension, DistanceMetric.SquaredL2, VectorElementType.Float16),
        "hnsw" => () => new HnswIndex(IndexStress.Dimension, DistanceMetric.SquaredL2, new HnswOptions { M = 8, EfConstruction = 64 }),
        _ => throw new ArgumentException($"Unknown index kind '{kind}'.", nameof(kind)),
    };
}
