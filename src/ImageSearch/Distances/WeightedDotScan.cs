using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ImageSearch;

public static partial class DistanceKernels
{
    /// <summary>
    /// Class-weighted scan for cosine and inner product: with a weight vector <c>w</c> applied element-wise to the query
    /// and to every row, computes <c>dots[i] = dot(query∘w, row_i∘w) = sum_j query[j] * squaredWeights[j] * row_i[j]</c>
    /// and <c>weightedSquaredNorms[i] = |row_i∘w|^2 = sum_j squaredWeights[j] * row_i[j]^2</c> in one pass over the rows,
    /// where row <c>i</c> is <c>rows.Slice(i * query.Length, query.Length)</c>.
    /// </summary>
    /// <param name="query">The query vector (not weighted); its length is the dimension.</param>
    /// <param name="squaredWeights">The squared weights <c>w[j]^2</c>; same length as <paramref name="query"/>.</param>
    /// <param name="rows"><c>dots.Length</c> rows of <c>query.Length</c> elements each, stored one after another.</param>
    /// <param name="dots">Receives the weighted dot product of each row; its length is the row count.</param>
    /// <param name="weightedSquaredNorms">Receives each row's weighted squared norm; same length as <paramref name="dots"/>.</param>
    /// <remarks>
    /// The weighted cosine similarity of row <c>i</c> is <c>dots[i] / sqrt(|query∘w|^2 * weightedSquaredNorms[i])</c>,
    /// where <c>|query∘w|^2 = sum_j squaredWeights[j] * query[j]^2</c> is computed once by the caller. A NaN in the query
    /// or the weights makes every output NaN; a NaN in a row makes that row's outputs NaN (NaN in, NaN out).
    /// </remarks>
    /// <exception cref="ArgumentException">
    /// <paramref name="squaredWeights"/> is not as long as <paramref name="query"/>; <paramref name="weightedSquaredNorms"/> is not
    /// as long as <paramref name="dots"/>; or <paramref name="rows"/> does not hold exactly <c>dots.Length * query.Length</c> elements.
    /// </exception>
    public static void WeightedDotScan(
        ReadOnlySpan<float> query, ReadOnlySpan<float> squaredWeights, ReadOnlySpan<float> rows, Span<float> dots, Span<float> weightedSquaredNorms)
    {
        CheckWeightedDotScan(query.Length, squaredWeights.Length, rows.Length, dots.Length, weightedSquaredNorms.Length);
        if (UseVector512)
        {
            Vector512Kernels.WeightedDotScan(query, squaredWeights, rows, dots, weightedSquaredNorms);
        }
        else if (UseVector256)
        {
            Vector256Kernels.WeightedDotScan(query, squaredWeights, rows, dots, weightedSquaredNorms);
        }
        else
        {
            ScalarKernels.WeightedDotScan(query, squaredWeights, rows, dots, weightedSquaredNorms);
        }
    }

    /// <summary>
    /// Class-weighted scan over f16 rows, in f32 arithmetic: <c>dots[i] = sum_j query[j] * squaredWeights[j] * row_i[j]</c>
    /// and <c>weightedSquaredNorms[i] = sum_j squaredWeights[j] * row_i[j]^2</c>; see the f32 overload.
    /// </summary>
    /// <param name="query">The query vector (not weighted); its length is the dimension.</param>
    /// <param name="squaredWeights">The squared weights <c>w[j]^2</c>; same length as <paramref name="query"/>.</param>
    /// <param name="rows"><c>dots.Length</c> rows of <c>query.Length</c> <see cref="Half"/> elements each, stored one after another.</param>
    /// <param name="dots">Receives the weighted dot product of each row; its length is the row count.</param>
    /// <param name="weightedSquaredNorms">Receives each row's weighted squared norm; same length as <paramref name="dots"/>.</param>
    /// <remarks>NaN in, NaN out, as for the f32 overload.</remarks>
    /// <exception cref="ArgumentException">A length does not match, as for the f32 overload.</exception>
    public static void WeightedDotScan(
        ReadOnlySpan<float> query, ReadOnlySpan<float> squaredWeights, ReadOnlySpan<Half> rows, Span<float> dots, Span<float> weightedSquaredNorms)
    {
        CheckWeightedDotScan(query.Length, squaredWeights.Length, rows.Length, dots.Length, weightedSquaredNorms.Length);
        if (UseVector512)
        {
            Vector512Kernels.WeightedDotScan(query, squaredWeights, rows, dots, weightedSquaredNorms);
        }
        else if (UseVector256)
        {
            Vector256Kernels.WeightedDotScan(query, squaredWeights, rows, dots, weightedSquaredNorms);
        }
        else
        {
            ScalarKernels.WeightedDotScan(query, squaredWeights, rows, dots, weightedSquaredNorms);
        }
    }

    private static void CheckWeightedDotScan(int dimension, int weightsLength, int rowsLength, int dotsLength, int normsLength)
    {
        CheckSameLength(dimension, weightsLength, "squaredWeights");
        CheckSameLength(dotsLength, normsLength, "weightedSquaredNorms");
        CheckRows(dimension, rowsLength, dotsLength, "rows", "dots");
    }
}

internal static partial class ScalarKernels
{
    internal static void WeightedDotScan<T>(
        ReadOnlySpan<float> query, ReadOnlySpan<float> squaredWeights, ReadOnlySpan<T> rows, Span<float> dots, Span<float> weightedSquaredNorms)
        where T : unmanaged
    {
        int d = query.Length;
        for (int i = 0; i < dots.Length; i++)
        {
            ReadOnlySpan<T> row = rows.Slice(i * d, d);
            float dot = 0, norm = 0;
            for (int j = 0; j < d; j++)
            {
                float r = ToSingle(row[j]);
                float wr = squaredWeights[j] * r;
                dot += query[j] * wr;
                norm += wr * r;
            }

            dots[i] = dot;
            weightedSquaredNorms[i] = norm;
        }
    }
}

internal static partial class Vector256Kernels
{
    internal static void WeightedDotScan<T>(
        ReadOnlySpan<float> query, ReadOnlySpan<float> squaredWeights, ReadOnlySpan<T> rows, Span<float> dots, Span<float> weightedSquaredNorms)
        where T : unmanaged
    {
        int d = query.Length, n = dots.Length, i = 0;
        if (d >= Count)
        {
            ref float q = ref MemoryMarshal.GetReference(query);
            ref float w = ref MemoryMarshal.GetReference(squaredWeights);
            ref T r = ref MemoryMarshal.GetReference(rows);
            nuint dim = (nuint)d, full = dim - (dim % Count), last = dim - Count;
            bool hasTail = full != dim;
            Vector256<float> mask = TailMask(hasTail ? (int)(dim - full) : Count);
            Vector256<float> wTail = Load(ref w, last) & mask;
            Vector256<float> qwTail = (Load(ref q, last) & mask) * wTail;
            for (; i <= n - 4; i += 4)
            {
                ref T r0 = ref Unsafe.Add(ref r, (nint)((nuint)i * dim));
                ref T r1 = ref Unsafe.Add(ref r0, dim);
                ref T r2 = ref Unsafe.Add(ref r1, dim);
                ref T r3 = ref Unsafe.Add(ref r2, dim);
                Vector256<float> d0 = default, d1 = default, d2 = default, d3 = default;
                Vector256<float> n0 = default, n1 = default, n2 = default, n3 = default;
                for (nuint k = 0; k < full; k += Count)
                {
                    Vector256<float> wv = Load(ref w, k);
                    Vector256<float> qw = Load(ref q, k) * wv;
                    Vector256<float> x0 = Load(ref r0, k), x1 = Load(ref r1, k);
                    d0 = Vector256.FusedMultiplyAdd(qw, x0, d0);
                    n0 = Vector256.FusedMultiplyAdd(wv * x0, x0, n0);
                    d1 = Vector256.FusedMultiplyAdd(qw, x1, d1);
                    n1 = Vector256.FusedMultiplyAdd(wv * x1, x1, n1);
                    Vector256<float> x2 = Load(ref r2, k), x3 = Load(ref r3, k);
                    d2 = Vector256.FusedMultiplyAdd(qw, x2, d2);
                    n2 = Vector256.FusedMultiplyAdd(wv * x2, x2, n2);
                    d3 = Vector256.FusedMultiplyAdd(qw, x3, d3);
                    n3 = Vector256.FusedMultiplyAdd(wv * x3, x3, n3);
                }

                if (hasTail)
                {
                    Vector256<float> x0 = Load(ref r0, last) & mask, x1 = Load(ref r1, last) & mask;
                    d0 = Vector256.FusedMultiplyAdd(qwTail, x0, d0);
                    n0 = Vector256.FusedMultiplyAdd(wTail * x0, x0, n0);
                    d1 = Vector256.FusedMultiplyAdd(qwTail, x1, d1);
                    n1 = Vector256.FusedMultiplyAdd(wTail * x1, x1, n1);
                    Vector256<float> x2 = Load(ref r2, last) & mask, x3 = Load(ref r3, last) & mask;
                    d2 = Vector256.FusedMultiplyAdd(qwTail, x2, d2);
                    n2 = Vector256.FusedMultiplyAdd(wTail * x2, x2, n2);
                    d3 = Vector256.FusedMultiplyAdd(qwTail, x3, d3);
                    n3 = Vector256.FusedMultiplyAdd(wTail * x3, x3, n3);
                }

                Sum4(d0, d1, d2, d3).StoreUnsafe(ref MemoryMarshal.GetReference(dots), (nuint)i);
                Sum4(n0, n1, n2, n3).StoreUnsafe(ref MemoryMarshal.GetReference(weightedSquaredNorms), (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            WeightedDotRow(query, squaredWeights, rows.Slice(i * d, d), out dots[i], out weightedSquaredNorms[i]);
        }
    }

    private static void WeightedDotRow<T>(ReadOnlySpan<float> query, ReadOnlySpan<float> squaredWeights, ReadOnlySpan<T> row, out float dot, out float norm)
        where T : unmanaged
    {
        nuint length = (nuint)query.Length;
        Vector256<float> dv = default, nv = default;
        if (length < Count)
        {
            Vector256<float> wv = LoadPartial(squaredWeights), x = LoadPartial(row);
            dv = LoadPartial(query) * wv * x;
            nv = wv * x * x;
        }
        else
        {
            ref float q = ref MemoryMarshal.GetReference(query);
            ref float w = ref MemoryMarshal.GetReference(squaredWeights);
            ref T r = ref MemoryMarshal.GetReference(row);
            nuint k = 0;
            for (; k + Count <= length; k += Count)
            {
                Vector256<float> wv = Load(ref w, k), x = Load(ref r, k);
                dv = Vector256.FusedMultiplyAdd(Load(ref q, k) * wv, x, dv);
                nv = Vector256.FusedMultiplyAdd(wv * x, x, nv);
            }

            if (k != length)
            {
                nuint last = length - Count;
                Vector256<float> mask = TailMask((int)(length - k));
                Vector256<float> wv = Load(ref w, last) & mask, x = Load(ref r, last) & mask;
                dv = Vector256.FusedMultiplyAdd((Load(ref q, last) & mask) * wv, x, dv);
                nv = Vector256.FusedMultiplyAdd(wv * x, x, nv);
            }
        }

        dot = Vector256.Sum(dv);
        norm = Vector256.Sum(nv);
    }
}

internal static partial class Vector512Kernels
{
    internal static void WeightedDotScan<T>(
        ReadOnlySpan<float> query, ReadOnlySpan<float> squaredWeights, ReadOnlySpan<T> rows, Span<float> dots, Span<float> weightedSquaredNorms)
        where T : unmanaged
    {
        int d = query.Length, n = dots.Length, i = 0;
        if (d >= Count)
        {
            ref float q = ref MemoryMarshal.GetReference(query);
            ref float w = ref MemoryMarshal.GetReference(squaredWeights);
            ref T r = ref MemoryMarshal.GetReference(rows);
            nuint dim = (nuint)d, full = dim - (dim % Count), last = dim - Count;
            bool hasTail = full != dim;
            Vector512<float> mask = TailMask(hasTail ? (int)(dim - full) : Count);
            Vector512<float> wTail = Load(ref w, last) & mask;
            Vector512<float> qwTail = (Load(ref q, last) & mask) * wTail;
            for (; i <= n - 4; i += 4)
            {
                ref T r0 = ref Unsafe.Add(ref r, (nint)((nuint)i * dim));
                ref T r1 = ref Unsafe.Add(ref r0, dim);
                ref T r2 = ref Unsafe.Add(ref r1, dim);
                ref T r3 = ref Unsafe.Add(ref r2, dim);
                Vector512<float> d0 = default, d1 = default, d2 = default, d3 = default;
                Vector512<float> n0 = default, n1 = default, n2 = default, n3 = default;
                for (nuint k = 0; k < full; k += Count)
                {
                    Vector512<float> wv = Load(ref w, k);
                    Vector512<float> qw = Load(ref q, k) * wv;
                    Vector512<float> x0 = Load(ref r0, k), x1 = Load(ref r1, k);
                    d0 = Vector512.FusedMultiplyAdd(qw, x0, d0);
                    n0 = Vector512.FusedMultiplyAdd(wv * x0, x0, n0);
                    d1 = Vector512.FusedMultiplyAdd(qw, x1, d1);
                    n1 = Vector512.FusedMultiplyAdd(wv * x1, x1, n1);
                    Vector512<float> x2 = Load(ref r2, k), x3 = Load(ref r3, k);
                    d2 = Vector512.FusedMultiplyAdd(qw, x2, d2);
                    n2 = Vector512.FusedMultiplyAdd(wv * x2, x2, n2);
                    d3 = Vector512.FusedMultiplyAdd(qw, x3, d3);
                    n3 = Vector512.FusedMultiplyAdd(wv * x3, x3, n3);
                }

                if (hasTail)
                {
                    Vector512<float> x0 = Load(ref r0, last) & mask, x1 = Load(ref r1, last) & mask;
                    d0 = Vector512.FusedMultiplyAdd(qwTail, x0, d0);
                    n0 = Vector512.FusedMultiplyAdd(wTail * x0, x0, n0);
                    d1 = Vector512.FusedMultiplyAdd(qwTail, x1, d1);
                    n1 = Vector512.FusedMultiplyAdd(wTail * x1, x1, n1);
                    Vector512<float> x2 = Load(ref r2, last) & mask, x3 = Load(ref r3, last) & mask;
                    d2 = Vector512.FusedMultiplyAdd(qwTail, x2, d2);
                    n2 = Vector512.FusedMultiplyAdd(wTail * x2, x2, n2);
                    d3 = Vector512.FusedMultiplyAdd(qwTail, x3, d3);
                    n3 = Vector512.FusedMultiplyAdd(wTail * x3, x3, n3);
                }

                Sum4(d0, d1, d2, d3).StoreUnsafe(ref MemoryMarshal.GetReference(dots), (nuint)i);
                Sum4(n0, n1, n2, n3).StoreUnsafe(ref MemoryMarshal.GetReference(weightedSquaredNorms), (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            WeightedDotRow(query, squaredWeights, rows.Slice(i * d, d), out dots[i], out weightedSquaredNorms[i]);
        }
    }

    private static void WeightedDotRow<T>(ReadOnlySpan<float> query, ReadOnlySpan<float> squaredWeights, ReadOnlySpan<T> row, out float dot, out float norm)
        where T : unmanaged
    {
        nuint length = (nuint)query.Length;
        Vector512<float> dv = default, nv = default;
        if (length < Count)
        {
            Vector512<float> wv = LoadPartial(squaredWeights), x = LoadPartial(row);
            dv = LoadPartial(query) * wv * x;
            nv = wv * x * x;
        }
        else
        {
            ref float q = ref MemoryMarshal.GetReference(query);
            ref float w = ref MemoryMarshal.GetReference(squaredWeights);
            ref T r = ref MemoryMarshal.GetReference(row);
            nuint k = 0;
            for (; k + Count <= length; k += Count)
            {
                Vector512<float> wv = Load(ref w, k), x = Load(ref r, k);
                dv = Vector512.FusedMultiplyAdd(Load(ref q, k) * wv, x, dv);
                nv = Vector512.FusedMultiplyAdd(wv * x, x, nv);
            }

            if (k != length)
            {
                nuint last = length - Count;
                Vector512<float> mask = TailMask((int)(length - k));
                Vector512<float> wv = Load(ref w, last) & mask, x = Load(ref r, last) & mask;
                dv = Vector512.FusedMultiplyAdd((Load(ref q, last) & mask) * wv, x, dv);
                nv = Vector512.FusedMultiplyAdd(wv * x, x, nv);
            }
        }

        dot = Vector512.Sum(dv);
        norm = Vector512.Sum(nv);
    }
}
