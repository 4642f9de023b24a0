using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ImageSearch;

public static partial class DistanceKernels
{
    /// <summary>Computes the squared Euclidean distance <c>sum((x[i] - y[i])^2)</c> of two vectors.</summary>
    /// <param name="x">The first vector.</param>
    /// <param name="y">The second vector; must have the same length as <paramref name="x"/>.</param>
    /// <returns>
    /// The squared distance, &gt;= 0; 0 for empty vectors. NaN if any element is NaN (NaN in, NaN out), or when both
    /// vectors hold the same infinity at some index.
    /// </returns>
    /// <exception cref="ArgumentException"><paramref name="y"/> and <paramref name="x"/> have different lengths.</exception>
    public static float SquaredL2(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        CheckSameLength(x.Length, y.Length, nameof(y));
        if (UseVector512)
        {
            return Vector512Kernels.SquaredL2(x, y);
        }

        if (UseVector256)
        {
            return Vector256Kernels.SquaredL2(x, y);
        }

        return ScalarKernels.SquaredL2(x, y);
    }

    /// <summary>Computes the squared Euclidean distance <c>sum((x[i] - (float)y[i])^2)</c> of an f32 vector and an f16 vector, in f32 arithmetic.</summary>
    /// <param name="x">The first vector.</param>
    /// <param name="y">The second vector, stored as <see cref="Half"/>; must have the same length as <paramref name="x"/>.</param>
    /// <returns>The squared distance, &gt;= 0; 0 for empty vectors. NaN if any element is NaN (NaN in, NaN out).</returns>
    /// <exception cref="ArgumentException"><paramref name="y"/> and <paramref name="x"/> have different lengths.</exception>
    public static float SquaredL2(ReadOnlySpan<float> x, ReadOnlySpan<Half> y)
    {
        CheckSameLength(x.Length, y.Length, nameof(y));
        if (UseVector512)
        {
            return Vector512Kernels.SquaredL2(x, y);
        }

        if (UseVector256)
        {
            return Vector256Kernels.SquaredL2(x, y);
        }

        return ScalarKernels.SquaredL2(x, y);
    }
}

internal static partial class ScalarKernels
{
    internal static float SquaredL2<T>(ReadOnlySpan<float> x, ReadOnlySpan<T> y)
        where T : unmanaged
    {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i <= x.Length - 4; i += 4)
        {
            float d0 = x[i] - ToSingle(y[i]);
            float d1 = x[i + 1] - ToSingle(y[i + 1]);
            float d2 = x[i + 2] - ToSingle(y[i + 2]);
            float d3 = x[i + 3] - ToSingle(y[i + 3]);
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
        }

        for (; i < x.Length; i++)
        {
            float d = x[i] - ToSingle(y[i]);
            s0 += d * d;
        }

        return (s0 + s1) + (s2 + s3);
    }
}

internal static partial class Vector256Kernels
{
    internal static float SquaredL2<T>(ReadOnlySpan<float> x, ReadOnlySpan<T> y)
        where T : unmanaged
    {
        nuint length = (nuint)x.Length;
        if (length < Count)
        {
            if (length == 0)
            {
                return 0f;
            }

            Vector256<float> d = LoadPartial(x) - LoadPartial(y);
            return Vector256.Sum(d * d);
        }

        ref float xr = ref MemoryMarshal.GetReference(x);
        ref T yr = ref MemoryMarshal.GetReference(y);
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        nuint i = 0;
        for (; i + (4 * Count) <= length; i += 4 * Count)
        {
            Vector256<float> d0 = Load(ref xr, i) - Load(ref yr, i);
            Vector256<float> d1 = Load(ref xr, i + Count) - Load(ref yr, i + Count);
            Vector256<float> d2 = Load(ref xr, i + (2 * Count)) - Load(ref yr, i + (2 * Count));
            Vector256<float> d3 = Load(ref xr, i + (3 * Count)) - Load(ref yr, i + (3 * Count));
            a0 = Vector256.FusedMultiplyAdd(d0, d0, a0);
            a1 = Vector256.FusedMultiplyAdd(d1, d1, a1);
            a2 = Vector256.FusedMultiplyAdd(d2, d2, a2);
            a3 = Vector256.FusedMultiplyAdd(d3, d3, a3);
        }

        // At most three full vectors and a partial one remain: each goes to its own accumulator so they do not wait on each other.
        if (i + Count <= length)
        {
            Vector256<float> d0 = Load(ref xr, i) - Load(ref yr, i);
            a0 = Vector256.FusedMultiplyAdd(d0, d0, a0);
            i += Count;
            if (i + Count <= length)
            {
                Vector256<float> d1 = Load(ref xr, i) - Load(ref yr, i);
                a1 = Vector256.FusedMultiplyAdd(d1, d1, a1);
                i += Count;
                if (i + Count <= length)
                {
                    Vector256<float> d2 = Load(ref xr, i) - Load(ref yr, i);
                    a2 = Vector256.FusedMultiplyAdd(d2, d2, a2);
                    i += Count;
                }
            }
        }

        if (i != length)
        {
            nuint last = length - Count;
            Vector256<float> d = (Load(ref xr, last) - Load(ref yr, last)) & TailMask((int)(length - i));
            a3 = Vector256.FusedMultiplyAdd(d, d, a3);
        }

        return Vector256.Sum((a0 + a1) + (a2 + a3));
    }
}

internal static partial class Vector512Kernels
{
    internal static float SquaredL2<T>(ReadOnlySpan<float> x, ReadOnlySpan<T> y)
        where T : unmanaged
    {
        nuint length = (nuint)x.Length;
        if (length < Count)
        {
            if (length == 0)
            {
                return 0f;
            }

            Vector512<float> d = LoadPartial(x) - LoadPartial(y);
            return Vector512.Sum(d * d);
        }

        ref float xr = ref MemoryMarshal.GetReference(x);
        ref T yr = ref MemoryMarshal.GetReference(y);
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        nuint i = 0;
        for (; i + (4 * Count) <= length; i += 4 * Count)
        {
            Vector512<float> d0 = Load(ref xr, i) - Load(ref yr, i);
            Vector512<float> d1 = Load(ref xr, i + Count) - Load(ref yr, i + Count);
            Vector512<float> d2 = Load(ref xr, i + (2 * Count)) - Load(ref yr, i + (2 * Count));
            Vector512<float> d3 = Load(ref xr, i + (3 * Count)) - Load(ref yr, i + (3 * Count));
            a0 = Vector512.FusedMultiplyAdd(d0, d0, a0);
            a1 = Vector512.FusedMultiplyAdd(d1, d1, a1);
            a2 = Vector512.FusedMultiplyAdd(d2, d2, a2);
            a3 = Vector512.FusedMultiplyAdd(d3, d3, a3);
        }

        // At most three full vectors and a partial one remain: each goes to its own accumulator so they do not wait on each other.
        if (i + Count <= length)
        {
            Vector512<float> d0 = Load(ref xr, i) - Load(ref yr, i);
            a0 = Vector512.FusedMultiplyAdd(d0, d0, a0);
            i += Count;
            if (i + Count <= length)
            {
                Vector512<float> d1 = Load(ref xr, i) - Load(ref yr, i);
                a1 = Vector512.FusedMultiplyAdd(d1, d1, a1);
                i += Count;
                if (i + Count <= length)
                {
                    Vector512<float> d2 = Load(ref xr, i) - Load(ref yr, i);
                    a2 = Vector512.FusedMultiplyAdd(d2, d2, a2);
                    i += Count;
                }
            }
        }

        if (i != length)
        {
            nuint last = length - Count;
            Vector512<float> d = (Load(ref xr, last) - Load(ref yr, last)) & TailMask((int)(length - i));
            a3 = Vector512.FusedMultiplyAdd(d, d, a3);
        }

        return Vector512.Sum((a0 + a1) + (a2 + a3));
    }
}
