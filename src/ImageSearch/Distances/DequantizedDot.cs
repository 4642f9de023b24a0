using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ImageSearch;

public static partial class DistanceKernels
{
    /// <summary>
    /// Dot product of an f32 query with one row of 8-bit codes read back through a per-dimension affine map:
    /// <c>sum_j query[j] * (offset[j] + scale[j] * codes[j])</c>, in f32 arithmetic. The distance of 8-bit rows
    /// (<see cref="VectorElementType.Int8"/>) when the f32 rows are not kept.
    /// </summary>
    /// <remarks>NaN in the query or the map gives NaN (NaN in, NaN out); codes cannot be NaN. All spans have the query's length (checked by the caller).</remarks>
    internal static float DequantizedDot(ReadOnlySpan<float> query, ReadOnlySpan<byte> codes, ReadOnlySpan<float> offset, ReadOnlySpan<float> scale)
    {
        if (UseVector512 && query.Length >= Vector512Kernels.Count)
        {
            return Vector512Kernels.DequantizedDot(query, codes, offset, scale);
        }

        if ((UseVector512 || UseVector256) && query.Length >= Vector256Kernels.Count)
        {
            return Vector256Kernels.DequantizedDot(query, codes, offset, scale);
        }

        return ScalarKernels.DequantizedDot(query, codes, offset, scale);
    }
}

internal static partial class ScalarKernels
{
    internal static float DequantizedDot(ReadOnlySpan<float> query, ReadOnlySpan<byte> codes, ReadOnlySpan<float> offset, ReadOnlySpan<float> scale)
    {
        float sum = 0;
        for (int j = 0; j < query.Length; j++)
        {
            sum += query[j] * MathF.FusedMultiplyAdd(scale[j], codes[j], offset[j]);
        }

        return sum;
    }
}

internal static partial class Vector512Kernels
{
    /// <summary>At least <see cref="Count"/> elements; the tail is an overlapping chunk masked in the query.</summary>
    internal static float DequantizedDot(ReadOnlySpan<float> query, ReadOnlySpan<byte> codes, ReadOnlySpan<float> offset, ReadOnlySpan<float> scale)
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
            a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref q, k), Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref s, k), LoadCodes(ref c, k), Vector512.LoadUnsafe(ref o, k)), a0);
            nuint k1 = k + Count;
            a1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref q, k1), Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref s, k1), LoadCodes(ref c, k1), Vector512.LoadUnsafe(ref o, k1)), a1);
        }

        if (k < full)
        {
            a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref q, k), Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref s, k), LoadCodes(ref c, k), Vector512.LoadUnsafe(ref o, k)), a0);
        }

        if (full != dim)
        {
            Vector512<float> qTail = Vector512.LoadUnsafe(ref q, last) & TailMask((int)(dim - full));
            a1 = Vector512.FusedMultiplyAdd(qTail, Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref s, last), LoadCodes(ref c, last), Vector512.LoadUnsafe(ref o, last)), a1);
        }

        return Vector512.Sum(a0 + a1);
    }

    /// <summary>16 codes at <paramref name="offset"/> as floats (reads exactly 16 bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> LoadCodes(ref byte source, nuint offset)
    {
        Vector128<byte> b = Vector128.LoadUnsafe(ref source, offset);
        if (Avx512F.IsSupported)
        {
            return Vector512.ConvertToSingle(Avx512F.ConvertToVector512Int32(b));
        }

        Vector256<ushort> w = Vector256.Create(Vector128.WidenLower(b), Vector128.WidenUpper(b));
        return Vector512.ConvertToSingle(Vector512.Create(Vector256.WidenLower(w), Vector256.WidenUpper(w)).AsInt32());
    }
}

internal static partial class Vector256Kernels
{
    /// <summary>At least <see cref="Count"/> elements; the tail is an overlapping chunk masked in the query.</summary>
    internal static float DequantizedDot(ReadOnlySpan<float> query, ReadOnlySpan<byte> codes, ReadOnlySpan<float> offset, ReadOnlySpan<float> scale)
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
            a0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref q, k), Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref s, k), LoadCodes(ref c, k), Vector256.LoadUnsafe(ref o, k)), a0);
            nuint k1 = k + Count;
            a1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref q, k1), Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref s, k1), LoadCodes(ref c, k1), Vector256.LoadUnsafe(ref o, k1)), a1);
        }

        if (k < full)
        {
            a0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref q, k), Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref s, k), LoadCodes(ref c, k), Vector256.LoadUnsafe(ref o, k)), a0);
        }

        if (full != dim)
        {
            Vector256<float> qTail = Vector256.LoadUnsafe(ref q, last) & TailMask((int)(dim - full));
            a1 = Vector256.FusedMultiplyAdd(qTail, Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref s, last), LoadCodes(ref c, last), Vector256.LoadUnsafe(ref o, last)), a1);
        }

        return Vector256.Sum(a0 + a1);
    }

    /// <summary>8 codes at <paramref name="offset"/> as floats (reads exactly 8 bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> LoadCodes(ref byte source, nuint offset)
    {
        Vector128<byte> b = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref source, offset))).AsByte();
        if (Avx2.IsSupported)
        {
            return Vector256.ConvertToSingle(Avx2.ConvertToVector256Int32(b));
        }

        Vector128<ushort> w = Vector128.WidenLower(b);
        return Vector256.ConvertToSingle(Vector256.Create(Vector128.WidenLower(w), Vector128.WidenUpper(w)).AsInt32());
    }
}
