using ImageSearch.Reliability;
// Reliability harnesses (issue 14, docs/reliability.md). One file per command; this file only dispatches.
// Usage: dotnet run -c Release --project benchmarks/ImageSearch.Reliability -- <command> [options]
//   fuzz --inputs N --seed S [--reader NAME] [--seconds T] [--save DIR]   (see FuzzCommand.cs)
//   crash --kills N --seed S [--ops exact,hnsw,engine,devise] [--work DIR]  (see CrashCommand.cs)
//   stress --seconds N [--threads T] [--seed S]                              (see StressCommand.cs)
// Each command prints a table and exits non-zero when anything failed.

if (args.Length == 0)
{
    Console.Error.WriteLine("Usage: ImageSearch.Reliability <command> [options]; commands: fuzz, crash, stress");
    return 2;
}

return args[0] switch
{
    "fuzz" => await FuzzCommand.RunAsync(args[1..]),
    "crash" => await CrashCommand.RunAsync(args[1..], Console.Out),
    CrashChild.Verb => await CrashChild.RunAsync(args[1..]),
    "stress" => await StressCommand.RunAsync(args[1..], Console.Out),
    _ => Unknown(args[0]),
};

static int Unknown(string command)
{
    Console.Error.WriteLine($"Unknown command '{command}'; commands: fuzz, crash, stress");
    return 2;
}
