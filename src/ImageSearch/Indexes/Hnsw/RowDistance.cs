using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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

    /// <summary>Codes per step of <see cref="WideCodeDot"/> (and the length of its tail weights).</summary>
    public const int WideChunk = 32;

    /// <summary>Whether <see cref="WideCodeDot"/> runs here for rows of <paramref name="dimension"/> (AVX-512BW, at least one chunk).</summary>
    public static bool HasWideCodeDot(int dimension) => Avx512BW.IsSupported && dimension >= WideChunk;

    /// <summary>
    /// <c>sum_j k_j * c_j</c> over 16-bit weights and 8-bit codes, exact in 32-bit integers (callers keep
    /// <c>255 * sum |k_j| &lt; 2^31</c>, see <see cref="QueryBound"/>): codes widened to 16 bits and multiplied in pairs
    /// (<c>vpmaddwd</c>), 32 a step. The weights hold <paramref name="dimension"/> values and then <see cref="WideChunk"/>
    /// tail values: the last chunk's weights with those already summed zeroed, for an overlapping last load of the
    /// codes. Requires <see cref="HasWideCodeDot"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int WideCodeDot(ref short k, ref byte c, int dimension)
    {
        nuint dim = (nuint)dimension, full = dim & ~(nuint)(WideChunk - 1), i = 0;
        Vector512<int> acc0 = Vector512<int>.Zero, acc1 = Vector512<int>.Zero;
        for (; i + (2 * WideChunk) <= full; i += 2 * WideChunk)
        {
            acc0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref c, i)), Vector512.LoadUnsafe(ref k, i));
            acc1 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref c, i + WideChunk)), Vector512.LoadUnsafe(ref k, i + WideChunk));
        }

        if (i < full)
        {
            acc0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref c, i)), Vector512.LoadUnsafe(ref k, i));
        }

        if (full != dim)
        {
            acc1 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref c, dim - WideChunk)), Vector512.LoadUnsafe(ref k, dim));
        }

        Vector512<int> sum = acc0 + acc1;
        Vector256<int> half = sum.GetLower() + sum.GetUpper();
        return Vector128.Sum(half.GetLower() + half.GetUpper());
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
