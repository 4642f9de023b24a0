namespace ImageSearch.Reliability;

/// <summary>(a) Load an index, add and remove a few vectors, save it over the same file.</summary>
internal sealed class IndexSaveOperation(bool hnsw) : CrashOperation
{
    private const int Dimension = 64;
    private const int InitialCount = 20_000;

    public override string Name => hnsw ? "hnsw save" : "exact save";

    private string FilePath(string work) => Path.Combine(work, hnsw ? "hnsw.isindex" : "exact.isindex");

    public override string StoreFolder(string work) => work;

    public override Task PrepareAsync(string work, int seed)
    {
        IVectorIndex index = hnsw ? new HnswIndex(Dimension, DistanceMetric.SquaredL2, new HnswOptions { M = 8, EfConstruction = 40 }) : new ExactIndex(Dimension, DistanceMetric.SquaredL2);
        var rng = new Random(seed);
        long[] keys = Enumerable.Range(0, InitialCount).Select(i => (long)i).ToArray();
        index.AddRange(keys, Vectors(rng, keys.Length));
        index.Save(FilePath(work));
        return Task.CompletedTask;
    }

    public override Task<string> FingerprintStoredAsync(string work) => Task.FromResult(Fingerprint(VectorIndex.Load(FilePath(work))));

    public override Task RunChildAsync(string work, int seed, int iteration, TextWriter output)
    {
        output.WriteLine("START");
        IVectorIndex index = VectorIndex.Load(FilePath(work));
        var rng = new Random(HashCode.Combine(seed, iteration));
        long next = index.GetKeys().Max() + 1;
        long[] added = Enumerable.Range(0, 20).Select(i => next + i).ToArray();
        index.AddRange(added, Vectors(rng, added.Length));
        long[] keys = index.GetKeys();
        for (int i = 0; i < 10; i++)
        {
            index.Remove(keys[rng.Next(keys.Length)]);
        }

        output.WriteLine($"AFTER {Fingerprint(index)}");
        index.Save(FilePath(work));
        output.WriteLine($"ACK {Fingerprint(index)}");
        return Task.CompletedTask;
    }

    private static float[] Vectors(Random rng, int count)
    {
        var v = new float[count * Dimension];
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = (float)rng.NextDouble();
        }

        return v;
    }
}
