namespace ImageSearch.Orleans.Tests;

/// <summary>The key -> shard route: stable (stored data depends on it), even, and consistent when shards are added.</summary>
public class ShardRoutingTests
{
    [Fact]
    public void TheRouteOfAKeyNeverChanges()
    {
        // Recorded values: a different route would send keys to shards that do not hold them.
        int[] shards = [.. new long[] { 0, 1, 2, 42, -1, long.MaxValue, long.MinValue, 1_000_000_007 }.Select(k => ShardRouting.ShardOf(k, 16))];
        Assert.Equal(Expected, shards);
        Assert.Equal(0, ShardRouting.ShardOf(12345, 1));
    }

    // Recorded from the first release of the layout (storage layout 1) and frozen.
    private static readonly int[] Expected = [8, 15, 0, 0, 3, 12, 8, 15];

    [Fact]
    public void TheRouteIsTheSplitMix64FinaliserThenTheJumpHash()
    {
        for (long k = -5_000; k < 5_000; k++)
        {
            foreach (int n in new[] { 1, 2, 3, 7, 64, 1000 })
            {
                Assert.Equal(Reference(k * 7919, n), ShardRouting.ShardOf(k * 7919, n));
            }
        }
    }

    /// <summary>An independent transcription of the published algorithms, checked against the library.</summary>
    private static int Reference(long key, int buckets)
    {
        ulong x = unchecked((ulong)key + 0x9E3779B97F4A7C15UL);
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        x ^= x >> 31;
        long b = -1, j = 0;
        while (j < buckets)
        {
            b = j;
            x = unchecked((x * 2862933555777941757UL) + 1);
            j = (long)((b + 1) * (2147483648.0 / ((x >> 33) + 1)));
        }

        return (int)b;
    }

    [Fact]
    public void SequentialKeysSpreadEvenly()
    {
        int[] counts = new int[8];
        for (long k = 0; k < 80_000; k++)
        {
            counts[ShardRouting.ShardOf(k, 8)]++;
        }

        Assert.All(counts, c => Assert.InRange(c, 9_500, 10_500)); // 10,000 expected, binomial sd ~94
    }

    [Fact]
    public void GrowingTheShardCountMovesKeysOnlyToTheNewShard()
    {
        int moved = 0;
        for (long k = 0; k < 50_000; k++)
        {
            int before = ShardRouting.ShardOf(k, 5), after = ShardRouting.ShardOf(k, 6);
            if (before != after)
            {
                Assert.Equal(5, after);
                moved++;
            }
        }

        Assert.InRange(moved, 7_500, 9_200); // about 1/6 of the keys
        Assert.Throws<ArgumentOutOfRangeException>(() => ShardRouting.ShardOf(1, 0));
    }
}
