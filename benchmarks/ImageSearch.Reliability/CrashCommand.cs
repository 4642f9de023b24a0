using System.Diagnostics;
using System.Globalization;

namespace ImageSearch.Reliability;

/// <summary>
/// <c>crash --kills N --seed S [--ops exact,hnsw,engine,devise] [--work DIR]</c>: for each operation, runs it in a child
/// process N times and SIGKILLs it at a seeded random moment, up to 1.25 times the calibrated duration (half the kills anywhere in the operation, half inside its
/// save), then checks the stored state (see <see cref="CrashOperation"/>). Prints one row per operation; exit code 1
/// when any check failed.
/// </summary>
internal static class CrashCommand
{
    public sealed record Row(string Operation, int Kills, int Before, int After, int Completed, int Acked, int TempFiles, List<string> Failures);

    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        var a = new Arguments(args);
        int kills = a.Int("kills", 200), seed = a.Int("seed", 1);
        string[] ops = (a.String("ops") ?? "exact,hnsw,engine,devise").Split(',', StringSplitOptions.RemoveEmptyEntries);
        string work = a.String("work") ?? Path.Combine(Path.GetTempPath(), "imagesearch-crash-" + Guid.NewGuid().ToString("N")[..8]);
        var rows = new List<Row>();
        try
        {
            foreach (string name in ops)
            {
                rows.Add(await RunOperationAsync(CrashOperation.Create(name), name, Path.Combine(work, name), kills, seed, output));
            }
        }
        finally
        {
            if (a.String("work") is null)
            {
                Directory.Delete(work, recursive: true);
            }
        }

        output.WriteLine();
        output.WriteLine("| operation | kills | state before | state after | finished before kill | killed after ACK | temp files left | failures |");
        output.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            output.WriteLine($"| {r.Operation} | {r.Kills} | {r.Before} | {r.After} | {r.Completed} | {r.Acked} | {r.TempFiles} | {r.Failures.Count} |");
        }

        foreach (var f in rows.SelectMany(r => r.Failures.Select(f => $"{r.Operation}: {f}")))
        {
            output.WriteLine("FAIL " + f);
        }

        return rows.Any(r => r.Failures.Count > 0) ? 1 : 0;
    }

    public static async Task<Row> RunOperationAsync(CrashOperation op, string name, string work, int kills, int seed, TextWriter output)
    {
        Directory.CreateDirectory(work);
        await op.PrepareAsync(work, seed);
        var failures = new List<string>();
        int before = 0, after = 0, completed = 0, acked = 0, temps = 0;
        var rng = new Random(seed);

        // Calibration: the fastest of three unkilled runs (a busy machine only slows a run down) measures the whole
        // operation and its save.
        ChildRun? calibration = null;
        string state = "";
        for (int c = 0; c < 3; c++)
        {
            op.BeforeChild(work, seed, -2 - c);
            var run = await RunChildAsync(name, work, seed, -2 - c, killAfter: null, fromAfter: false);
            if (run.ExitCode != 0 || run.Ack is null)
            {
                failures.Add($"calibration run failed (exit {run.ExitCode}): {run.Error}");
                return new Row(op.Name, 0, 0, 0, 0, 0, 0, failures);
            }

            state = await op.FingerprintStoredAsync(work);
            if (state != run.Ack)
            {
                failures.Add($"calibration: stored {state}, acknowledged {run.Ack}");
            }

            calibration = calibration is null || run.TotalTime < calibration.TotalTime ? run : calibration;
        }

        // Runs until `kills` children were killed; a child that finished first counts as completed (at most 3 x kills runs).
        int killed = 0;
        for (int i = 1; killed < kills && i <= 3 * kills; i++)
        {
            op.BeforeChild(work, seed, i);
            bool inSave = (i & 1) == 0;
            TimeSpan window = inSave ? calibration!.SaveTime : calibration!.TotalTime;
            TimeSpan delay = window * rng.NextDouble() * 1.25;
            var run = await RunChildAsync(name, work, seed, i, delay, inSave);
            string stored;
            try
            {
                stored = await op.FingerprintStoredAsync(work);
            }
            catch (Exception e)
            {
                failures.Add($"kill {i}: the stored state does not open: {e.GetType().Name}: {e.Message}");
                break; // later kills would start from a broken state
            }

            if (run.ExitCode == 0 && run.Ack is null)
            {
                failures.Add($"kill {i}: the child exited without ACK: {run.Error}");
            }

            if (run.Killed && run.Ack is not null)
            {
                acked++;
            }

            if (run.Killed)
            {
                killed++;
            }
            else
            {
                completed++;
            }

            if (stored == state && run.Ack is null)
            {
                before++;
            }
            else if (run.After is not null && stored == run.After)
            {
                after++;
            }
            else
            {
                failures.Add($"kill {i}: stored state {stored} is neither before ({state}) nor after ({run.After ?? "not announced"}){(run.Ack is null ? "" : " and an ACK was printed")}");
            }

            state = stored;
            temps += RemoveTempFiles(op.StoreFolder(work));
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{op.Name}: {killed} kills, operation {calibration!.TotalTime.TotalMilliseconds:F0} ms, save {calibration.SaveTime.TotalMilliseconds:F0} ms, {failures.Count} failures"));
        if (killed < kills && failures.Count == 0)
        {
            failures.Add($"only {killed} of {kills} children were killed before they finished");
        }

        return new Row(op.Name, killed, before, after, completed, acked, temps, failures);
    }

    private sealed record ChildRun(int ExitCode, bool Killed, string? After, string? Ack, TimeSpan TotalTime, TimeSpan SaveTime, string Error);

    private static async Task<ChildRun> RunChildAsync(string op, string work, int seed, int iteration, TimeSpan? killAfter, bool fromAfter)
    {
        string dll = typeof(CrashCommand).Assembly.Location;
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { dll, CrashChild.Verb, "--op", op, "--work", work, "--seed", seed.ToString(CultureInfo.InvariantCulture), "--iteration", iteration.ToString(CultureInfo.InvariantCulture) })
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = Process.Start(psi)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        var started = new TaskCompletionSource<Stopwatch>(TaskCreationOptions.RunContinuationsAsynchronously);
        var announced = new TaskCompletionSource<Stopwatch>(TaskCreationOptions.RunContinuationsAsynchronously);
        string? after = null, ack = null;
        TimeSpan total = default, save = default;
        Task reader = Task.Run(async () =>
        {
            Stopwatch? sinceStart = null, sinceAfter = null;
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line == "START")
                {
                    sinceStart = Stopwatch.StartNew();
                    started.TrySetResult(sinceStart);
                }
                else if (line.StartsWith("AFTER ", StringComparison.Ordinal))
                {
                    after = line[6..];
                    sinceAfter = Stopwatch.StartNew();
                    announced.TrySetResult(sinceAfter);
                }
                else if (line.StartsWith("ACK ", StringComparison.Ordinal))
                {
                    ack = line[4..];
                    total = sinceStart?.Elapsed ?? default;
                    save = sinceAfter?.Elapsed ?? default;
                }
            }

            started.TrySetCanceled();
            announced.TrySetCanceled();
        });

        bool killed = false;
        if (killAfter is { } delay)
        {
            try
            {
                Stopwatch clock = await (fromAfter ? announced.Task : started.Task);
                TimeSpan left = delay - clock.Elapsed;
                if (left > TimeSpan.Zero)
                {
                    Thread.Sleep(left);
                }

                if (!process.HasExited)
                {
                    process.Kill(); // SIGKILL on Linux and macOS
                    killed = true;
                }
            }
            catch (TaskCanceledException)
            {
                // The child ended before the moment came (or failed before printing it).
            }
        }

        await process.WaitForExitAsync();
        await reader;
        return new ChildRun(killed ? -9 : process.ExitCode, killed, after, ack, total, save, (await error).Trim());
    }

    private static int RemoveTempFiles(string folder)
    {
        int n = 0;
        foreach (string f in Directory.EnumerateFiles(folder, ".*.tmp"))
        {
            File.Delete(f);
            n++;
        }

        return n;
    }
}
