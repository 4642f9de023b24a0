using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ImageSearch;

public static partial class DistanceKernels
{
    /// <summary>
    /// Scores one query against a block of contiguous rows: <c>scores[i] = squaredL2(query, row i) = sum_j (query[j] - row_i[j])^2</c>, where row <c>i</c> is
    /// <c>rows.Slice(i * query.Length, query.Length)</c>. The exact index and HNSW share this kernel for the L2 metric.
    /// </summary>
    /// <param name="query">The query vector; its length is the dimension.</param>
    /// <param name="rows"><c>scores.Length</c> rows of <c>query.Length</c> elements each, stored one after another.</param>
    /// <param name="scores">Receives one squared distance per row; its length is the row count.</param>
    /// <remarks>
    /// Streams the rows once, eight at a time with independent accumulators, prefetching the next eight. A NaN in the query makes every score NaN; a
    /// NaN in a row makes that row's score NaN (NaN in, NaN out). Scores are &gt;= 0. With an empty query every score is 0.
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="rows"/> does not hold exactly <c>scores.Length * query.Length</c> elements.</exception>
    public static void SquaredL2Scan(ReadOnlySpan<float> query, ReadOnlySpan<float> rows, Span<float> scores)
    {
        CheckRows(query.Length, rows.Length, scores.Length, nameof(rows), nameof(scores));
        if (UseVector512)
        {
            Vector512Kernels.SquaredL2Scan(query, rows, scores);
        }
        else if (UseVector256)
        {
            Vector256Kernels.SquaredL2Scan(query, rows, scores);
        }
        else
        {
            ScalarKernels.SquaredL2Scan(query, rows, scores);
        }
    }

    /// <summary>
    /// Scores one f32 query against a block of contiguous f16 rows, in f32 arithmetic:
    /// <c>scores[i] = squaredL2(query, row i) = sum_j (query[j] - row_i[j])^2</c>, where row <c>i</c> is <c>rows.Slice(i * query.Length, query.Length)</c>.
    /// </summary>
    /// <param name="query">The query vector; its length is the dimension.</param>
    /// <param name="rows"><c>scores.Length</c> rows of <c>query.Length</c> <see cref="Half"/> elements each, stored one after another.</param>
    /// <param name="scores">Receives one squared distance per row; its length is the row count.</param>
    /// <remarks>NaN in, NaN out, as for the f32 overload. With an empty query every score is 0.</remarks>
    /// <exception cref="ArgumentException"><paramref name="rows"/> does not hold exactly <c>scores.Length * query.Length</c> elements.</exception>
    public static void SquaredL2Scan(ReadOnlySpan<float> query, ReadOnlySpan<Half> rows, Span<float> scores)
    {
        CheckRows(query.Length, rows.Length, scores.Length, nameof(rows), nameof(scores));
        if (UseVector512)
        {
            Vector512Kernels.SquaredL2Scan(query, rows, scores);
        }
        else if (UseVector256)
        {
            Vector256Kernels.SquaredL2Scan(query, rows, scores);
        }
        else
        {
            ScalarKernels.SquaredL2Scan(query, rows, scores);
        }
    }
}

internal static partial class ScalarKernels
{
    internal static void SquaredL2Scan<T>(ReadOnlySpan<float> query, ReadOnlySpan<T> rows, Span<float> scores)
        where T : unmanaged
    {
        int d = query.Length;
        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = SquaredL2(query, rows.Slice(i * d, d));
        }
    }
}

internal static partial class Vector256Kernels
{
    internal static void SquaredL2Scan<T>(ReadOnlySpan<float> query, ReadOnlySpan<T> rows, Span<float> scores)
        where T : unmanaged
    {
        int d = query.Length, n = scores.Length, i = 0;
        if (d >= Count)
        {
            ref float q = ref MemoryMarshal.GetReference(query);
            ref T r = ref MemoryMarshal.GetReference(rows);
            ref float s = ref MemoryMarshal.GetReference(scores);
            nuint dim = (nuint)d, full = dim - (dim % Count), last = dim - Count, group = RowPrefetch.GroupRows * dim;
            bool hasTail = full != dim;
            bool prefetch = RowPrefetch.IsWorthwhile<T>(group);
            Vector256<float> mask = TailMask(hasTail ? (int)(dim - full) : Count);
            Vector256<float> qTail = Load(ref q, last);

            // Eight rows in flight, reduced together once per group; the next group is prefetched meanwhile.
            for (; i <= n - RowPrefetch.GroupRows; i += RowPrefetch.GroupRows)
            {
                ref T r0 = ref Unsafe.Add(ref r, (nint)((nuint)i * dim));
                if (prefetch && i <= n - (2 * RowPrefetch.GroupRows))
                {
                    RowPrefetch.Prefetch(ref Unsafe.Add(ref r0, group), group);
                }

                ref T r1 = ref Unsafe.Add(ref r0, dim);
                ref T r2 = ref Unsafe.Add(ref r1, dim);
                ref T r3 = ref Unsafe.Add(ref r2, dim);
                ref T r4 = ref Unsafe.Add(ref r3, dim);
                ref T r5 = ref Unsafe.Add(ref r4, dim);
                ref T r6 = ref Unsafe.Add(ref r5, dim);
                ref T r7 = ref Unsafe.Add(ref r6, dim);
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
                for (nuint k = 0; k < full; k += Count)
                {
                    Vector256<float> qv = Load(ref q, k);
                    Vector256<float> d0 = qv - Load(ref r0, k);
                    a0 = Vector256.FusedMultiplyAdd(d0, d0, a0);
                    Vector256<float> d1 = qv - Load(ref r1, k);
                    a1 = Vector256.FusedMultiplyAdd(d1, d1, a1);
                    Vector256<float> d2 = qv - Load(ref r2, k);
                    a2 = Vector256.FusedMultiplyAdd(d2, d2, a2);
                    Vector256<float> d3 = qv - Load(ref r3, k);
                    a3 = Vector256.FusedMultiplyAdd(d3, d3, a3);
                    Vector256<float> d4 = qv - Load(ref r4, k);
                    a4 = Vector256.FusedMultiplyAdd(d4, d4, a4);
                    Vector256<float> d5 = qv - Load(ref r5, k);
                    a5 = Vector256.FusedMultiplyAdd(d5, d5, a5);
                    Vector256<float> d6 = qv - Load(ref r6, k);
                    a6 = Vector256.FusedMultiplyAdd(d6, d6, a6);
                    Vector256<float> d7 = qv - Load(ref r7, k);
                    a7 = Vector256.FusedMultiplyAdd(d7, d7, a7);
                }

                if (hasTail)
                {
                    Vector256<float> d0 = (qTail - Load(ref r0, last)) & mask;
                    a0 = Vector256.FusedMultiplyAdd(d0, d0, a0);
                    Vector256<float> d1 = (qTail - Load(ref r1, last)) & mask;
                    a1 = Vector256.FusedMultiplyAdd(d1, d1, a1);
                    Vector256<float> d2 = (qTail - Load(ref r2, last)) & mask;
                    a2 = Vector256.FusedMultiplyAdd(d2, d2, a2);
                    Vector256<float> d3 = (qTail - Load(ref r3, last)) & mask;
                    a3 = Vector256.FusedMultiplyAdd(d3, d3, a3);
                    Vector256<float> d4 = (qTail - Load(ref r4, last)) & mask;
                    a4 = Vector256.FusedMultiplyAdd(d4, d4, a4);
                    Vector256<float> d5 = (qTail - Load(ref r5, last)) & mask;
                    a5 = Vector256.FusedMultiplyAdd(d5, d5, a5);
                    Vector256<float> d6 = (qTail - Load(ref r6, last)) & mask;
                    a6 = Vector256.FusedMultiplyAdd(d6, d6, a6);
                    Vector256<float> d7 = (qTail - Load(ref r7, last)) & mask;
                    a7 = Vector256.FusedMultiplyAdd(d7, d7, a7);
                }

                Sum4(a0, a1, a2, a3).StoreUnsafe(ref s, (nuint)i);
                Sum4(a4, a5, a6, a7).StoreUnsafe(ref s, (nuint)i + 4);
            }
        }

        for (; i < n; i++)
        {
            scores[i] = SquaredL2(query, rows.Slice(i * d, d));
        }
    }
}

internal static partial class Vector512Kernels
{
    internal static void SquaredL2Scan<T>(ReadOnlySpan<float> query, ReadOnlySpan<T> rows, Span<float> scores)
        where T : unmanaged
    {
        int d = query.Length, n = scores.Length, i = 0;
        if (d >= Count)
        {
            ref float q = ref MemoryMarshal.GetReference(query);
            ref T r = ref MemoryMarshal.GetReference(rows);
            ref float s = ref MemoryMarshal.GetReference(scores);
            nuint dim = (nuint)d, full = dim - (dim % Count), last = dim - Count, group = RowPrefetch.GroupRows * dim;
            bool hasTail = full != dim;
            bool prefetch = RowPrefetch.IsWorthwhile<T>(group);
            Vector512<float> mask = TailMask(hasTail ? (int)(dim - full) : Count);
            Vector512<float> qTail = Load(ref q, last);

            // Eight rows in flight, reduced together once per group; the next group is prefetched meanwhile.
            for (; i <= n - RowPrefetch.GroupRows; i += RowPrefetch.GroupRows)
            {
                ref T r0 = ref Unsafe.Add(ref r, (nint)((nuint)i * dim));
                if (prefetch && i <= n - (2 * RowPrefetch.GroupRows))
                {
                    RowPrefetch.Prefetch(ref Unsafe.Add(ref r0, group), group);
                }

                ref T r1 = ref Unsafe.Add(ref r0, dim);
                ref T r2 = ref Unsafe.Add(ref r1, dim);
                ref T r3 = ref Unsafe.Add(ref r2, dim);
                ref T r4 = ref Unsafe.Add(ref r3, dim);
                ref T r5 = ref Unsafe.Add(ref r4, dim);
                ref T r6 = ref Unsafe.Add(ref r5, dim);
                ref T r7 = ref Unsafe.Add(ref r6, dim);
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
                for (nuint k = 0; k < full; k += Count)
                {
                    Vector512<float> qv = Load(ref q, k);
                    Vector512<float> d0 = qv - Load(ref r0, k);
                    a0 = Vector512.FusedMultiplyAdd(d0, d0, a0);
                    Vector512<float> d1 = qv - Load(ref r1, k);
                    a1 = Vector512.FusedMultiplyAdd(d1, d1, a1);
                    Vector512<float> d2 = qv - Load(ref r2, k);
                    a2 = Vector512.FusedMultiplyAdd(d2, d2, a2);
                    Vector512<float> d3 = qv - Load(ref r3, k);
                    a3 = Vector512.FusedMultiplyAdd(d3, d3, a3);
                    Vector512<float> d4 = qv - Load(ref r4, k);
                    a4 = Vector512.FusedMultiplyAdd(d4, d4, a4);
                    Vector512<float> d5 = qv - Load(ref r5, k);
                    a5 = Vector512.FusedMultiplyAdd(d5, d5, a5);
                    Vector512<float> d6 = qv - Load(ref r6, k);
                    a6 = Vector512.FusedMultiplyAdd(d6, d6, a6);
                    Vector512<float> d7 = qv - Load(ref r7, k);
                    a7 = Vector512.FusedMultiplyAdd(d7, d7, a7);
                }

                if (hasTail)
                {
                    Vector512<float> d0 = (qTail - Load(ref r0, last)) & mask;
                    a0 = Vector512.FusedMultiplyAdd(d0, d0, a0);
                    Vector512<float> d1 = (qTail - Load(ref r1, last)) & mask;
                    a1 = Vector512.FusedMultiplyAdd(d1, d1, a1);
                    Vector512<float> d2 = (qTail - Load(ref r2, last)) & mask;
                    a2 = Vector512.FusedMultiplyAdd(d2, d2, a2);
                    Vector512<float> d3 = (qTail - Load(ref r3, last)) & mask;
                    a3 = Vector512.FusedMultiplyAdd(d3, d3, a3);
                    Vector512<float> d4 = (qTail - Load(ref r4, last)) & mask;
                    a4 = Vector512.FusedMultiplyAdd(d4, d4, a4);
                    Vector512<float> d5 = (qTail - Load(ref r5, last)) & mask;
                    a5 = Vector512.FusedMultiplyAdd(d5, d5, a5);
                    Vector512<float> d6 = (qTail - Load(ref r6, last)) & mask;
                    a6 = Vector512.FusedMultiplyAdd(d6, d6, a6);
                    Vector512<float> d7 = (qTail - Load(ref r7, last)) & mask;
                    a7 = Vector512.FusedMultiplyAdd(d7, d7, a7);
                }

                Sum4(a0, a1, a2, a3).StoreUnsafe(ref s, (nuint)i);
                Sum4(a4, a5, a6, a7).StoreUnsafe(ref s, (nuint)i + 4);
            }
        }

        for (; i < n; i++)
        {
            scores[i] = SquaredL2(query, rows.Slice(i * d, d));
        }
    }
}
