using System.Text;

namespace ImageSearch.Reliability;

/// <summary>
/// (b) Sync a photo folder into an engine and save it. Before each child the parent changes the folder to a seeded
/// subset of a pool of Pascal photos (some added, some removed), so every save writes a different state.
/// </summary>
internal sealed class EngineSyncOperation : CrashOperation
{
    private const int PoolSize = 16;

    public override string Name => "engine sync+save";

    private static string Pool(string work) => Path.Combine(work, "pool");

    private static string Photos(string work) => Path.Combine(work, "photos");

    private static string Store(string work) => Path.Combine(work, "engine");

    public override string StoreFolder(string work) => Store(work);

    public override async Task PrepareAsync(string work, int seed)
    {
        Directory.CreateDirectory(Pool(work));
        string? pascal = Evaluation.RepositoryData.Find(typeof(EngineSyncOperation).Assembly)?.PascalDatasetFolder;
        string[] sources = pascal is null ? [] : Directory.EnumerateFiles(pascal, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Take(PoolSize).ToArray();
        for (int i = 0; i < PoolSize; i++)
        {
            string target = Path.Combine(Pool(work), $"p{i:D2}.jpg");
            if (i < sources.Length)
            {
                File.Copy(sources[i], target);
            }
            else
            {
                // No Pascal checkout: the fake embedder reads bytes, it never decodes them.
                await File.WriteAllBytesAsync(target, Encoding.UTF8.GetBytes($"photo {i} {seed}"));
            }
        }

        BeforeChild(work, seed, -1);
        using var engine = ImageSearchEngine.Create(new FakeEmbedder(), FakeEmbedder.ModelId);
        await engine.SyncFolderAsync(Photos(work));
        await engine.SaveAsync(Store(work));
    }

    public override void BeforeChild(string work, int seed, int iteration)
    {
        var rng = new Random(HashCode.Combine(seed, iteration, 7));
        Directory.CreateDirectory(Photos(work));
        for (int i = 0; i < PoolSize; i++)
        {
            string name = $"p{i:D2}.jpg";
            string target = Path.Combine(Photos(work), name);
            bool wanted = rng.NextDouble() < 0.6;
            if (wanted && !File.Exists(target))
            {
                File.Copy(Path.Combine(Pool(work), name), target);
            }
            else if (!wanted && File.Exists(target))
            {
                File.Delete(target);
            }
        }
    }

    public override async Task<string> FingerprintStoredAsync(string work)
    {
        using var engine = await ImageSearchEngine.OpenAsync(Store(work), new FakeEmbedder(), FakeEmbedder.ModelId);
        return Fingerprint(engine);
    }

    public override async Task RunChildAsync(string work, int seed, int iteration, TextWriter output)
    {
        output.WriteLine("START");
        using var engine = await ImageSearchEngine.OpenAsync(Store(work), new FakeEmbedder(), FakeEmbedder.ModelId);
        await engine.SyncFolderAsync(Photos(work));
        output.WriteLine($"AFTER {Fingerprint(engine)}");
        await engine.SaveAsync();
        output.WriteLine($"ACK {Fingerprint(engine)}");
    }

    /// <summary>Photos (key, path, hash), the index's keys and vectors and self-query results: every acknowledged photo
    /// is in the fingerprint, so an ACK followed by the state after means no acknowledged photo was lost.</summary>
    private static string Fingerprint(ImageSearchEngine engine)
    {
        var text = new StringBuilder();
        foreach (var (key, photo) in engine.Photos.OrderBy(p => p.Key))
        {
            text.Append(key).Append(' ').Append(Path.GetFileName(photo.Path)).Append(' ').Append(photo.ContentHash).Append('\n');
        }

        var index = engine.Index;
        long[] keys = index.GetKeys();
        Array.Sort(keys);
        var vector = new float[index.Dimension];
        foreach (long key in keys)
        {
            index.TryGetVector(key, vector);
            text.Append(key).Append(':').Append(string.Join(',', vector.Select(BitConverter.SingleToInt32Bits)));
            text.Append(" -> ").Append(string.Join(',', index.Search(vector, 3).Select(r => r.Key))).Append('\n');
        }

        return Sha256(Encoding.UTF8.GetBytes(text.ToString()));
    }
}
