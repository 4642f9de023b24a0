using System.Security.Cryptography;

namespace ImageSearch.Reliability;

/// <summary>
/// One operation the crash harness kills. The child prints <c>START</c> when the operation begins, <c>AFTER fp</c> once
/// it knows the state it is about to write (before the first byte of the save) and <c>ACK fp</c> when the save returned.
/// The parent opens what is on disk after each kill: it must open and have the fingerprint of the state before or (once
/// AFTER was printed) after; after an ACK it must be the state after.
/// </summary>
internal abstract class CrashOperation
{
    public abstract string Name { get; }

    /// <summary>Creates the first stored state under <paramref name="work"/> (parent, once).</summary>
    public abstract Task PrepareAsync(string work, int seed);

    /// <summary>Parent, before each child: changes what the operation will read (the engine's photo folder).</summary>
    public virtual void BeforeChild(string work, int seed, int iteration)
    {
    }

    /// <summary>Opens the stored state and fingerprints it; throws when it does not open.</summary>
    public abstract Task<string> FingerprintStoredAsync(string work);

    /// <summary>Child: the operation itself, printing START, AFTER and ACK.</summary>
    public abstract Task RunChildAsync(string work, int seed, int iteration, TextWriter output);

    /// <summary>The folder whose leftover temporary files are counted and removed after each kill.</summary>
    public abstract string StoreFolder(string work);

    public static CrashOperation Create(string name) => name switch
    {
        "exact" => new IndexSaveOperation(hnsw: false),
        "hnsw" => new IndexSaveOperation(hnsw: true),
        "engine" => new EngineSyncOperation(),
        "devise" => new DeviseSaveOperation(),
        _ => throw new ArgumentException($"Unknown crash operation '{name}' (exact, hnsw, engine, devise).", nameof(name)),
    };

    /// <summary>Keys, vectors and the results of a few self-queries of an index: equal only for equal contents.</summary>
    public static string Fingerprint(IVectorIndex index)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long[] keys = index.GetKeys();
        Array.Sort(keys);
        var vector = new float[index.Dimension];
        hash.AppendData(BitConverter.GetBytes(index.Dimension));
        foreach (long key in keys)
        {
            if (!index.TryGetVector(key, vector))
            {
                throw new InvalidDataException($"key {key} is listed but has no vector");
            }

            hash.AppendData(BitConverter.GetBytes(key));
            hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector.AsSpan()));
        }

        for (int i = 0; i < keys.Length; i += Math.Max(1, keys.Length / 16))
        {
            index.TryGetVector(keys[i], vector);
            foreach (var r in index.Search(vector, 5))
            {
                hash.AppendData(BitConverter.GetBytes(r.Key));
                hash.AppendData(BitConverter.GetBytes(r.Distance));
            }
        }

        return Convert.ToHexString(hash.GetHashAndReset())[..16];
    }

    public static string Sha256(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes))[..16];
}
