namespace ImageSearch.Reliability;

/// <summary>The hidden <c>crash-child</c> verb: runs one operation once, for the parent to kill.</summary>
internal static class CrashChild
{
    public const string Verb = "crash-child";

    public static async Task<int> RunAsync(string[] args)
    {
        var a = new Arguments(args);
        CrashOperation op = CrashOperation.Create(a.String("op")!);
        await op.RunChildAsync(a.String("work")!, a.Int("seed", 0), a.Int("iteration", 0), Console.Out);
        return 0;
    }
}
