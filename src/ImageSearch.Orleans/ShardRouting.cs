namespace ImageSearch;

/// <summary>
/// Which shard owns a key: a jump consistent hash (Lamping and Veach, 2014) of a stable 64-bit mix of the key, so every
/// client and silo computes the owner without a lookup, in every process and .NET version.
/// </summary>
/// <remarks>Thread-safety: the static members are pure and thread-safe.</remarks>
public static class ShardRouting
{
    /// <summary>The shard of <paramref name="key"/> among <paramref name="shardCount"/> shards.</summary>
    /// <param name="key">Any key.</param>
    /// <param name="shardCount">At least 1.</param>
    /// <returns>A shard number in <c>[0, shardCount)</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="shardCount"/> is below 1.</exception>
    public static int ShardOf(long key, int shardCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardCount, 1);
        return JumpHash(StableHash(key), shardCount);
    }

    /// <summary>
    /// A stable 64-bit hash of a key (the SplitMix64 finaliser): the same in every process, unlike
    /// <see cref="object.GetHashCode"/>, and mixing sequential keys well enough for the jump hash.
    /// </summary>
    /// <param name="key">Any key.</param>
    /// <returns>The mixed key.</returns>
    public static ulong StableHash(long key)
    {
        ulong z = unchecked((ulong)key + 0x9E3779B97F4A7C15UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Jump consistent hash: growing from n to n+1 buckets moves only about 1/(n+1) of the keys.</summary>
    private static int JumpHash(ulong hash, int buckets)
    {
        long b = -1, j = 0;
        while (j < buckets)
        {
            b = j;
            hash = unchecked((hash * 2862933555777941757UL) + 1);
            j = (long)((b + 1) * ((double)(1L << 31) / ((hash >> 33) + 1)));
        }

        return (int)b;
    }
}
