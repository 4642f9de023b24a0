using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ImageSearch;

public static partial class DistanceKernels
{
    /// <summary>
    /// Computes the squared Euclidean distances of every query to every row:
    /// <c>scores[q * rowCount + r] = squaredL2(query q, row r)</c>, where <c>queryCount = queries.Length / dimension</c>
    /// and <c>rowCount = rows.Length / dimension</c>.
    /// </summary>
    /// <param name="queries">Query vectors of <paramref name="dimension"/> elements, stored one after another.</param>
    /// <param name="rows">Row vectors of <paramref name="dimension"/> elements, stored one after another.</param>
    /// <param name="dimension">The length of every vector; must be positive.</param>
    /// <param name="scores">Receives <c>queryCount * rowCount</c> squared distances, query-major.</param>
    /// <remarks>
    /// <para>
    /// Blocked like <see cref="DotMatrix"/>, but it accumulates <c>(q - r)^2</c> directly (a subtract and an FMA per pair
    /// and dimension) instead of <c>|q|^2 + |r|^2 - 2 q.r</c>, so near neighbours do not lose precision to
    /// cancellation; it is therefore about half as fast as <see cref="DotMatrix"/>.
    /// </para>
    /// <para>NaN in a query or row makes the scores involving it NaN (NaN in, NaN out). Thread-safe.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dimension"/> is zero or negative.</exception>
    /// <exception cref="ArgumentException">
    /// The length of <paramref name="queries"/> or <paramref name="rows"/> is not a multiple of <paramref name="dimension"/>, or
    /// <paramref name="scores"/> does not hold exactly <c>queryCount * rowCount</c> elements.
    /// </exception>
    public static void SquaredL2Matrix(ReadOnlySpan<float> queries, ReadOnlySpan<float> rows, int dimension, Span<float> scores)
    {
        CheckMatrix(queries.Length, rows.Length, dimension, scores.Length);
        if (UseVector512)
        {
            Vector512Kernels.Matrix<SquaredL2Operation>(queries, rows, dimension, scores);
        }
        else if (UseVector256)
        {
            Vector256Kernels.Matrix<SquaredL2Operation>(queries, rows, dimension, scores);
        }
        else
        {
            ScalarKernels.SquaredL2Matrix(queries, rows, dimension, scores);
        }
    }
}

/// <summary>Squared-difference accumulation for the score-matrix kernels.</summary>
internal readonly struct SquaredL2Operation : IMatrixOperation
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Accumulate(Vector512<float> query, Vector512<float> rows, Vector512<float> accumulator)
    {
        Vector512<float> d = query - rows;
        return Vector512.FusedMultiplyAdd(d, d, accumulator);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Accumulate(Vector256<float> query, Vector256<float> rows, Vector256<float> accumulator)
    {
        Vector256<float> d = query - rows;
        return Vector256.FusedMultiplyAdd(d, d, accumulator);
    }
}

internal static partial class ScalarKernels
{
    internal static void SquaredL2Matrix(ReadOnlySpan<float> queries, ReadOnlySpan<float> rows, int dimension, Span<float> scores)
    {
        int rowCount = rows.Length / dimension;
        for (int q = 0; q < queries.Length / dimension; q++)
        {
            SquaredL2Scan(queries.Slice(q * dimension, dimension), rows, scores.Slice(q * rowCount, rowCount));
        }
    }
}
