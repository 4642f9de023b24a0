using ImageSearch.Reliability;
// Reliability harnesses (issue 14). One file per command; this file only dispatches.
// Usage: dotnet run -c Release --project benchmarks/ImageSearch.Reliability -- <command> [options]
//   fuzz --inputs N --seed S [--reader NAME] [--seconds T] [--save DIR]   (see FuzzCommand.cs)
// Each command prints a table and exits non-zero when anything failed.

if (args.Length == 0)
{
    Console.Error.WriteLine("Usage: ImageSearch.Reliability <command> [options]; commands: fuzz");
    return 2;
}

return args[0] switch
{
    "fuzz" => await FuzzCommand.RunAsync(args[1..]),
    _ => Unknown(args[0]),
};

static int Unknown(string command)
{
    Console.Error.WriteLine($"Unknown command '{command}'; commands: fuzz");
    return 2;
}
