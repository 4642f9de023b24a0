namespace ImageSearch.Tests.Storage;

public class Crc32CTests
{
    // Bit by bit, as the standard defines it: the reference the fast paths must match.
    private static uint Reference(uint state, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data)
        {
            state ^= b;
            for (int i = 0; i < 8; i++)
            {
                state = (state & 1) != 0 ? (state >> 1) ^ 0x82F63B78u : state >> 1;
            }
        }

        return state;
    }

    [Fact]
    public void CheckValueOfTheStandard() => Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(16383)]
    [InlineData(16384)]
    [InlineData(16385)]
    [InlineData(65536 + 13)]
    [InlineData(1 << 20)]
    [InlineData((3 << 20) + 5)]
    public void ThreeStreamsMatchTheBitwiseDefinition(int length)
    {
        byte[] data = new byte[length];
        new Random(length).NextBytes(data);
        Assert.Equal(Reference(Crc32C.Seed, data), Crc32C.Append(Crc32C.Seed, data));
        Assert.Equal(Reference(0x12345678u, data), Crc32C.Append(0x12345678u, data)); // a running state carries through
    }

    [Fact]
    public void PiecesGiveTheWholeChecksum()
    {
        byte[] data = new byte[200_003];
        new Random(5).NextBytes(data);
        uint whole = Crc32C.Compute(data);
        foreach (int cut in new[] { 1, 8, 16_384, 100_000, 199_999 })
        {
            Assert.Equal(whole, Crc32C.Finish(Crc32C.Append(Crc32C.Append(Crc32C.Seed, data.AsSpan(0, cut)), data.AsSpan(cut))));
        }
    }
}
