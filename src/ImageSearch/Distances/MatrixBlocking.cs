using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ImageSearch;

/// <summary>What a score-matrix kernel accumulates for one query element (broadcast) against packed row elements.</summary>
internal interface IMatrixOperation
{
    /// <summary>Accumulates one dimension of 16 (query, row) pairs.</summary>
    static abstract Vector512<float> Accumulate(Vector512<float> query, Vector512<float> rows, Vector512<float> accumulator);

    /// <summary>Accumulates one dimension of 8 (query, row) pairs.</summary>
    static abstract Vector256<float> Accumulate(Vector256<float> query, Vector256<float> rows, Vector256<float> accumulator);
}

/// <summary>
/// Per-thread packing buffers for the score-matrix kernels: grown when a larger call needs more, never shrunk, so
/// steady-state calls allocate nothing.
/// </summary>
internal static class MatrixBuffers
{
    [ThreadStatic]
    private static float[]? t_queries;

    [ThreadStatic]
    private static float[]? t_panel;

    internal static Span<float> Queries(int length) => Get(ref t_queries, length);

    internal static Span<float> Panel(int length) => Get(ref t_panel, length);

    private static Span<float> Get(ref float[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length)
        {
            buffer = new float[Math.Max(length, 4096)];
        }

        return buffer.AsSpan(0, length);
    }

    /// <summary>
    /// Packs <paramref name="count"/> vectors of <paramref name="dimension"/> elements dimension-major:
    /// <c>packed[k * width + j] = source[j * dimension + k]</c>; lanes <c>count..width-1</c> are zero.
    /// Used for row panels (width 32 or 16) and query groups (width 8 or 6).
    /// </summary>
    internal static void PackTransposed(ReadOnlySpan<float> source, int count, int dimension, int width, Span<float> packed)
    {
        ref float src = ref MemoryMarshal.GetReference(source);
        ref float dst = ref MemoryMarshal.GetReference(packed);
        nuint d = (nuint)dimension, w = (nuint)width;
        for (nuint j = 0; j < (nuint)count; j++)
        {
            ref float row = ref Unsafe.Add(ref src, j * d);
            ref float column = ref Unsafe.Add(ref dst, j);
            nuint k = 0;
            for (; k + 4 <= d; k += 4)
            {
                Unsafe.Add(ref column, k * w) = Unsafe.Add(ref row, k);
                Unsafe.Add(ref column, (k + 1) * w) = Unsafe.Add(ref row, k + 1);
                Unsafe.Add(ref column, (k + 2) * w) = Unsafe.Add(ref row, k + 2);
                Unsafe.Add(ref column, (k + 3) * w) = Unsafe.Add(ref row, k + 3);
            }

            for (; k < d; k++)
            {
                Unsafe.Add(ref column, k * w) = Unsafe.Add(ref row, k);
            }
        }

        for (nuint j = (nuint)count; j < w; j++)
        {
            ref float column = ref Unsafe.Add(ref dst, j);
            for (nuint k = 0; k < d; k++)
            {
                Unsafe.Add(ref column, k * w) = 0f;
            }
        }
    }
}

internal static partial class Vector512Kernels
{
    /// <summary>Rows per packed panel: two vectors, so each broadcast query element feeds two FMAs.</summary>
    internal const int PanelRows = 2 * Count;

    /// <summary>Queries per register tile: 8 x 2 accumulators = 16 of the 32 vector registers.</summary>
    internal const int TileQueries = 8;

    /// <summary>
    /// GEMM-like driver: packs all queries once (groups of 8, dimension-major), then for each panel of 32 rows packs
    /// the panel dimension-major (it stays in L1) and runs the 8 x 32 register tile over every query group, so each
    /// row is read from memory once per call and every score comes out of a vector lane with no horizontal reduction.
    /// </summary>
    internal static void Matrix<TOperation>(ReadOnlySpan<float> queries, ReadOnlySpan<float> rows, int dimension, Span<float> scores)
        where TOperation : struct, IMatrixOperation
    {
        int queryCount = queries.Length / dimension, rowCount = rows.Length / dimension;
        if (queryCount == 0 || rowCount == 0)
        {
            return;
        }

        int groups = (queryCount + TileQueries - 1) / TileQueries;
        int groupLength = TileQueries * dimension;
        Span<float> packedQueries = MatrixBuffers.Queries(groups * groupLength);
        for (int g = 0; g < groups; g++)
        {
            int first = g * TileQueries, count = Math.Min(TileQueries, queryCount - first);
            MatrixBuffers.PackTransposed(queries.Slice(first * dimension, count * dimension), count, dimension, TileQueries, packedQueries.Slice(g * groupLength, groupLength));
        }

        Span<float> panel = MatrixBuffers.Panel(PanelRows * dimension);
        Span<float> tile = stackalloc float[TileQueries * PanelRows];
        ref float panelRef = ref MemoryMarshal.GetReference(panel);
        ref float scoresRef = ref MemoryMarshal.GetReference(scores);
        for (int r0 = 0; r0 < rowCount; r0 += PanelRows)
        {
            int rc = Math.Min(PanelRows, rowCount - r0);
            ReadOnlySpan<float> panelRows = rows.Slice(r0 * dimension, rc * dimension);
            if (rc == PanelRows && dimension >= Count && Avx512F.IsSupported)
            {
                PackPanel(panelRows, dimension, panel);
            }
            else
            {
                MatrixBuffers.PackTransposed(panelRows, rc, dimension, PanelRows, panel);
            }

            for (int g = 0; g < groups; g++)
            {
                int q0 = g * TileQueries, qc = Math.Min(TileQueries, queryCount - q0);
                ref float groupRef = ref packedQueries[g * groupLength];
                if (rc == PanelRows && qc == TileQueries)
                {
                    Tile<TOperation>(ref groupRef, ref panelRef, (nuint)dimension, ref Unsafe.Add(ref scoresRef, ((nint)q0 * rowCount) + r0), (nuint)rowCount);
                }
                else
                {
                    // Edge tile: padded lanes are computed into a scratch tile and only the real scores are copied out.
                    Tile<TOperation>(ref groupRef, ref panelRef, (nuint)dimension, ref MemoryMarshal.GetReference(tile), PanelRows);
                    for (int j = 0; j < qc; j++)
                    {
                        tile.Slice(j * PanelRows, rc).CopyTo(scores.Slice(((q0 + j) * rowCount) + r0, rc));
                    }
                }
            }
        }
    }

    /// <summary>
    /// Packs a full panel of 32 rows (dimension &gt;= 16) dimension-major with in-register 16 x 16 transposes, about
    /// twice as fast as element-by-element packing, which matters when a call has few queries to amortise it over.
    /// A dimension that is not a multiple of 16 ends with an overlapping block that rewrites identical values.
    /// </summary>
    private static void PackPanel(ReadOnlySpan<float> rows, int dimension, Span<float> panel)
    {
        ref float src = ref MemoryMarshal.GetReference(rows);
        ref float dst = ref MemoryMarshal.GetReference(panel);
        nuint d = (nuint)dimension;
        for (nuint half = 0; half < PanelRows; half += Count)
        {
            ref float block = ref Unsafe.Add(ref src, half * d);
            for (nuint k = 0; ; k += Count)
            {
                if (k + Count > d)
                {
                    if (k == d)
                    {
                        break;
                    }

                    k = d - Count;
                }

                Transpose16x16(ref Unsafe.Add(ref block, k), d, ref Unsafe.Add(ref dst, (k * PanelRows) + half));
                if (k + Count == d)
                {
                    break;
                }
            }
        }
    }

    /// <summary>
    /// Transposes the 16 x 16 block at <paramref name="source"/> (row stride <paramref name="sourceStride"/>) into
    /// <paramref name="destination"/> (row stride <see cref="PanelRows"/>): unpack by 32 and 64 bits, then two rounds
    /// of 128-bit lane shuffles, 64 shuffles in all.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose16x16(ref float source, nuint sourceStride, ref float destination)
    {
        Vector512<float> r0 = Vector512.LoadUnsafe(ref source), r1 = Vector512.LoadUnsafe(ref source, sourceStride);
        Vector512<float> r2 = Vector512.LoadUnsafe(ref source, 2 * sourceStride), r3 = Vector512.LoadUnsafe(ref source, 3 * sourceStride);
        Vector512<float> r4 = Vector512.LoadUnsafe(ref source, 4 * sourceStride), r5 = Vector512.LoadUnsafe(ref source, 5 * sourceStride);
        Vector512<float> r6 = Vector512.LoadUnsafe(ref source, 6 * sourceStride), r7 = Vector512.LoadUnsafe(ref source, 7 * sourceStride);
        Vector512<float> r8 = Vector512.LoadUnsafe(ref source, 8 * sourceStride), r9 = Vector512.LoadUnsafe(ref source, 9 * sourceStride);
        Vector512<float> r10 = Vector512.LoadUnsafe(ref source, 10 * sourceStride), r11 = Vector512.LoadUnsafe(ref source, 11 * sourceStride);
        Vector512<float> r12 = Vector512.LoadUnsafe(ref source, 12 * sourceStride), r13 = Vector512.LoadUnsafe(ref source, 13 * sourceStride);
        Vector512<float> r14 = Vector512.LoadUnsafe(ref source, 14 * sourceStride), r15 = Vector512.LoadUnsafe(ref source, 15 * sourceStride);

        // Groups of four rows: after this, u{c} of group g holds columns c, c+4, c+8, c+12 of rows 4g..4g+3, one per 128-bit lane.
        Transpose4(r0, r1, r2, r3, out Vector512<float> a0, out Vector512<float> a1, out Vector512<float> a2, out Vector512<float> a3);
        Transpose4(r4, r5, r6, r7, out Vector512<float> b0, out Vector512<float> b1, out Vector512<float> b2, out Vector512<float> b3);
        Transpose4(r8, r9, r10, r11, out Vector512<float> c0, out Vector512<float> c1, out Vector512<float> c2, out Vector512<float> c3);
        Transpose4(r12, r13, r14, r15, out Vector512<float> d0, out Vector512<float> d1, out Vector512<float> d2, out Vector512<float> d3);

        StoreColumns(a0, b0, c0, d0, ref destination, 0);
        StoreColumns(a1, b1, c1, d1, ref destination, 1);
        StoreColumns(a2, b2, c2, d2, ref destination, 2);
        StoreColumns(a3, b3, c3, d3, ref destination, 3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4(
        Vector512<float> r0, Vector512<float> r1, Vector512<float> r2, Vector512<float> r3,
        out Vector512<float> u0, out Vector512<float> u1, out Vector512<float> u2, out Vector512<float> u3)
    {
        Vector512<float> t0 = Avx512F.UnpackLow(r0, r1), t1 = Avx512F.UnpackHigh(r0, r1);
        Vector512<float> t2 = Avx512F.UnpackLow(r2, r3), t3 = Avx512F.UnpackHigh(r2, r3);
        u0 = Avx512F.UnpackLow(t0.AsDouble(), t2.AsDouble()).AsSingle();
        u1 = Avx512F.UnpackHigh(t0.AsDouble(), t2.AsDouble()).AsSingle();
        u2 = Avx512F.UnpackLow(t1.AsDouble(), t3.AsDouble()).AsSingle();
        u3 = Avx512F.UnpackHigh(t1.AsDouble(), t3.AsDouble()).AsSingle();
    }

    /// <summary>Combines the four row groups' lanes into full columns c, c+4, c+8 and c+12 and stores them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreColumns(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d, ref float destination, nuint column)
    {
        Vector512<float> ab02 = Avx512F.Shuffle4x128(a, b, 0x88), ab13 = Avx512F.Shuffle4x128(a, b, 0xDD);
        Vector512<float> cd02 = Avx512F.Shuffle4x128(c, d, 0x88), cd13 = Avx512F.Shuffle4x128(c, d, 0xDD);
        Avx512F.Shuffle4x128(ab02, cd02, 0x88).StoreUnsafe(ref destination, column * PanelRows);
        Avx512F.Shuffle4x128(ab13, cd13, 0x88).StoreUnsafe(ref destination, (column + 4) * PanelRows);
        Avx512F.Shuffle4x128(ab02, cd02, 0xDD).StoreUnsafe(ref destination, (column + 8) * PanelRows);
        Avx512F.Shuffle4x128(ab13, cd13, 0xDD).StoreUnsafe(ref destination, (column + 12) * PanelRows);
    }

    private static void Tile<TOperation>(ref float queries, ref float panel, nuint dimension, ref float destination, nuint stride)
        where TOperation : struct, IMatrixOperation
    {
        Vector512<float> c0a = default, c0b = default, c1a = default, c1b = default, c2a = default, c2b = default, c3a = default, c3b = default;
        Vector512<float> c4a = default, c4b = default, c5a = default, c5b = default, c6a = default, c6b = default, c7a = default, c7b = default;
        ref float p = ref panel;
        ref float q = ref queries;
        for (nuint k = 0; k < dimension; k++)
        {
            Vector512<float> pa = Vector512.LoadUnsafe(ref p);
            Vector512<float> pb = Vector512.LoadUnsafe(ref p, Count);
            Vector512<float> b = Vector512.Create(q);
            c0a = TOperation.Accumulate(b, pa, c0a);
            c0b = TOperation.Accumulate(b, pb, c0b);
            b = Vector512.Create(Unsafe.Add(ref q, 1));
            c1a = TOperation.Accumulate(b, pa, c1a);
            c1b = TOperation.Accumulate(b, pb, c1b);
            b = Vector512.Create(Unsafe.Add(ref q, 2));
            c2a = TOperation.Accumulate(b, pa, c2a);
            c2b = TOperation.Accumulate(b, pb, c2b);
            b = Vector512.Create(Unsafe.Add(ref q, 3));
            c3a = TOperation.Accumulate(b, pa, c3a);
            c3b = TOperation.Accumulate(b, pb, c3b);
            b = Vector512.Create(Unsafe.Add(ref q, 4));
            c4a = TOperation.Accumulate(b, pa, c4a);
            c4b = TOperation.Accumulate(b, pb, c4b);
            b = Vector512.Create(Unsafe.Add(ref q, 5));
            c5a = TOperation.Accumulate(b, pa, c5a);
            c5b = TOperation.Accumulate(b, pb, c5b);
            b = Vector512.Create(Unsafe.Add(ref q, 6));
            c6a = TOperation.Accumulate(b, pa, c6a);
            c6b = TOperation.Accumulate(b, pb, c6b);
            b = Vector512.Create(Unsafe.Add(ref q, 7));
            c7a = TOperation.Accumulate(b, pa, c7a);
            c7b = TOperation.Accumulate(b, pb, c7b);
            p = ref Unsafe.Add(ref p, PanelRows);
            q = ref Unsafe.Add(ref q, TileQueries);
        }

        ref float d = ref destination;
        c0a.StoreUnsafe(ref d);
        c0b.StoreUnsafe(ref d, Count);
        d = ref Unsafe.Add(ref d, stride);
        c1a.StoreUnsafe(ref d);
        c1b.StoreUnsafe(ref d, Count);
        d = ref Unsafe.Add(ref d, stride);
        c2a.StoreUnsafe(ref d);
        c2b.StoreUnsafe(ref d, Count);
        d = ref Unsafe.Add(ref d, stride);
        c3a.StoreUnsafe(ref d);
        c3b.StoreUnsafe(ref d, Count);
        d = ref Unsafe.Add(ref d, stride);
        c4a.StoreUnsafe(ref d);
        c4b.StoreUnsafe(ref d, Count);
        d = ref Unsafe.Add(ref d, stride);
        c5a.StoreUnsafe(ref d);
        c5b.StoreUnsafe(ref d, Count);
        d = ref Unsafe.Add(ref d, stride);
        c6a.StoreUnsafe(ref d);
        c6b.StoreUnsafe(ref d, Count);
        d = ref Unsafe.Add(ref d, stride);
        c7a.StoreUnsafe(ref d);
        c7b.StoreUnsafe(ref d, Count);
    }
}

internal static partial class Vector256Kernels
{
    /// <summary>Rows per packed panel: two vectors.</summary>
    internal const int PanelRows = 2 * Count;

    /// <summary>Queries per register tile: 6 x 2 accumulators = 12 of the 16 AVX2 registers.</summary>
    internal const int TileQueries = 6;

    /// <summary>GEMM-like driver; see <see cref="Vector512Kernels.Matrix{TOperation}"/>. Tiles are 6 queries x 16 rows.</summary>
    internal static void Matrix<TOperation>(ReadOnlySpan<float> queries, ReadOnlySpan<float> rows, int dimension, Span<float> scores)
        where TOperation : struct, IMatrixOperation
    {
        int queryCount = queries.Length / dimension, rowCount = rows.Length / dimension;
        if (queryCount == 0 || rowCount == 0)
        {
            return;
        }

        int groups = (queryCount + TileQueries - 1) / TileQueries;
        int groupLength = TileQueries * dimension;
        Span<float> packedQueries = MatrixBuffers.Queries(groups * groupLength);
        for (int g = 0; g < groups; g++)
        {
            int first = g * TileQueries, count = Math.Min(TileQueries, queryCount - first);
            MatrixBuffers.PackTransposed(queries.Slice(first * dimension, count * dimension), count, dimension, TileQueries, packedQueries.Slice(g * groupLength, groupLength));
        }

        Span<float> panel = MatrixBuffers.Panel(PanelRows * dimension);
        Span<float> tile = stackalloc float[TileQueries * PanelRows];
        ref float panelRef = ref MemoryMarshal.GetReference(panel);
        ref float scoresRef = ref MemoryMarshal.GetReference(scores);
        for (int r0 = 0; r0 < rowCount; r0 += PanelRows)
        {
            int rc = Math.Min(PanelRows, rowCount - r0);
            MatrixBuffers.PackTransposed(rows.Slice(r0 * dimension, rc * dimension), rc, dimension, PanelRows, panel);
            for (int g = 0; g < groups; g++)
            {
                int q0 = g * TileQueries, qc = Math.Min(TileQueries, queryCount - q0);
                ref float groupRef = ref packedQueries[g * groupLength];
                if (rc == PanelRows && qc == TileQueries)
                {
                    Tile<TOperation>(ref groupRef, ref panelRef, (nuint)dimension, ref Unsafe.Add(ref scoresRef, ((nint)q0 * rowCount) + r0), (nuint)rowCount);
                }
                else
                {
                    Tile<TOperation>(ref groupRef, ref panelRef, (nuint)dimension, ref MemoryMarshal.GetReference(tile), PanelRows);
                    for (int j = 0; j < qc; j++)
                    {
                        tile.Slice(j * PanelRows, rc).CopyTo(scores.Slice(((q0 + j) * rowCount) + r0, rc));
                    }
                }
            }
        }
    }

    private static void Tile<TOperation>(ref float queries, ref float panel, nuint dimension, ref float destination, nuint stride)
        where TOperation : struct, IMatrixOperation
    {
        Vector256<float> c0a = default, c0b = default, c1a = default, c1b = default, c2a = default, c2b = default;
        Vector256<float> c3a = default, c3b = default, c4a = default, c4b = default, c5a = default, c5b = default;
        ref float p = ref panel;
        ref float q = ref queries;
        for (nuint k = 0; k < dimension; k++)
        {
            Vector256<float> pa = Vector256.LoadUnsafe(ref p);
            Vector256<float> pb = Vector256.LoadUnsafe(ref p, Count);
            Vector256<float> b = Vector256.Create(q);
            c0a = TOperation.Accumulate(b, pa, c0a);
            c0b = TOperation.Accumulate(b, pb, c0b);
            b = Vector256.Create(Unsafe.Add(ref q, 1));
            c1a = TOperation.Accumulate(b, pa, c1a);
            c1b = TOperation.Accumulate(b, pb, c1b);
            b = Vector256.Create(Unsafe.Add(ref q, 2));
            c2a = TOperation.Accumulate(b, pa, c2a);
            c2b = TOperation.Accumulate(b, pb, c2b);
            b = Vector256.Create(Unsafe.Add(ref q, 3));
            c3a = TOperation.Accumulate(b, pa, c3a);
            c3b = TOperation.Accumulate(b, pb, c3b);
            b = Vector256.Create(Unsafe.Add(ref q, 4));
            c4a = TOperation.Accumulate(b, pa, c4a);
            c4b = TOperation.Accumulate(b, pb, c4b);
            b = Vector256.Create(Unsafe.Add(ref q, 5));
            c5a = TOperation.Accumulate(b, pa, c5a);
            c5b = TOperation.Accumulate(b, pb, c5b);
            p = ref Unsafe.Add(ref p, PanelRows);
            q = ref Unsafe.Add(ref q, TileQueries);
        }

        ref float d = ref destination;
        c0a.StoreUnsafe(ref d);
        c0b.StoreUnsafe(ref d, Count);
        d = ref Unsafe.Add(ref d, stride);
        c1a.StoreUnsafe(ref d);
        c1b.StoreUnsafe(ref d, Count);
        d = ref Unsafe.Add(ref d, stride);
        c2a.StoreUnsafe(ref d);
        c2b.StoreUnsafe(ref d, Count);
        d = ref Unsafe.Add(ref d, stride);
        c3a.StoreUnsafe(ref d);
        c3b.StoreUnsafe(ref d, Count);
        d = ref Unsafe.Add(ref d, stride);
        c4a.StoreUnsafe(ref d);
        c4b.StoreUnsafe(ref d, Count);
        d = ref Unsafe.Add(ref d, stride);
        c5a.StoreUnsafe(ref d);
        c5b.StoreUnsafe(ref d, Count);
    }
}
