using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ImageSearch;

/// <summary>
/// The graph's inner-loop distance: a dot product or squared L2 of two f32 rows given by reference, inlined into the
/// search loop. The general kernels in <c>Distances/</c> validate spans and dispatch per call; at ~10 ns per distance
/// that overhead is a large share of a graph search, which computes thousands per query.
/// </summary>
/// <remarks>Callers guarantee that both references point at <c>dimension</c> readable floats (rows of the store).</remarks>
internal static class RowDistance
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(ref float x, ref float y, int dimension)
    {
        if (Vector512.IsHardwareAccelerated && dimension >= 16)
        {
            nuint dim = (nuint)dimension, full = dim & ~(nuint)15, k = 0;
            Vector512<float> acc0 = Vector512<float>.Zero, acc1 = Vector512<float>.Zero;
            for (; k + 32 <= full; k += 32)
            {
                acc0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, k), Vector512.LoadUnsafe(ref y, k), acc0);
                acc1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, k + 16), Vector512.LoadUnsafe(ref y, k + 16), acc1);
            }

            if (k < full)
            {
                acc0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, k), Vector512.LoadUnsafe(ref y, k), acc0);
            }

            if (full != dim)
            {
                // The last 16 elements, overlapping what was summed; those lanes are masked off in x.
                nuint last = dim - 16;
                acc1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, last) & Vector512Kernels.TailMask((int)(dim - full)), Vector512.LoadUnsafe(ref y, last), acc1);
            }

            return Sum(acc0 + acc1);
        }

        int i = 0;
        float sum = 0;
        if (Vector256.IsHardwareAccelerated && dimension >= 8)
        {
            Vector256<float> acc0 = Vector256<float>.Zero, acc1 = Vector256<float>.Zero;
            for (; i + 16 <= dimension; i += 16)
            {
                acc0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)i), Vector256.LoadUnsafe(ref y, (nuint)i), acc0);
                acc1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)(i + 8)), Vector256.LoadUnsafe(ref y, (nuint)(i + 8)), acc1);
            }

            sum = Vector256.Sum(acc0 + acc1);
        }

        if (Vector256.IsHardwareAccelerated && i + 8 <= dimension)
        {
            sum += Vector256.Sum(Vector256.LoadUnsafe(ref x, (nuint)i) * Vector256.LoadUnsafe(ref y, (nuint)i));
            i += 8;
        }

        if (Vector128.IsHardwareAccelerated && i + 4 <= dimension)
        {
            sum += Vector128.Sum(Vector128.LoadUnsafe(ref x, (nuint)i) * Vector128.LoadUnsafe(ref y, (nuint)i));
            i += 4;
        }

        for (; i < dimension; i++)
        {
            sum += Unsafe.Add(ref x, i) * Unsafe.Add(ref y, i);
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SquaredL2(ref float x, ref float y, int dimension)
    {
        if (Vector512.IsHardwareAccelerated && dimension >= 16)
        {
            nuint dim = (nuint)dimension, full = dim & ~(nuint)15, k = 0;
            Vector512<float> acc0 = Vector512<float>.Zero, acc1 = Vector512<float>.Zero;
            for (; k + 32 <= full; k += 32)
            {
                Vector512<float> d0 = Vector512.LoadUnsafe(ref x, k) - Vector512.LoadUnsafe(ref y, k);
                Vector512<float> d1 = Vector512.LoadUnsafe(ref x, k + 16) - Vector512.LoadUnsafe(ref y, k + 16);
                acc0 = Vector512.FusedMultiplyAdd(d0, d0, acc0);
                acc1 = Vector512.FusedMultiplyAdd(d1, d1, acc1);
            }

            if (k < full)
            {
                Vector512<float> d0 = Vector512.LoadUnsafe(ref x, k) - Vector512.LoadUnsafe(ref y, k);
                acc0 = Vector512.FusedMultiplyAdd(d0, d0, acc0);
            }

            if (full != dim)
            {
                // The last 16 elements, overlapping what was summed; those lanes' differences are masked off.
                nuint last = dim - 16;
                Vector512<float> d1 = (Vector512.LoadUnsafe(ref x, last) - Vector512.LoadUnsafe(ref y, last)) & Vector512Kernels.TailMask((int)(dim - full));
                acc1 = Vector512.FusedMultiplyAdd(d1, d1, acc1);
            }

            return Sum(acc0 + acc1);
        }

        int i = 0;
        float sum = 0;
        if (Vector256.IsHardwareAccelerated && dimension >= 8)
        {
            Vector256<float> acc0 = Vector256<float>.Zero, acc1 = Vector256<float>.Zero;
            for (; i + 16 <= dimension; i += 16)
            {
                Vector256<float> d0 = Vector256.LoadUnsafe(ref x, (nuint)i) - Vector256.LoadUnsafe(ref y, (nuint)i);
                Vector256<float> d1 = Vector256.LoadUnsafe(ref x, (nuint)(i + 8)) - Vector256.LoadUnsafe(ref y, (nuint)(i + 8));
                acc0 = Vector256.FusedMultiplyAdd(d0, d0, acc0);
                acc1 = Vector256.FusedMultiplyAdd(d1, d1, acc1);
            }

            sum = Vector256.Sum(acc0 + acc1);
        }

        if (Vector256.IsHardwareAccelerated && i + 8 <= dimension)
        {
            Vector256<float> d = Vector256.LoadUnsafe(ref x, (nuint)i) - Vector256.LoadUnsafe(ref y, (nuint)i);
            sum += Vector256.Sum(d * d);
            i += 8;
        }

        if (Vector128.IsHardwareAccelerated && i + 4 <= dimension)
        {
            Vector128<float> d = Vector128.LoadUnsafe(ref x, (nuint)i) - Vector128.LoadUnsafe(ref y, (nuint)i);
            sum += Vector128.Sum(d * d);
            i += 4;
        }

        for (; i < dimension; i++)
        {
            float d = Unsafe.Add(ref x, i) - Unsafe.Add(ref y, i);
            sum += d * d;
        }

        return sum;
    }

    /// <summary>
    /// <c>sum_j w[j] * c[j]</c> over f32 weights and 8-bit codes, as <see cref="DistanceKernels.ScaledCodeDot"/> but
    /// inlined (HNSW's 8-bit traversal); the tail is an overlapping chunk masked in the weights.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ScaledCodeDot(ref float w, ref byte c, int dimension)
    {
        if (Vector512.IsHardwareAccelerated && dimension >= 16)
        {
            nuint dim = (nuint)dimension, full = dim - (dim % 16), k = 0;
            Vector512<float> acc0 = Vector512<float>.Zero, acc1 = Vector512<float>.Zero;
            for (; k + 32 <= full; k += 32)
            {
                acc0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref w, k), Vector512Kernels.LoadCodes(ref c, k), acc0);
                acc1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref w, k + 16), Vector512Kernels.LoadCodes(ref c, k + 16), acc1);
            }

            if (k < full)
            {
                acc0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref w, k), Vector512Kernels.LoadCodes(ref c, k), acc0);
            }

            if (full != dim)
            {
                nuint last = dim - 16;
                acc1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref w, last) & Vector512Kernels.TailMask((int)(dim - full)), Vector512Kernels.LoadCodes(ref c, last), acc1);
            }

            return Sum(acc0 + acc1);
        }

        return DistanceKernels.ScaledCodeDot(MemoryMarshal.CreateReadOnlySpan(ref w, dimension), MemoryMarshal.CreateReadOnlySpan(ref c, dimension));
    }

    /// <summary>
    /// Horizontal sum by halves (512 to 256 to 128 bits, then four lanes): fewer dependent steps than
    /// <see cref="Vector512.Sum{T}(Vector512{T})"/>, which reduces each 128-bit quarter on its own.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Sum(Vector512<float> v)
    {
        Vector256<float> half = v.GetLower() + v.GetUpper();
        return Vector128.Sum(half.GetLower() + half.GetUpper());
    }
}
