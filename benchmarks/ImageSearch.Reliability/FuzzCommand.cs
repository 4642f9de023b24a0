using ImageSearch.Reliability.Fuzzing;

namespace ImageSearch.Reliability;

/// <summary>
/// <c>fuzz --inputs N --seed S [--reader NAME] [--seconds T] [--limit-ms L] [--save DIR]</c>: N mutated inputs per
/// reader (slow readers get N / their cost), each read once; prints reader, inputs, failures; exits 1 on any failure.
/// Failing inputs are saved as regression files, by default into the repository's
/// <c>tests/ImageSearch.Reliability.Tests/Regressions/&lt;reader&gt;/</c>, which CI replays.
/// </summary>
public static class FuzzCommand
{
    public static Task<int> RunAsync(string[] args)
    {
        long inputs = 10_000;
        int seed = 1;
        string? reader = null;
        double seconds = double.PositiveInfinity;
        int limitMs = 5000;
        string? save = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--inputs": inputs = long.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture); break;
                case "--seed": seed = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture); break;
                case "--reader": reader = Next(); break;
                case "--seconds": seconds = double.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture); break;
                case "--limit-ms": limitMs = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture); break;
                case "--save": save = Next(); break;
                default:
                    Console.Error.WriteLine($"Unknown option {args[i]}. Usage: fuzz --inputs N --seed S [--reader NAME] [--seconds T] [--limit-ms L] [--save DIR]");
                    return Task.FromResult(2);
            }
        }

        save ??= DefaultRegressionFolder();
        string scratch = Path.Combine(Path.GetTempPath(), $"imagesearch-fuzz-{Environment.ProcessId}");
        try
        {
            var targets = FuzzTargets.All(scratch).Where(t => reader is null || t.Name == reader).ToList();
            if (targets.Count == 0)
            {
                Console.Error.WriteLine($"No reader '{reader}'; readers: {string.Join(", ", FuzzTargets.All(scratch).Select(t => t.Name))}");
                return Task.FromResult(2);
            }

            Console.WriteLine($"Fuzzing, seed {seed}, up to {inputs:N0} inputs per reader (divided by the reader's cost), per-input limit {limitMs} ms, " +
                              $"allocation limit {FuzzEngine.AllocationFactor} x input + slack; failing inputs saved under {save}");
            Console.WriteLine();
            Console.WriteLine("| reader | inputs | failures | distinct | seconds |");
            Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
            bool failed = false;
            TimeSpan budget = double.IsInfinity(seconds) ? TimeSpan.MaxValue : TimeSpan.FromSeconds(seconds);
            foreach (FuzzTarget t in targets)
            {
                FuzzReport r = FuzzEngine.Run(t, Math.Max(1, inputs / t.Cost), seed, budget, TimeSpan.FromMilliseconds(limitMs), f =>
                {
                    string path = FuzzEngine.Save(f, save);
                    Console.Error.WriteLine($"[{f.Reader}] {f.Kind}, saved {path}: {f.Message}");
                });
                failed |= r.FailureCount > 0;
                Console.WriteLine($"| {r.Reader} | {r.Inputs:N0} | {r.FailureCount:N0} | {r.Failures.Count} | {r.Elapsed.TotalSeconds:0.0} |");
            }

            return Task.FromResult(failed ? 1 : 0);
        }
        finally
        {
            try
            {
                Directory.Delete(scratch, recursive: true);
            }
            catch (IOException)
            {
                // A hung read may still hold a file; the temporary folder is left behind.
            }
        }
    }

    private static string DefaultRegressionFolder()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ImageSearch.sln")))
            {
                return Path.Combine(dir.FullName, "tests", "ImageSearch.Reliability.Tests", "Regressions");
            }
        }

        return Path.Combine(Environment.CurrentDirectory, "fuzz-failures");
    }
}
