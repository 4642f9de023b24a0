using System.Diagnostics;
using System.Security.Cryptography;

namespace ImageSearch.Reliability.Fuzzing;

/// <summary>One input that ended badly: another exception type, a hang, or an allocation far larger than the input.</summary>
public sealed record FuzzFailure(string Reader, string Kind, string Message, byte[] Input)
{
    /// <summary>A stable name for the input (its SHA-256 prefix), used for the regression file.</summary>
    public string Hash => Convert.ToHexStringLower(SHA256.HashData(Input))[..16];
}

/// <summary>What a run of one reader did.</summary>
/// <param name="Reader">The reader's name.</param>
/// <param name="Inputs">Inputs tried.</param>
/// <param name="FailureCount">Inputs that failed.</param>
/// <param name="Failures">One failing input per distinct failure (kind and place).</param>
/// <param name="Elapsed">Time taken.</param>
public sealed record FuzzReport(string Reader, long Inputs, long FailureCount, IReadOnlyList<FuzzFailure> Failures, TimeSpan Elapsed);

/// <summary>
/// Runs mutated inputs through a <see cref="FuzzTarget"/> one at a time and checks each outcome: the reader returns or
/// throws an exception it documents; it finishes within the per-input time limit; and it allocates at most 64 x the
/// input size plus the target's slack.
/// </summary>
public static class FuzzEngine
{
    /// <summary>Allocation allowed per byte of input.</summary>
    public const long AllocationFactor = 64;

    /// <summary>Fuzzes <paramref name="target"/> with up to <paramref name="inputs"/> inputs or until <paramref name="budget"/> runs out.</summary>
    public static FuzzReport Run(FuzzTarget target, long inputs, int seed, TimeSpan budget, TimeSpan perInputLimit, Action<FuzzFailure>? onFailure = null)
    {
        var rng = new Random(HashCode.Combine(seed, StableHash(target.Name)));
        var failures = new List<FuzzFailure>();
        var seen = new HashSet<string>();
        var clock = Stopwatch.StartNew();
        long done = 0, failed = 0;
        for (; done < inputs && clock.Elapsed < budget; done++)
        {
            byte[] seedFile = target.Seeds[rng.Next(target.Seeds.Count)];
            byte[] input = Mutator.Mutate(rng, seedFile, target.Seeds, target.Tokens);
            if (target.Fixup is not null && rng.Next(2) == 0)
            {
                target.Fixup(input);
            }

            if (Check(target, input, perInputLimit) is not { } failure)
            {
                continue;
            }

            failed++;
            string[] lines = failure.Message.Split('\n');
            if (seen.Add(failure.Kind + (lines.Length > 1 ? lines[1] : "")))
            {
                failures.Add(failure);
                onFailure?.Invoke(failure);
            }
        }

        return new FuzzReport(target.Name, done, failed, failures, clock.Elapsed);
    }

    // Reads abandoned after a hang may still allocate; while one runs, the process-wide count is not this input's.
    private static readonly List<Task> Abandoned = [];

    /// <summary>Reads one input and returns the failure, or null when the reader behaved as documented.</summary>
    public static FuzzFailure? Check(FuzzTarget target, byte[] input, TimeSpan perInputLimit)
    {
        long before = GC.GetTotalAllocatedBytes(precise: false);
        var task = Task.Run(() => target.Read(input));
        bool finished;
        try
        {
            finished = task.Wait(perInputLimit);
        }
        catch (AggregateException)
        {
            finished = true;
        }

        if (!finished)
        {
            // The read may still be running; it is abandoned (a hang is reported, the run goes on).
            lock (Abandoned)
            {
                Abandoned.Add(task);
            }

            return new FuzzFailure(target.Name, "hang", $"no result within {perInputLimit.TotalSeconds:0.#} s", input);
        }

        long allocated = GC.GetTotalAllocatedBytes(precise: false) - before;
        if (task.Exception?.InnerException is { } e && !target.IsAllowed(e))
        {
            return new FuzzFailure(target.Name, e.GetType().Name, $"{e.GetType().Name}: {e.Message}\n{e.StackTrace}", input);
        }

        long limit = (AllocationFactor * input.Length) + target.AllocationSlack;
        bool quiet;
        lock (Abandoned)
        {
            Abandoned.RemoveAll(t => t.IsCompleted);
            quiet = Abandoned.Count == 0;
        }

        if (quiet && allocated > limit)
        {
            return new FuzzFailure(target.Name, "allocation", $"allocated {allocated:N0} bytes for a {input.Length:N0}-byte input (limit {limit:N0})", input);
        }

        return null;
    }

    /// <summary>Writes <paramref name="failure"/>'s input as <c>folder/reader/hash.bin</c>; returns the path.</summary>
    public static string Save(FuzzFailure failure, string folder)
    {
        string dir = Path.Combine(folder, failure.Reader);
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, failure.Hash + ".bin");
        File.WriteAllBytes(path, failure.Input);
        return path;
    }

    // string.GetHashCode is randomised per process; the run must be reproducible from its seed.
    private static int StableHash(string s)
    {
        int h = 17;
        foreach (char c in s)
        {
            h = unchecked((h * 31) + c);
        }

        return h;
    }
}
