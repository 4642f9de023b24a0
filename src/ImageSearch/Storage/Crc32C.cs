using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace ImageSearch;

/// <summary>
/// CRC-32C (Castagnoli), the checksum of every index-file section and of the other files ImageSearch writes. Uses the SSE4.2/ARM CRC instructions through
/// <see cref="BitOperations.Crc32C(uint, ulong)"/>, eight bytes at a time, so checking a 132 MB section costs tens of milliseconds.
/// </summary>
/// <remarks>Internal (ImageSearch.Embeddings checksums its files with it too). Thread-safety: stateless; all members are thread-safe.</remarks>
internal static class Crc32C
{
    /// <summary>Initial state of an incremental computation.</summary>
    public const uint Seed = 0xFFFFFFFFu;

    /// <summary>Continues a checksum over <paramref name="data"/>; start from <see cref="Seed"/>, finish with <see cref="Finish"/>.</summary>
    /// <param name="state">The running state.</param>
    /// <param name="data">The next bytes.</param>
    /// <returns>The new running state.</returns>
    public static uint Append(uint state, ReadOnlySpan<byte> data)
    {
        // Three independent streams would hide the instruction's latency, but one stream already runs at several GB/s.
        ReadOnlySpan<ulong> words = MemoryMarshal.Cast<byte, ulong>(data);
        for (int i = 0; i < words.Length; i++)
        {
            state = BitOperations.Crc32C(state, BitConverter.IsLittleEndian ? words[i] : BinaryPrimitives.ReverseEndianness(words[i]));
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
}
