using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ImageSearch;

public static partial class DistanceKernels
{
    /// <summary>
    /// Class-weighted squared L2 scan: with a weight vector <c>w</c> applied element-wise to the query and every row,
    /// computes <c>scores[i] = |query∘w - row_i∘w|^2 = sum_j squaredWeights[j] * (query[j] - row_i[j])^2</c>,
    /// where row <c>i</c> is <c>rows.Slice(i * query.Length, query.Length)</c>.
    /// </summary>
    /// <param name="query">The query vector (not weighted); its length is the dimension.</param>
    /// <param name="squaredWeights">The squared weights <c>w[j]^2</c>; same length as <paramref name="query"/>.</param>
    /// <param name="rows"><c>scores.Length</c> rows of <c>query.Length</c> elements each, stored one after another.</param>
    /// <param name="scores">Receives one weighted squared distance per row; its length is the row count.</param>
    /// <remarks>
    /// A NaN in the query or the weights makes every score NaN; a NaN in a row makes that row's score NaN (NaN in, NaN out).
    /// Scores are &gt;= 0 when the weights are.
    /// </remarks>
    /// <exception cref="ArgumentException">
    /// <paramref name="squaredWeights"/> is not as long as <paramref name="query"/>, or <paramref name="rows"/> does not hold
    /// exactly <c>scores.Length * query.Length</c> elements.
    /// </exception>
    public static void WeightedSquaredL2Scan(ReadOnlySpan<float> query, ReadOnlySpan<float> squaredWeights, ReadOnlySpan<float> rows, Span<float> scores)
    {
        CheckSameLength(query.Length, squaredWeights.Length, nameof(squaredWeights));
        CheckRows(query.Length, rows.Length, scores.Length, nameof(rows), nameof(scores));
        if (UseVector512)
        {
            Vector512Kernels.WeightedSquaredL2Scan(query, squaredWeights, rows, scores);
        }
        else if (UseVector256)
        {
            Vector256Kernels.WeightedSquaredL2Scan(query, squaredWeights, rows, scores);
        }
        else
        {
            ScalarKernels.WeightedSquaredL2Scan(query, squaredWeights, rows, scores);
        }
    }

    /// <summary>
    /// Class-weighted squared L2 scan over f16 rows, in f32 arithmetic:
    /// <c>scores[i] = sum_j squaredWeights[j] * (query[j] - row_i[j])^2</c>; see the f32 overload.
    /// </summary>
    /// <param name="query">The query vector (not weighted); its length is the dimension.</param>
    /// <param name="squaredWeights">The squared weights <c>w[j]^2</c>; same length as <paramref name="query"/>.</param>
    /// <param name="rows"><c>scores.Length</c> rows of <c>query.Length</c> <see cref="Half"/> elements each, stored one after another.</param>
    /// <param name="scores">Receives one weighted squared distance per row; its length is the row count.</param>
    /// <remarks>NaN in, NaN out, as for the f32 overload.</remarks>
    /// <exception cref="ArgumentException">A length does not match, as for the f32 overload.</exception>
    public static void WeightedSquaredL2Scan(ReadOnlySpan<float> query, ReadOnlySpan<float> squaredWeights, ReadOnlySpan<Half> rows, Span<float> scores)
    {
        CheckSameLength(query.Length, squaredWeights.Length, nameof(squaredWeights));
        CheckRows(query.Length, rows.Length, scores.Length, nameof(rows), nameof(scores));
        if (UseVector512)
        {
            Vector512Kernels.WeightedSquaredL2Scan(query, squaredWeights, rows, scores);
        }
        else if (UseVector256)
        {
            Vector256Kernels.WeightedSquaredL2Scan(query, squaredWeights, rows, scores);
        }
        else
        {
            ScalarKernels.WeightedSquaredL2Scan(query, squaredWeights, rows, scores);
        }
    }
}

internal static partial class ScalarKernels
{
    internal static void WeightedSquaredL2Scan<T>(ReadOnlySpan<float> query, ReadOnlySpan<float> squaredWeights, ReadOnlySpan<T> rows, Span<float> scores)
        where T : unmanaged
    {
        int d = query.Length;
        for (int i = 0; i < scores.Length; i++)
        {
            ReadOnlySpan<T> row = rows.Slice(i * d, d);
            float sum = 0;
            for (int j = 0; j < d; j++)
            {
                float diff = query[j] - ToSingle(row[j]);
                sum += squaredWeights[j] * diff * diff;
            }

            scores[i] = sum;
        }
    }
}

internal static partial class Vector256Kernels
{
    internal static void WeightedSquaredL2Scan<T>(ReadOnlySpan<float> query, ReadOnlySpan<float> squaredWeights, ReadOnlySpan<T> rows, Span<float> scores)
        where T : unmanaged
    {
        int d = query.Length, n = scores.Length, i = 0;
        if (d >= Count)
        {
            ref float q = ref MemoryMarshal.GetReference(query);
            ref float w = ref MemoryMarshal.GetReference(squaredWeights);
            ref T r = ref MemoryMarshal.GetReference(rows);
            nuint dim = (nuint)d, full = dim - (dim % Count), last = dim - Count;
            bool hasTail = full != dim;
            Vector256<float> mask = TailMask(hasTail ? (int)(dim - full) : Count);
            Vector256<float> wTail = Load(ref w, last) & mask;
            Vector256<float> qTail = Load(ref q, last);
            for (; i <= n - 4; i += 4)
            {
                ref T r0 = ref Unsafe.Add(ref r, (nint)((nuint)i * dim));
                ref T r1 = ref Unsafe.Add(ref r0, dim);
                ref T r2 = ref Unsafe.Add(ref r1, dim);
                ref T r3 = ref Unsafe.Add(ref r2, dim);
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (nuint k = 0; k < full; k += Count)
                {
                    Vector256<float> wv = Load(ref w, k), qv = Load(ref q, k);
                    Vector256<float> x0 = qv - Load(ref r0, k), x1 = qv - Load(ref r1, k);
                    a0 = Vector256.FusedMultiplyAdd(wv * x0, x0, a0);
                    a1 = Vector256.FusedMultiplyAdd(wv * x1, x1, a1);
                    Vector256<float> x2 = qv - Load(ref r2, k), x3 = qv - Load(ref r3, k);
                    a2 = Vector256.FusedMultiplyAdd(wv * x2, x2, a2);
                    a3 = Vector256.FusedMultiplyAdd(wv * x3, x3, a3);
                }

                if (hasTail)
                {
                    Vector256<float> x0 = (qTail - Load(ref r0, last)) & mask, x1 = (qTail - Load(ref r1, last)) & mask;
                    a0 = Vector256.FusedMultiplyAdd(wTail * x0, x0, a0);
                    a1 = Vector256.FusedMultiplyAdd(wTail * x1, x1, a1);
                    Vector256<float> x2 = (qTail - Load(ref r2, last)) & mask, x3 = (qTail - Load(ref r3, last)) & mask;
                    a2 = Vector256.FusedMultiplyAdd(wTail * x2, x2, a2);
                    a3 = Vector256.FusedMultiplyAdd(wTail * x3, x3, a3);
                }

                Sum4(a0, a1, a2, a3).StoreUnsafe(ref MemoryMarshal.GetReference(scores), (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            scores[i] = WeightedSquaredL2Row(query, squaredWeights, rows.Slice(i * d, d));
        }
    }

    private static float WeightedSquaredL2Row<T>(ReadOnlySpan<float> query, ReadOnlySpan<float> squaredWeights, ReadOnlySpan<T> row)
        where T : unmanaged
    {
        nuint length = (nuint)query.Length;
        Vector256<float> acc = default;
        if (length < Count)
        {
            Vector256<float> x = LoadPartial(query) - LoadPartial(row);
            acc = LoadPartial(squaredWeights) * x * x;
        }
        else
        {
            ref float q = ref MemoryMarshal.GetReference(query);
            ref float w = ref MemoryMarshal.GetReference(squaredWeights);
            ref T r = ref MemoryMarshal.GetReference(row);
            nuint k = 0;
            for (; k + Count <= length; k += Count)
            {
                Vector256<float> x = Load(ref q, k) - Load(ref r, k);
                acc = Vector256.FusedMultiplyAdd(Load(ref w, k) * x, x, acc);
            }

            if (k != length)
            {
                nuint last = length - Count;
                Vector256<float> mask = TailMask((int)(length - k));
                Vector256<float> x = (Load(ref q, last) - Load(ref r, last)) & mask;
                acc = Vector256.FusedMultiplyAdd((Load(ref w, last) & mask) * x, x, acc);
            }
        }

        return Vector256.Sum(acc);
    }
}

internal static partial class Vector512Kernels
{
    internal static void WeightedSquaredL2Scan<T>(ReadOnlySpan<float> query, ReadOnlySpan<float> squaredWeights, ReadOnlySpan<T> rows, Span<float> scores)
        where T : unmanaged
    {
        int d = query.Length, n = scores.Length, i = 0;
        if (d >= Count)
        {
            ref float q = ref MemoryMarshal.GetReference(query);
            ref float w = ref MemoryMarshal.GetReference(squaredWeights);
            ref T r = ref MemoryMarshal.GetReference(rows);
            nuint dim = (nuint)d, full = dim - (dim % Count), last = dim - Count;
            bool hasTail = full != dim;
            Vector512<float> mask = TailMask(hasTail ? (int)(dim - full) : Count);
            Vector512<float> wTail = Load(ref w, last) & mask;
            Vector512<float> qTail = Load(ref q, last);
            for (; i <= n - 4; i += 4)
            {
                ref T r0 = ref Unsafe.Add(ref r, (nint)((nuint)i * dim));
                ref T r1 = ref Unsafe.Add(ref r0, dim);
                ref T r2 = ref Unsafe.Add(ref r1, dim);
                ref T r3 = ref Unsafe.Add(ref r2, dim);
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (nuint k = 0; k < full; k += Count)
                {
                    Vector512<float> wv = Load(ref w, k), qv = Load(ref q, k);
                    Vector512<float> x0 = qv - Load(ref r0, k), x1 = qv - Load(ref r1, k);
                    a0 = Vector512.FusedMultiplyAdd(wv * x0, x0, a0);
                    a1 = Vector512.FusedMultiplyAdd(wv * x1, x1, a1);
                    Vector512<float> x2 = qv - Load(ref r2, k), x3 = qv - Load(ref r3, k);
                    a2 = Vector512.FusedMultiplyAdd(wv * x2, x2, a2);
                    a3 = Vector512.FusedMultiplyAdd(wv * x3, x3, a3);
                }

                if (hasTail)
                {
                    Vector512<float> x0 = (qTail - Load(ref r0, last)) & mask, x1 = (qTail - Load(ref r1, last)) & mask;
                    a0 = Vector512.FusedMultiplyAdd(wTail * x0, x0, a0);
                    a1 = Vector512.FusedMultiplyAdd(wTail * x1, x1, a1);
                    Vector512<float> x2 = (qTail - Load(ref r2, last)) & mask, x3 = (qTail - Load(ref r3, last)) & mask;
                    a2 = Vector512.FusedMultiplyAdd(wTail * x2, x2, a2);
                    a3 = Vector512.FusedMultiplyAdd(wTail * x3, x3, a3);
                }

                Sum4(a0, a1, a2, a3).StoreUnsafe(ref MemoryMarshal.GetReference(scores), (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            scores[i] = WeightedSquaredL2Row(query, squaredWeights, rows.Slice(i * d, d));
        }
    }

    private static float WeightedSquaredL2Row<T>(ReadOnlySpan<float> query, ReadOnlySpan<float> squaredWeights, ReadOnlySpan<T> row)
        where T : unmanaged
    {
        nuint length = (nuint)query.Length;
        Vector512<float> acc = default;
        if (length < Count)
        {
            Vector512<float> x = LoadPartial(query) - LoadPartial(row);
            acc = LoadPartial(squaredWeights) * x * x;
        }
        else
        {
            ref float q = ref MemoryMarshal.GetReference(query);
            ref float w = ref MemoryMarshal.GetReference(squaredWeights);
            ref T r = ref MemoryMarshal.GetReference(row);
            nuint k = 0;
            for (; k + Count <= length; k += Count)
            {
                Vector512<float> x = Load(ref q, k) - Load(ref r, k);
                acc = Vector512.FusedMultiplyAdd(Load(ref w, k) * x, x, acc);
            }

            if (k != length)
            {
                nuint last = length - Count;
                Vector512<float> mask = TailMask((int)(length - k));
                Vector512<float> x = (Load(ref q, last) - Load(ref r, last)) & mask;
                acc = Vector512.FusedMultiplyAdd((Load(ref w, last) & mask) * x, x, acc);
            }
        }

        return Vector512.Sum(acc);
    }
}
