using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ImageSearch;

public static partial class DistanceKernels
{
    /// <summary>
    /// Computes the dot products of every query with every row: <c>scores[q * rowCount + r] = dot(query q, row r)</c>,
    /// where <c>queryCount = queries.Length / dimension</c> and <c>rowCount = rows.Length / dimension</c>.
    /// </summary>
    /// <param name="queries">Query vectors of <paramref name="dimension"/> elements, stored one after another.</param>
    /// <param name="rows">Row vectors of <paramref name="dimension"/> elements, stored one after another.</param>
    /// <param name="dimension">The length of every vector; must be positive.</param>
    /// <param name="scores">Receives <c>queryCount * rowCount</c> scores, query-major.</param>
    /// <remarks>
    /// <para>
    /// Runs single-threaded and GEMM-like: queries and 32-row panels are packed dimension-major into per-thread
    /// buffers (no allocation once they have grown) and an 8-query x 32-row register tile accumulates with one FMA per
    /// pair and dimension, so each row is read from memory once per call. Packing a panel costs about as much as
    /// one 8-query tile, so pass 128-256 queries per call (measured at d = 100: 32 queries per call reach about 55%
    /// of the throughput of 256) and split rows, not queries, across threads. Results equal <see cref="Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/> up to rounding (different
    /// summation order).
    /// </para>
    /// <para>NaN in a query or row makes the scores involving it NaN (NaN in, NaN out). Thread-safe.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dimension"/> is zero or negative.</exception>
    /// <exception cref="ArgumentException">
    /// The length of <paramref name="queries"/> or <paramref name="rows"/> is not a multiple of <paramref name="dimension"/>, or
    /// <paramref name="scores"/> does not hold exactly <c>queryCount * rowCount</c> elements.
    /// </exception>
    public static void DotMatrix(ReadOnlySpan<float> queries, ReadOnlySpan<float> rows, int dimension, Span<float> scores)
    {
        CheckMatrix(queries.Length, rows.Length, dimension, scores.Length);
        if (UseVector512)
        {
            Vector512Kernels.Matrix<DotOperation>(queries, rows, dimension, scores);
        }
        else if (UseVector256)
        {
            Vector256Kernels.Matrix<DotOperation>(queries, rows, dimension, scores);
        }
        else
        {
            ScalarKernels.DotMatrix(queries, rows, dimension, scores);
        }
    }

    private static void CheckMatrix(int queriesLength, int rowsLength, int dimension, int scoresLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (queriesLength % dimension != 0)
        {
            throw new ArgumentException($"Length {queriesLength} is not a multiple of the dimension {dimension}.", "queries");
        }

        if (rowsLength % dimension != 0)
        {
            throw new ArgumentException($"Length {rowsLength} is not a multiple of the dimension {dimension}.", "rows");
        }

        long expected = (long)(queriesLength / dimension) * (rowsLength / dimension);
        if (scoresLength != expected)
        {
            throw new ArgumentException($"Length {scoresLength} does not match queryCount * rowCount = {expected}.", "scores");
        }
    }
}

/// <summary>Dot-product accumulation for the score-matrix kernels.</summary>
internal readonly struct DotOperation : IMatrixOperation
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Accumulate(Vector512<float> query, Vector512<float> rows, Vector512<float> accumulator) =>
        Vector512.FusedMultiplyAdd(query, rows, accumulator);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Accumulate(Vector256<float> query, Vector256<float> rows, Vector256<float> accumulator) =>
        Vector256.FusedMultiplyAdd(query, rows, accumulator);
}

internal static partial class ScalarKernels
{
    internal static void DotMatrix(ReadOnlySpan<float> queries, ReadOnlySpan<float> rows, int dimension, Span<float> scores)
    {
        int rowCount = rows.Length / dimension;
        for (int q = 0; q < queries.Length / dimension; q++)
        {
            DotScan(queries.Slice(q * dimension, dimension), rows, scores.Slice(q * rowCount, rowCount));
        }
    }
}
