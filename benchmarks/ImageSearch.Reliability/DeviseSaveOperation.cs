namespace ImageSearch.Reliability;

/// <summary>(c) Train a small DeViSE head on seeded random features and save it over the previous head.</summary>
internal sealed class DeviseSaveOperation : CrashOperation
{
    private const int In = 256, Out = 50, Rows = 64;

    public override string Name => "devise train+save";

    private static string FilePath(string work) => Path.Combine(work, "devise.head");

    public override string StoreFolder(string work) => work;

    public override Task PrepareAsync(string work, int seed)
    {
        Train(seed, -1).Save(FilePath(work));
        return Task.CompletedTask;
    }

    public override Task<string> FingerprintStoredAsync(string work) => Task.FromResult(Fingerprint(DeviseHead.Load(FilePath(work))));

    public override Task RunChildAsync(string work, int seed, int iteration, TextWriter output)
    {
        output.WriteLine("START");
        DeviseHead head = Train(seed, iteration);
        output.WriteLine($"AFTER {Fingerprint(head)}");
        head.Save(FilePath(work));
        output.WriteLine($"ACK {Fingerprint(head)}");
        return Task.CompletedTask;
    }

    private static string Fingerprint(DeviseHead head)
    {
        using var stream = new MemoryStream();
        head.Save(stream);
        return Sha256(stream.ToArray());
    }

    private static DeviseHead Train(int seed, int iteration)
    {
        var rng = new Random(HashCode.Combine(seed, iteration));
        float[] x = Enumerable.Range(0, Rows * In).Select(_ => (float)rng.NextDouble()).ToArray();
        float[] t = Enumerable.Range(0, Rows * Out).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var options = new DeviseTrainingOptions { HiddenSize = 512, Epochs = 2, BatchSize = 32, Seed = iteration + 1 };
        return new DeviseTrainer(options).Train(x, t, In, Out).Head;
    }
}
