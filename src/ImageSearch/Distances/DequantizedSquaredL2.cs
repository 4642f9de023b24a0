using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ImageSearch;

public static partial class DistanceKernels
{
    /// <summary>
    /// Squared L2 distance between an f32 query and one row of 8-bit codes read back through a per-dimension affine
    /// map: <c>sum_j (query[j] - (offset[j] + scale[j] * codes[j]))^2</c>, in f32 arithmetic. The distance of 8-bit rows
    /// (<see cref="VectorElementType.Int8"/>) when the f32 rows are not kept.
    /// </summary>
    /// <remarks>NaN in the query or the map gives NaN (NaN in, NaN out); codes cannot be NaN. All spans have the query's length (checked by the caller).</remarks>
    internal static float DequantizedSquaredL2(ReadOnlySpan<float> query, ReadOnlySpan<byte> codes, ReadOnlySpan<float> offset, ReadOnlySpan<float> scale)
    {
        if (UseVector512 && query.Length >= Vector512Kernels.Count)
        {
            return Vector512Kernels.DequantizedSquaredL2(query, codes, offset, scale);
        }

        if ((UseVector512 || UseVector256) && query.Length >= Vector256Kernels.Count)
        {
            return Vector256Kernels.DequantizedSquaredL2(query, codes, offset, scale);
        }

        return ScalarKernels.DequantizedSquaredL2(query, codes, offset, scale);
    }
}

internal static partial class ScalarKernels
{
    internal static float DequantizedSquaredL2(ReadOnlySpan<float> query, ReadOnlySpan<byte> codes, ReadOnlySpan<float> offset, ReadOnlySpan<float> scale)
    {
        float sum = 0;
        for (int j = 0; j < query.Length; j++)
        {
            float d = query[j] - MathF.FusedMultiplyAdd(scale[j], codes[j], offset[j]);
            sum += d * d;
        }

        return sum;
    }
}

internal static partial class Vector512Kernels
{
    /// <summary>At least <see cref="Count"/> elements; the tail is an overlapping chunk whose repeated differences are masked.</summary>
    internal static float DequantizedSquaredL2(ReadOnlySpan<float> query, ReadOnlySpan<byte> codes, ReadOnlySpan<float> offset, ReadOnlySpan<float> scale)
    {
        nuint dim = (nuint)query.Length, full = dim - (dim % Count), last = dim - Count;
        ref float q = ref MemoryMarshal.GetReference(query);
        ref byte c = ref MemoryMarshal.GetReference(codes);
        ref float o = ref MemoryMarshal.GetReference(offset);
        ref float s = ref MemoryMarshal.GetReference(scale);
        Vector512<float> a0 = default, a1 = default;
        nuint k = 0;
        for (; k + (2 * Count) <= full; k += 2 * Count)
        {
            Vector512<float> d0 = Vector512.LoadUnsafe(ref q, k) - Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref s, k), LoadCodes(ref c, k), Vector512.LoadUnsafe(ref o, k));
            nuint k1 = k + Count;
            Vector512<float> d1 = Vector512.LoadUnsafe(ref q, k1) - Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref s, k1), LoadCodes(ref c, k1), Vector512.LoadUnsafe(ref o, k1));
            a0 = Vector512.FusedMultiplyAdd(d0, d0, a0);
            a1 = Vector512.FusedMultiplyAdd(d1, d1, a1);
        }

        if (k < full)
        {
            Vector512<float> d0 = Vector512.LoadUnsafe(ref q, k) - Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref s, k), LoadCodes(ref c, k), Vector512.LoadUnsafe(ref o, k));
            a0 = Vector512.FusedMultiplyAdd(d0, d0, a0);
        }

        if (full != dim)
        {
            Vector512<float> d1 = (Vector512.LoadUnsafe(ref q, last) - Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref s, last), LoadCodes(ref c, last), Vector512.LoadUnsafe(ref o, last)))
                & TailMask((int)(dim - full));
            a1 = Vector512.FusedMultiplyAdd(d1, d1, a1);
        }

        return Vector512.Sum(a0 + a1);
    }
}

internal static partial class Vector256Kernels
{
    /// <summary>At least <see cref="Count"/> elements; the tail is an overlapping chunk whose repeated differences are masked.</summary>
    internal static float DequantizedSquaredL2(ReadOnlySpan<float> query, ReadOnlySpan<byte> codes, ReadOnlySpan<float> offset, ReadOnlySpan<float> scale)
    {
        nuint dim = (nuint)query.Length, full = dim - (dim % Count), last = dim - Count;
        ref float q = ref MemoryMarshal.GetReference(query);
        ref byte c = ref MemoryMarshal.GetReference(codes);
        ref float o = ref MemoryMarshal.GetReference(offset);
        ref float s = ref MemoryMarshal.GetReference(scale);
        Vector256<float> a0 = default, a1 = default;
        nuint k = 0;
        for (; k + (2 * Count) <= full; k += 2 * Count)
        {
            Vector256<float> d0 = Vector256.LoadUnsafe(ref q, k) - Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref s, k), LoadCodes(ref c, k), Vector256.LoadUnsafe(ref o, k));
            nuint k1 = k + Count;
            Vector256<float> d1 = Vector256.LoadUnsafe(ref q, k1) - Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref s, k1), LoadCodes(ref c, k1), Vector256.LoadUnsafe(ref o, k1));
            a0 = Vector256.FusedMultiplyAdd(d0, d0, a0);
            a1 = Vector256.FusedMultiplyAdd(d1, d1, a1);
        }

        if (k < full)
        {
            Vector256<float> d0 = Vector256.LoadUnsafe(ref q, k) - Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref s, k), LoadCodes(ref c, k), Vector256.LoadUnsafe(ref o, k));
            a0 = Vector256.FusedMultiplyAdd(d0, d0, a0);
        }

        if (full != dim)
        {
            Vector256<float> d1 = (Vector256.LoadUnsafe(ref q, last) - Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref s, last), LoadCodes(ref c, last), Vector256.LoadUnsafe(ref o, last)))
                & TailMask((int)(dim - full));
            a1 = Vector256.FusedMultiplyAdd(d1, d1, a1);
        }

        return Vector256.Sum(a0 + a1);
    }
}
