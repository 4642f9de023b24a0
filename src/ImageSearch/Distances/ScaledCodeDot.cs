using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ImageSearch;

public static partial class DistanceKernels
{
    /// <summary>
    /// Dot product of f32 weights with one row of unsigned 8-bit codes: <c>sum_j weights[j] * codes[j]</c>, in f32
    /// arithmetic. HNSW's 8-bit traversal computes <c>q . x̂</c> as a per-query constant plus this, with
    /// <c>weights[j] = q[j] * step[j]</c> (see <see cref="ScalarQuantizer"/>).
    /// </summary>
    /// <remarks>NaN weights give NaN (NaN in, NaN out); codes cannot be NaN. <paramref name="codes"/> has the weights' length (checked by the caller).</remarks>
    internal static float ScaledCodeDot(ReadOnlySpan<float> weights, ReadOnlySpan<byte> codes)
    {
        if (UseVector512 && weights.Length >= Vector512Kernels.Count)
        {
            return Vector512Kernels.ScaledCodeDot(weights, codes);
        }

        if ((UseVector512 || UseVector256) && weights.Length >= Vector256Kernels.Count)
        {
            return Vector256Kernels.ScaledCodeDot(weights, codes);
        }

        return ScalarKernels.ScaledCodeDot(weights, codes);
    }
}

internal static partial class ScalarKernels
{
    internal static float ScaledCodeDot(ReadOnlySpan<float> weights, ReadOnlySpan<byte> codes)
    {
        float sum = 0;
        for (int j = 0; j < weights.Length; j++)
        {
            sum += weights[j] * codes[j];
        }

        return sum;
    }
}

internal static partial class Vector512Kernels
{
    /// <summary>At least <see cref="Count"/> elements; the tail is an overlapping chunk masked in the weights.</summary>
    internal static float ScaledCodeDot(ReadOnlySpan<float> weights, ReadOnlySpan<byte> codes)
    {
        nuint dim = (nuint)weights.Length, full = dim - (dim % Count), last = dim - Count;
        ref float w = ref MemoryMarshal.GetReference(weights);
        ref byte c = ref MemoryMarshal.GetReference(codes);
        Vector512<float> a0 = default, a1 = default;
        nuint k = 0;
        for (; k + (2 * Count) <= full; k += 2 * Count)
        {
            a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref w, k), LoadCodes(ref c, k), a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref w, k + Count), LoadCodes(ref c, k + Count), a1);
        }

        if (k < full)
        {
            a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref w, k), LoadCodes(ref c, k), a0);
        }

        if (full != dim)
        {
            a1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref w, last) & TailMask((int)(dim - full)), LoadCodes(ref c, last), a1);
        }

        return Vector512.Sum(a0 + a1);
    }
}

internal static partial class Vector256Kernels
{
    /// <summary>At least <see cref="Count"/> elements; the tail is an overlapping chunk masked in the weights.</summary>
    internal static float ScaledCodeDot(ReadOnlySpan<float> weights, ReadOnlySpan<byte> codes)
    {
        nuint dim = (nuint)weights.Length, full = dim - (dim % Count), last = dim - Count;
        ref float w = ref MemoryMarshal.GetReference(weights);
        ref byte c = ref MemoryMarshal.GetReference(codes);
        Vector256<float> a0 = default, a1 = default;
        nuint k = 0;
        for (; k + (2 * Count) <= full; k += 2 * Count)
        {
            a0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref w, k), LoadCodes(ref c, k), a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref w, k + Count), LoadCodes(ref c, k + Count), a1);
        }

        if (k < full)
        {
            a0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref w, k), LoadCodes(ref c, k), a0);
        }

        if (full != dim)
        {
            a1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref w, last) & TailMask((int)(dim - full)), LoadCodes(ref c, last), a1);
        }

        return Vector256.Sum(a0 + a1);
    }
}
