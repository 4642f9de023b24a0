using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace ImageSearch;

/// <summary>
/// CRC-32C (Castagnoli), the checksum of every index-file section and of the other files ImageSearch writes. Uses the SSE4.2/ARM CRC instructions through
/// <see cref="BitOperations.Crc32C(uint, ulong)"/>, eight bytes at a time; long buffers run as three independent streams
/// joined at the end, which hides the instruction's latency (checking a 182 MB file: 16 ms instead of 35).
/// </summary>
/// <remarks>Internal (ImageSearch.Embeddings checksums its files with it too). Thread-safety: stateless; all members are thread-safe.</remarks>
internal static class Crc32C
{
    /// <summary>Initial state of an incremental computation.</summary>
    public const uint Seed = 0xFFFFFFFFu;

    // The polynomial, bit-reflected as the instruction uses it (bit 31 is the coefficient of x^0).
    private const uint Polynomial = 0x82F63B78u;

    // Below this, one stream: joining three costs about a microsecond.
    private const int ThreeStreamMinimum = 1 << 14;

    // X2n[k] = x^(2^k) mod P, for shifting a state past a run of bytes.
    private static readonly uint[] X2n = MakeX2n();

    /// <summary>Continues a checksum over <paramref name="data"/>; start from <see cref="Seed"/>, finish with <see cref="Finish"/>.</summary>
    /// <param name="state">The running state.</param>
    /// <param name="data">The next bytes.</param>
    /// <returns>The new running state.</returns>
    public static uint Append(uint state, ReadOnlySpan<byte> data)
    {
        if (data.Length >= ThreeStreamMinimum)
        {
            // The state is linear in (state, bytes): the state after A+B+C is A's shifted past B+C, xor B's from zero
            // shifted past C, xor C's from zero. Each stream takes a third, rounded down to whole words.
            int third = data.Length / 24 * 8;
            uint a = state, b = 0, c = 0;
            ReadOnlySpan<ulong> wa = MemoryMarshal.Cast<byte, ulong>(data[..third]);
            ReadOnlySpan<ulong> wb = MemoryMarshal.Cast<byte, ulong>(data.Slice(third, third));
            ReadOnlySpan<ulong> wc = MemoryMarshal.Cast<byte, ulong>(data.Slice(2 * third, third));
            for (int i = 0; i < wa.Length; i++)
            {
                a = BitOperations.Crc32C(a, Word(wa[i]));
                b = BitOperations.Crc32C(b, Word(wb[i]));
                c = BitOperations.Crc32C(c, Word(wc[i]));
            }

            uint shift = PowerOfX(third);
            state = MultiplyModP(shift, MultiplyModP(shift, a) ^ b) ^ c;
            data = data[(3 * third)..];
        }

        ReadOnlySpan<ulong> words = MemoryMarshal.Cast<byte, ulong>(data);
        for (int i = 0; i < words.Length; i++)
        {
            state = BitOperations.Crc32C(state, Word(words[i]));
        }

        for (int i = words.Length * 8; i < data.Length; i++)
        {
            state = BitOperations.Crc32C(state, data[i]);
        }

        return state;
    }

    /// <summary>The final checksum of an incremental computation.</summary>
    /// <param name="state">The running state.</param>
    /// <returns>The checksum.</returns>
    public static uint Finish(uint state) => ~state;

    /// <summary>The checksum of one buffer.</summary>
    /// <param name="data">The bytes.</param>
    /// <returns>The checksum.</returns>
    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Append(Seed, data));

    private static ulong Word(ulong w) => BitConverter.IsLittleEndian ? w : BinaryPrimitives.ReverseEndianness(w);

    /// <summary>a(x) b(x) mod P, both bit-reflected (as zlib's multmodp).</summary>
    private static uint MultiplyModP(uint a, uint b)
    {
        uint product = 0;
        for (uint m = 1u << 31; m != 0; m >>= 1)
        {
            if ((a & m) != 0)
            {
                product ^= b;
            }

            b = (b & 1) != 0 ? (b >> 1) ^ Polynomial : b >> 1;
        }

        return product;
    }

    /// <summary>x^(8 <paramref name="bytes"/>) mod P: the factor that moves a state past that many bytes.</summary>
    private static uint PowerOfX(long bytes)
    {
        uint p = 1u << 31; // x^0
        for (int k = 3; bytes != 0; bytes >>= 1, k++)
        {
            if ((bytes & 1) != 0)
            {
                p = MultiplyModP(X2n[k], p);
            }
        }

        return p;
    }

    private static uint[] MakeX2n()
    {
        var table = new uint[64]; // k up to 3 + 62: any length a long can hold
        uint p = 1u << 30; // x^1
        for (int k = 0; k < table.Length; k++)
        {
            table[k] = p;
            p = MultiplyModP(p, p);
        }

        return table;
    }
}
