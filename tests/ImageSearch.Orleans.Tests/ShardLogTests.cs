namespace ImageSearch.Orleans.Tests;

/// <summary>The write-ahead log: replay in order, a torn tail ignored, corruption in the middle refused.</summary>
public class ShardLogTests
{
    private const int Dim = 4;

    private static byte[] Segment(long generation = 3)
    {
        float[] v = Data.Vectors(6, Dim, seed: 9, duplicateEvery: 0);
        return [.. ShardLog.HeaderRecord(generation), .. ShardLog.AddRecord([1, 2, 3], v.AsSpan(0, 3 * Dim)),
            .. ShardLog.RemoveRecord([2]), .. ShardLog.AddRecord([4, 5, 6], v.AsSpan(3 * Dim))];
    }

    private static ExactIndex Replay(byte[] segment, out int applied, long generation = 3)
    {
        var index = new ExactIndex(Dim, DistanceMetric.SquaredL2);
        applied = ShardLog.Replay(segment, generation, index, "log");
        return index;
    }

    [Fact]
    public void ReplaysEveryRecordInOrder()
    {
        ExactIndex index = Replay(Segment(), out int applied);
        Assert.Equal(3, applied);
        Assert.Equal(new long[] { 1, 3, 4, 5, 6 }, index.GetKeys().Order());
        var v = new float[Dim];
        Assert.True(index.TryGetVector(5, v));
        Assert.Equal(Data.Vectors(6, Dim, seed: 9, duplicateEvery: 0).AsSpan(4 * Dim, Dim).ToArray(), v);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(12)]
    [InlineData(40)]
    public void ATornLastRecordIsIgnored(int cut)
    {
        byte[] whole = Segment();
        ExactIndex index = Replay(whole[..^cut], out int applied);
        Assert.Equal(2, applied);
        Assert.Equal(new long[] { 1, 3 }, index.GetKeys().Order());
    }

    [Fact]
    public void ZerosAfterTheLastRecordAreATornTail()
    {
        byte[] whole = Segment();
        byte[] last = ShardLog.AddRecord([9], new float[] { 1, 2, 3, 4 });
        Array.Clear(last, 20, last.Length - 20); // a cut-short append: size extended, data never written
        ExactIndex index = Replay([.. whole, .. last, .. new byte[64]], out int applied);
        Assert.Equal(3, applied);
        Assert.False(index.Contains(9));
    }

    [Theory]
    [InlineData(30)]   // inside the first add's payload
    [InlineData(21 + 12 + 2)] // inside the first add's record header
    public void ACorruptRecordInTheMiddleIsAnError(int offset)
    {
        byte[] segment = Segment();
        segment[offset] ^= 0x40;
        var e = Assert.Throws<InvalidDataException>(() => Replay(segment, out _));
        Assert.Contains("corrupt", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnotherGenerationsSegmentIsRefused()
        => Assert.Throws<InvalidDataException>(() => Replay(Segment(generation: 3), out _, generation: 4));
}
