using System.Buffers.Binary;

namespace ImageSearch.Reliability.Fuzzing;

/// <summary>
/// Mutates a valid seed: bit flips, byte runs, truncation, splicing with another seed, huge or negative values over
/// int32/int64 fields, inserted or deleted bytes and inserted tokens. One to three mutations are stacked per input.
/// Deterministic for a given <see cref="Random"/>.
/// </summary>
public static class Mutator
{
    private static readonly long[] Huge =
    [
        int.MaxValue, int.MinValue, -1, 0, 1, 0x7FFFFFF0, 1 << 30, 1 << 24, 65536, 65535, 0x80000000L, uint.MaxValue,
        long.MaxValue, long.MinValue, 1L << 40, 1L << 62,
    ];

    public static byte[] Mutate(Random rng, byte[] seed, IReadOnlyList<byte[]> seeds, IReadOnlyList<byte[]>? tokens)
    {
        byte[] data = (byte[])seed.Clone();
        int steps = 1 + rng.Next(3);
        for (int s = 0; s < steps; s++)
        {
            data = MutateOnce(rng, data, seeds, tokens);
        }

        return data;
    }

    private static byte[] MutateOnce(Random rng, byte[] data, IReadOnlyList<byte[]> seeds, IReadOnlyList<byte[]>? tokens)
    {
        if (data.Length == 0)
        {
            return [(byte)rng.Next(256)];
        }

        switch (rng.Next(tokens is null ? 8 : 9))
        {
            case 0: // bit flips
            case 1:
                for (int i = 1 + rng.Next(8); i > 0; i--)
                {
                    data[rng.Next(data.Length)] ^= (byte)(1 << rng.Next(8));
                }

                return data;
            case 2: // a run of one byte value or of random bytes
            {
                int at = rng.Next(data.Length);
                int len = Math.Min(data.Length - at, 1 + rng.Next(64));
                if (rng.Next(2) == 0)
                {
                    data.AsSpan(at, len).Fill((byte)(rng.Next(2) == 0 ? 0xFF : rng.Next(256)));
                }
                else
                {
                    rng.NextBytes(data.AsSpan(at, len));
                }

                return data;
            }

            case 3: // truncation
                return data[..rng.Next(data.Length)];
            case 4: // splice: this file's prefix, another seed's suffix (or the same file at another offset)
            {
                byte[] other = seeds[rng.Next(seeds.Count)];
                int cut = rng.Next(data.Length + 1);
                int from = other.Length == 0 ? 0 : rng.Next(other.Length);
                return [.. data.AsSpan(0, cut), .. other.AsSpan(from)];
            }

            case 5: // huge length fields: int32 or int64 over a (mostly aligned) offset
            case 6:
            {
                long value = Huge[rng.Next(Huge.Length)];
                bool wide = rng.Next(2) == 0;
                int size = wide ? 8 : 4;
                if (data.Length < size)
                {
                    return data;
                }

                int at = rng.Next(data.Length - size + 1);
                if (rng.Next(4) != 0)
                {
                    at &= ~(size - 1);
                }

                if (wide)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(at), value);
                }
                else
                {
                    BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(at), unchecked((int)value));
                }

                return data;
            }

            case 7: // insert or delete a few bytes
            {
                int at = rng.Next(data.Length);
                if (rng.Next(2) == 0)
                {
                    int len = Math.Min(data.Length - at, 1 + rng.Next(16));
                    return [.. data.AsSpan(0, at), .. data.AsSpan(at + len)];
                }

                byte[] insert = new byte[1 + rng.Next(16)];
                rng.NextBytes(insert);
                return [.. data.AsSpan(0, at), .. insert, .. data.AsSpan(at)];
            }

            default: // a token of the format (text readers)
            {
                byte[] token = tokens![rng.Next(tokens.Count)];
                int at = rng.Next(data.Length + 1);
                if (rng.Next(2) == 0)
                {
                    return [.. data.AsSpan(0, at), .. token, .. data.AsSpan(at)];
                }

                int len = Math.Min(data.Length - at, token.Length);
                return [.. data.AsSpan(0, at), .. token, .. data.AsSpan(at + len)];
            }
        }
    }
}
