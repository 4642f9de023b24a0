using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ImageSearch;

public static partial class DistanceKernels
{
    /// <summary>
    /// Integer dot products of one 16-bit query with many rows of unsigned 8-bit codes:
    /// <c>scores[i] = sum_j query[j] * rows[i * d + j]</c>, <c>d = query.Length</c>, computed exactly in 32-bit integers.
    /// The first pass of the exact index's bounded scan over 8-bit rows (<see cref="VectorElementType.Int8"/>).
    /// </summary>
    /// <remarks>
    /// Exact (no rounding, no NaN: integers) as long as <c>255 * sum_j |query[j]| &lt; 2^31</c>; every partial sum is then
    /// bounded by that total, so no order of accumulation overflows. Callers scale their queries to that range
    /// (see <see cref="ScalarQuantizer"/>). Vector512 widens the codes to 16 bits and multiplies pairs into 32-bit lanes
    /// (AVX-512BW <c>vpmaddwd</c>); Vector256 does the same with AVX2, or AVX-VNNI's <c>vpdpwssd</c> where the CPU has it.
    /// </remarks>
    internal static void QuantizedDotScan(ReadOnlySpan<short> query, ReadOnlySpan<byte> rows, Span<int> scores)
    {
        CheckRows(query.Length, rows.Length, scores.Length, nameof(rows), nameof(scores));
        if (UseVector512 && query.Length >= Vector512Kernels.ByteCount)
        {
            Vector512Kernels.QuantizedDotScan(query, rows, scores);
        }
        else if ((UseVector512 || UseVector256) && query.Length >= Vector256Kernels.ByteCount)
        {
            Vector256Kernels.QuantizedDotScan(query, rows, scores);
        }
        else
        {
            ScalarKernels.QuantizedDotScan(query, rows, scores);
        }
    }
}

internal static partial class ScalarKernels
{
    internal static void QuantizedDotScan(ReadOnlySpan<short> query, ReadOnlySpan<byte> rows, Span<int> scores)
    {
        int d = query.Length;
        for (int i = 0; i < scores.Length; i++)
        {
            ReadOnlySpan<byte> row = rows.Slice(i * d, d);
            int sum = 0;
            for (int j = 0; j < d; j++)
            {
                sum += query[j] * row[j];
            }

            scores[i] = sum;
        }
    }
}

internal static partial class Vector512Kernels
{
    /// <summary>Codes per 512-bit load.</summary>
    internal const int ByteCount = 64;

    /// <summary>Rows of at least <see cref="ByteCount"/> codes; the last partial chunk is an overlapping load whose already-counted codes meet zeros in the query.</summary>
    internal static void QuantizedDotScan(ReadOnlySpan<short> query, ReadOnlySpan<byte> rows, Span<int> scores)
    {
        int d = query.Length;
        nuint dim = (nuint)d, full = dim - (dim % ByteCount), last = dim - ByteCount;
        ref short q = ref MemoryMarshal.GetReference(query);
        ref byte r = ref MemoryMarshal.GetReference(rows);
        // The tail's query: the last 64 elements, with those the full chunks already covered set to zero.
        Vector512<short> skip = Vector512.Create((short)(ByteCount - (int)(dim - full)));
        Vector512<short> tailLo = Vector512.LoadUnsafe(ref q, last) & Vector512.GreaterThanOrEqual(Vector512<short>.Indices, skip);
        Vector512<short> tailHi = Vector512.LoadUnsafe(ref q, last + 32) & Vector512.GreaterThanOrEqual(Vector512<short>.Indices + Vector512.Create((short)32), skip);
        bool hasTail = full != dim;
        int n = scores.Length, i = 0;
        for (; i + 2 <= n; i += 2)
        {
            ref byte r0 = ref Unsafe.Add(ref r, (nint)((nuint)i * dim));
            ref byte r1 = ref Unsafe.Add(ref r0, dim);
            Vector512<int> a0 = default, a1 = default;
            for (nuint k = 0; k < full; k += ByteCount)
            {
                Vector512<short> qLo = Vector512.LoadUnsafe(ref q, k), qHi = Vector512.LoadUnsafe(ref q, k + 32);
                a0 = MultiplyAdd(Vector512.LoadUnsafe(ref r0, k), qLo, qHi, a0);
                a1 = MultiplyAdd(Vector512.LoadUnsafe(ref r1, k), qLo, qHi, a1);
            }

            if (hasTail)
            {
                a0 = MultiplyAdd(Vector512.LoadUnsafe(ref r0, last), tailLo, tailHi, a0);
                a1 = MultiplyAdd(Vector512.LoadUnsafe(ref r1, last), tailLo, tailHi, a1);
            }

            scores[i] = Vector512.Sum(a0);
            scores[i + 1] = Vector512.Sum(a1);
        }

        if (i < n)
        {
            ref byte r0 = ref Unsafe.Add(ref r, (nint)((nuint)i * dim));
            Vector512<int> a0 = default;
            for (nuint k = 0; k < full; k += ByteCount)
            {
                a0 = MultiplyAdd(Vector512.LoadUnsafe(ref r0, k), Vector512.LoadUnsafe(ref q, k), Vector512.LoadUnsafe(ref q, k + 32), a0);
            }

            if (hasTail)
            {
                a0 = MultiplyAdd(Vector512.LoadUnsafe(ref r0, last), tailLo, tailHi, a0);
            }

            scores[i] = Vector512.Sum(a0);
        }
    }

    /// <summary>Adds the 64 products of codes (widened to 16 bits) and query elements to 16 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> MultiplyAdd(Vector512<byte> codes, Vector512<short> queryLo, Vector512<short> queryHi, Vector512<int> accumulator)
    {
        Vector512<short> lo = Vector512.WidenLower(codes).AsInt16(), hi = Vector512.WidenUpper(codes).AsInt16();
        if (Avx512BW.IsSupported)
        {
            return accumulator + Avx512BW.MultiplyAddAdjacent(lo, queryLo) + Avx512BW.MultiplyAddAdjacent(hi, queryHi);
        }

        return accumulator
            + (Vector512.WidenLower(lo) * Vector512.WidenLower(queryLo)) + (Vector512.WidenUpper(lo) * Vector512.WidenUpper(queryLo))
            + (Vector512.WidenLower(hi) * Vector512.WidenLower(queryHi)) + (Vector512.WidenUpper(hi) * Vector512.WidenUpper(queryHi));
    }
}

internal static partial class Vector256Kernels
{
    /// <summary>Codes per 256-bit load.</summary>
    internal const int ByteCount = 32;

    /// <summary>Rows of at least <see cref="ByteCount"/> codes; the last partial chunk is an overlapping load whose already-counted codes meet zeros in the query.</summary>
    internal static void QuantizedDotScan(ReadOnlySpan<short> query, ReadOnlySpan<byte> rows, Span<int> scores)
    {
        int d = query.Length;
        nuint dim = (nuint)d, full = dim - (dim % ByteCount), last = dim - ByteCount;
        ref short q = ref MemoryMarshal.GetReference(query);
        ref byte r = ref MemoryMarshal.GetReference(rows);
        Vector256<short> skip = Vector256.Create((short)(ByteCount - (int)(dim - full)));
        Vector256<short> tailLo = Vector256.LoadUnsafe(ref q, last) & Vector256.GreaterThanOrEqual(Vector256<short>.Indices, skip);
        Vector256<short> tailHi = Vector256.LoadUnsafe(ref q, last + 16) & Vector256.GreaterThanOrEqual(Vector256<short>.Indices + Vector256.Create((short)16), skip);
        bool hasTail = full != dim;
        for (int i = 0; i < scores.Length; i++)
        {
            ref byte r0 = ref Unsafe.Add(ref r, (nint)((nuint)i * dim));
            Vector256<int> a0 = default;
            for (nuint k = 0; k < full; k += ByteCount)
            {
                a0 = MultiplyAdd(Vector256.LoadUnsafe(ref r0, k), Vector256.LoadUnsafe(ref q, k), Vector256.LoadUnsafe(ref q, k + 16), a0);
            }

            if (hasTail)
            {
                a0 = MultiplyAdd(Vector256.LoadUnsafe(ref r0, last), tailLo, tailHi, a0);
            }

            scores[i] = Vector256.Sum(a0);
        }
    }

    /// <summary>Adds the 32 products of codes (widened to 16 bits) and query elements to 8 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> MultiplyAdd(Vector256<byte> codes, Vector256<short> queryLo, Vector256<short> queryHi, Vector256<int> accumulator)
    {
        Vector256<short> lo = Vector256.WidenLower(codes).AsInt16(), hi = Vector256.WidenUpper(codes).AsInt16();
        if (AvxVnni.IsSupported)
        {
            return AvxVnni.MultiplyWideningAndAdd(AvxVnni.MultiplyWideningAndAdd(accumulator, lo, queryLo), hi, queryHi);
        }

        if (Avx2.IsSupported)
        {
            return accumulator + Avx2.MultiplyAddAdjacent(lo, queryLo) + Avx2.MultiplyAddAdjacent(hi, queryHi);
        }

        return accumulator
            + (Vector256.WidenLower(lo) * Vector256.WidenLower(queryLo)) + (Vector256.WidenUpper(lo) * Vector256.WidenUpper(queryLo))
            + (Vector256.WidenLower(hi) * Vector256.WidenLower(queryHi)) + (Vector256.WidenUpper(hi) * Vector256.WidenUpper(queryHi));
    }
}
