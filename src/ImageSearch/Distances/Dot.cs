using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ImageSearch;

public static partial class DistanceKernels
{
    /// <summary>Computes the dot product <c>sum(x[i] * y[i])</c> of two vectors.</summary>
    /// <param name="x">The first vector.</param>
    /// <param name="y">The second vector; must have the same length as <paramref name="x"/>.</param>
    /// <returns>The dot product; 0 for empty vectors. NaN if any element is NaN (NaN in, NaN out).</returns>
    /// <exception cref="ArgumentException"><paramref name="y"/> and <paramref name="x"/> have different lengths.</exception>
    public static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        CheckSameLength(x.Length, y.Length, nameof(y));
        if (UseVector512)
        {
            return Vector512Kernels.Dot(x, y);
        }

        if (UseVector256)
        {
            return Vector256Kernels.Dot(x, y);
        }

        return ScalarKernels.Dot(x, y);
    }

    /// <summary>Computes the dot product <c>sum(x[i] * (float)y[i])</c> of an f32 vector and an f16 vector, in f32 arithmetic.</summary>
    /// <param name="x">The first vector.</param>
    /// <param name="y">The second vector, stored as <see cref="Half"/>; must have the same length as <paramref name="x"/>.</param>
    /// <returns>The dot product; 0 for empty vectors. NaN if any element is NaN (NaN in, NaN out).</returns>
    /// <exception cref="ArgumentException"><paramref name="y"/> and <paramref name="x"/> have different lengths.</exception>
    public static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<Half> y)
    {
        CheckSameLength(x.Length, y.Length, nameof(y));
        if (UseVector512)
        {
            return Vector512Kernels.Dot(x, y);
        }

        if (UseVector256)
        {
            return Vector256Kernels.Dot(x, y);
        }

        return ScalarKernels.Dot(x, y);
    }
}

internal static partial class ScalarKernels
{
    internal static float Dot<T>(ReadOnlySpan<float> x, ReadOnlySpan<T> y)
        where T : unmanaged
    {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i <= x.Length - 4; i += 4)
        {
            s0 += x[i] * ToSingle(y[i]);
            s1 += x[i + 1] * ToSingle(y[i + 1]);
            s2 += x[i + 2] * ToSingle(y[i + 2]);
            s3 += x[i + 3] * ToSingle(y[i + 3]);
        }

        for (; i < x.Length; i++)
        {
            s0 += x[i] * ToSingle(y[i]);
        }

        return (s0 + s1) + (s2 + s3);
    }
}

internal static partial class Vector256Kernels
{
    internal static float Dot<T>(ReadOnlySpan<float> x, ReadOnlySpan<T> y)
        where T : unmanaged
    {
        nuint length = (nuint)x.Length;
        if (length < Count)
        {
            return length == 0 ? 0f : Vector256.Sum(LoadPartial(x) * LoadPartial(y));
        }

        ref float xr = ref MemoryMarshal.GetReference(x);
        ref T yr = ref MemoryMarshal.GetReference(y);
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        nuint i = 0;
        for (; i + (4 * Count) <= length; i += 4 * Count)
        {
            a0 = Vector256.FusedMultiplyAdd(Load(ref xr, i), Load(ref yr, i), a0);
            a1 = Vector256.FusedMultiplyAdd(Load(ref xr, i + Count), Load(ref yr, i + Count), a1);
            a2 = Vector256.FusedMultiplyAdd(Load(ref xr, i + (2 * Count)), Load(ref yr, i + (2 * Count)), a2);
            a3 = Vector256.FusedMultiplyAdd(Load(ref xr, i + (3 * Count)), Load(ref yr, i + (3 * Count)), a3);
        }

        // At most three full vectors and a partial one remain: each goes to its own accumulator so they do not wait on each other.
        if (i + Count <= length)
        {
            a0 = Vector256.FusedMultiplyAdd(Load(ref xr, i), Load(ref yr, i), a0);
            i += Count;
            if (i + Count <= length)
            {
                a1 = Vector256.FusedMultiplyAdd(Load(ref xr, i), Load(ref yr, i), a1);
                i += Count;
                if (i + Count <= length)
                {
                    a2 = Vector256.FusedMultiplyAdd(Load(ref xr, i), Load(ref yr, i), a2);
                    i += Count;
                }
            }
        }

        if (i != length)
        {
            nuint last = length - Count;
            Vector256<float> mask = TailMask((int)(length - i));
            a3 = Vector256.FusedMultiplyAdd(Load(ref xr, last) & mask, Load(ref yr, last) & mask, a3);
        }

        return Vector256.Sum((a0 + a1) + (a2 + a3));
    }
}

internal static partial class Vector512Kernels
{
    internal static float Dot<T>(ReadOnlySpan<float> x, ReadOnlySpan<T> y)
        where T : unmanaged
    {
        nuint length = (nuint)x.Length;
        if (length < Count)
        {
            return length == 0 ? 0f : Vector512.Sum(LoadPartial(x) * LoadPartial(y));
        }

        ref float xr = ref MemoryMarshal.GetReference(x);
        ref T yr = ref MemoryMarshal.GetReference(y);
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        nuint i = 0;
        for (; i + (4 * Count) <= length; i += 4 * Count)
        {
            a0 = Vector512.FusedMultiplyAdd(Load(ref xr, i), Load(ref yr, i), a0);
            a1 = Vector512.FusedMultiplyAdd(Load(ref xr, i + Count), Load(ref yr, i + Count), a1);
            a2 = Vector512.FusedMultiplyAdd(Load(ref xr, i + (2 * Count)), Load(ref yr, i + (2 * Count)), a2);
            a3 = Vector512.FusedMultiplyAdd(Load(ref xr, i + (3 * Count)), Load(ref yr, i + (3 * Count)), a3);
        }

        // At most three full vectors and a partial one remain: each goes to its own accumulator so they do not wait on each other.
        if (i + Count <= length)
        {
            a0 = Vector512.FusedMultiplyAdd(Load(ref xr, i), Load(ref yr, i), a0);
            i += Count;
            if (i + Count <= length)
            {
                a1 = Vector512.FusedMultiplyAdd(Load(ref xr, i), Load(ref yr, i), a1);
                i += Count;
                if (i + Count <= length)
                {
                    a2 = Vector512.FusedMultiplyAdd(Load(ref xr, i), Load(ref yr, i), a2);
                    i += Count;
                }
            }
        }

        if (i != length)
        {
            nuint last = length - Count;
            Vector512<float> mask = TailMask((int)(length - i));
            a3 = Vector512.FusedMultiplyAdd(Load(ref xr, last) & mask, Load(ref yr, last) & mask, a3);
        }

        return Vector512.Sum((a0 + a1) + (a2 + a3));
    }
}
