using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ImageSearch;

public static partial class DistanceKernels
{
    /// <summary>
    /// Computes the cosine similarity <c>dot(x, y) / (|x| * |y|)</c> of two vectors in one pass over the data.
    /// </summary>
    /// <param name="x">The first vector.</param>
    /// <param name="y">The second vector; must have the same length as <paramref name="x"/>.</param>
    /// <returns>
    /// The similarity in [-1, 1] (up to rounding). NaN when either vector is all zeros or empty (0 / 0), and NaN if any
    /// element is NaN (NaN in, NaN out). The squared norms are accumulated in f32 (elements beyond about 1e19 in
    /// magnitude overflow them); the result is <c>dot / (sqrt(|x|^2) * sqrt(|y|^2))</c>, so the product of the norms
    /// does not overflow.
    /// </returns>
    /// <exception cref="ArgumentException"><paramref name="y"/> and <paramref name="x"/> have different lengths.</exception>
    public static float CosineSimilarity(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        CheckSameLength(x.Length, y.Length, nameof(y));
        if (UseVector512)
        {
            return Vector512Kernels.CosineSimilarity(x, y);
        }

        if (UseVector256)
        {
            return Vector256Kernels.CosineSimilarity(x, y);
        }

        return ScalarKernels.CosineSimilarity(x, y);
    }

    /// <summary>
    /// Computes the cosine similarity <c>dot(x, y) / (|x| * |y|)</c> of an f32 vector and an f16 vector, in f32 arithmetic.
    /// </summary>
    /// <param name="x">The first vector.</param>
    /// <param name="y">The second vector, stored as <see cref="Half"/>; must have the same length as <paramref name="x"/>.</param>
    /// <returns>
    /// The similarity in [-1, 1] (up to rounding). NaN when either vector is all zeros or empty, and NaN if any element
    /// is NaN (NaN in, NaN out).
    /// </returns>
    /// <exception cref="ArgumentException"><paramref name="y"/> and <paramref name="x"/> have different lengths.</exception>
    public static float CosineSimilarity(ReadOnlySpan<float> x, ReadOnlySpan<Half> y)
    {
        CheckSameLength(x.Length, y.Length, nameof(y));
        if (UseVector512)
        {
            return Vector512Kernels.CosineSimilarity(x, y);
        }

        if (UseVector256)
        {
            return Vector256Kernels.CosineSimilarity(x, y);
        }

        return ScalarKernels.CosineSimilarity(x, y);
    }
}

internal static partial class ScalarKernels
{
    /// <summary>dot / (|x| * |y|): two square roots rather than sqrt(xx * yy), so the product cannot overflow; 0 / 0 gives NaN for zero vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float FinishCosine(float dot, float xx, float yy) => dot / (MathF.Sqrt(xx) * MathF.Sqrt(yy));

    internal static float CosineSimilarity<T>(ReadOnlySpan<float> x, ReadOnlySpan<T> y)
        where T : unmanaged
    {
        float dot0 = 0, dot1 = 0, xx0 = 0, xx1 = 0, yy0 = 0, yy1 = 0;
        int i = 0;
        for (; i <= x.Length - 2; i += 2)
        {
            float x0 = x[i], y0 = ToSingle(y[i]), x1 = x[i + 1], y1 = ToSingle(y[i + 1]);
            dot0 += x0 * y0;
            xx0 += x0 * x0;
            yy0 += y0 * y0;
            dot1 += x1 * y1;
            xx1 += x1 * x1;
            yy1 += y1 * y1;
        }

        if (i < x.Length)
        {
            float x0 = x[i], y0 = ToSingle(y[i]);
            dot0 += x0 * y0;
            xx0 += x0 * x0;
            yy0 += y0 * y0;
        }

        return FinishCosine(dot0 + dot1, xx0 + xx1, yy0 + yy1);
    }
}

internal static partial class Vector256Kernels
{
    internal static float CosineSimilarity<T>(ReadOnlySpan<float> x, ReadOnlySpan<T> y)
        where T : unmanaged
    {
        nuint length = (nuint)x.Length;
        Vector256<float> dot0 = default, xx0 = default, yy0 = default, dot1 = default, xx1 = default, yy1 = default;
        if (length < Count)
        {
            if (length != 0)
            {
                Vector256<float> xv = LoadPartial(x), yv = LoadPartial(y);
                dot0 = xv * yv;
                xx0 = xv * xv;
                yy0 = yv * yv;
            }

            return ScalarKernels.FinishCosine(Vector256.Sum(dot0), Vector256.Sum(xx0), Vector256.Sum(yy0));
        }

        ref float xr = ref MemoryMarshal.GetReference(x);
        ref T yr = ref MemoryMarshal.GetReference(y);
        nuint i = 0;
        for (; i + (2 * Count) <= length; i += 2 * Count)
        {
            Vector256<float> x0 = Load(ref xr, i), y0 = Load(ref yr, i);
            Vector256<float> x1 = Load(ref xr, i + Count), y1 = Load(ref yr, i + Count);
            dot0 = Vector256.FusedMultiplyAdd(x0, y0, dot0);
            xx0 = Vector256.FusedMultiplyAdd(x0, x0, xx0);
            yy0 = Vector256.FusedMultiplyAdd(y0, y0, yy0);
            dot1 = Vector256.FusedMultiplyAdd(x1, y1, dot1);
            xx1 = Vector256.FusedMultiplyAdd(x1, x1, xx1);
            yy1 = Vector256.FusedMultiplyAdd(y1, y1, yy1);
        }

        if (i + Count <= length)
        {
            Vector256<float> x0 = Load(ref xr, i), y0 = Load(ref yr, i);
            dot0 = Vector256.FusedMultiplyAdd(x0, y0, dot0);
            xx0 = Vector256.FusedMultiplyAdd(x0, x0, xx0);
            yy0 = Vector256.FusedMultiplyAdd(y0, y0, yy0);
            i += Count;
        }

        if (i != length)
        {
            nuint last = length - Count;
            Vector256<float> mask = TailMask((int)(length - i));
            Vector256<float> x1 = Load(ref xr, last) & mask, y1 = Load(ref yr, last) & mask;
            dot1 = Vector256.FusedMultiplyAdd(x1, y1, dot1);
            xx1 = Vector256.FusedMultiplyAdd(x1, x1, xx1);
            yy1 = Vector256.FusedMultiplyAdd(y1, y1, yy1);
        }

        // One transposing reduction for the three sums instead of three horizontal sums.
        Vector128<float> sums = Sum4(dot0 + dot1, xx0 + xx1, yy0 + yy1, Vector256<float>.Zero);
        return ScalarKernels.FinishCosine(sums.GetElement(0), sums.GetElement(1), sums.GetElement(2));
    }
}

internal static partial class Vector512Kernels
{
    internal static float CosineSimilarity<T>(ReadOnlySpan<float> x, ReadOnlySpan<T> y)
        where T : unmanaged
    {
        nuint length = (nuint)x.Length;
        Vector512<float> dot0 = default, xx0 = default, yy0 = default, dot1 = default, xx1 = default, yy1 = default;
        if (length < Count)
        {
            if (length != 0)
            {
                Vector512<float> xv = LoadPartial(x), yv = LoadPartial(y);
                dot0 = xv * yv;
                xx0 = xv * xv;
                yy0 = yv * yv;
            }

            return ScalarKernels.FinishCosine(Vector512.Sum(dot0), Vector512.Sum(xx0), Vector512.Sum(yy0));
        }

        ref float xr = ref MemoryMarshal.GetReference(x);
        ref T yr = ref MemoryMarshal.GetReference(y);
        nuint i = 0;
        for (; i + (2 * Count) <= length; i += 2 * Count)
        {
            Vector512<float> x0 = Load(ref xr, i), y0 = Load(ref yr, i);
            Vector512<float> x1 = Load(ref xr, i + Count), y1 = Load(ref yr, i + Count);
            dot0 = Vector512.FusedMultiplyAdd(x0, y0, dot0);
            xx0 = Vector512.FusedMultiplyAdd(x0, x0, xx0);
            yy0 = Vector512.FusedMultiplyAdd(y0, y0, yy0);
            dot1 = Vector512.FusedMultiplyAdd(x1, y1, dot1);
            xx1 = Vector512.FusedMultiplyAdd(x1, x1, xx1);
            yy1 = Vector512.FusedMultiplyAdd(y1, y1, yy1);
        }

        if (i + Count <= length)
        {
            Vector512<float> x0 = Load(ref xr, i), y0 = Load(ref yr, i);
            dot0 = Vector512.FusedMultiplyAdd(x0, y0, dot0);
            xx0 = Vector512.FusedMultiplyAdd(x0, x0, xx0);
            yy0 = Vector512.FusedMultiplyAdd(y0, y0, yy0);
            i += Count;
        }

        if (i != length)
        {
            nuint last = length - Count;
            Vector512<float> mask = TailMask((int)(length - i));
            Vector512<float> x1 = Load(ref xr, last) & mask, y1 = Load(ref yr, last) & mask;
            dot1 = Vector512.FusedMultiplyAdd(x1, y1, dot1);
            xx1 = Vector512.FusedMultiplyAdd(x1, x1, xx1);
            yy1 = Vector512.FusedMultiplyAdd(y1, y1, yy1);
        }

        // One transposing reduction for the three sums instead of three horizontal sums.
        Vector128<float> sums = Sum4(dot0 + dot1, xx0 + xx1, yy0 + yy1, Vector512<float>.Zero);
        return ScalarKernels.FinishCosine(sums.GetElement(0), sums.GetElement(1), sums.GetElement(2));
    }
}
