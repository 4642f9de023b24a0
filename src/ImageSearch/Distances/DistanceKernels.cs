using System.Numerics.Tensors;

namespace ImageSearch.Distances;

/// <summary>
/// Distance kernels over spans. PLACEHOLDER implementations (TensorPrimitives and loops) until the SIMD kernels land.
/// </summary>
public static partial class DistanceKernels
{
    /// <summary>Dot product.</summary>
    public static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y) => TensorPrimitives.Dot(x, y);

    /// <summary>Dot product with f16 y.</summary>
    public static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<Half> y)
    {
        if (x.Length != y.Length) throw new ArgumentException("Lengths differ.", nameof(y));
        float s = 0;
        for (int i = 0; i < x.Length; i++) s += x[i] * (float)y[i];
        return s;
    }

    /// <summary>Squared L2.</summary>
    public static float SquaredL2(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        float d = TensorPrimitives.Distance(x, y);
        return d * d;
    }

    /// <summary>Squared L2 with f16 y.</summary>
    public static float SquaredL2(ReadOnlySpan<float> x, ReadOnlySpan<Half> y)
    {
        if (x.Length != y.Length) throw new ArgumentException("Lengths differ.", nameof(y));
        float s = 0;
        for (int i = 0; i < x.Length; i++) { float d = x[i] - (float)y[i]; s += d * d; }
        return s;
    }

    /// <summary>Cosine similarity.</summary>
    public static float CosineSimilarity(ReadOnlySpan<float> x, ReadOnlySpan<float> y) => TensorPrimitives.CosineSimilarity(x, y);

    /// <summary>scores[i] = dot(query, row i).</summary>
    public static void DotScan(ReadOnlySpan<float> query, ReadOnlySpan<float> rows, Span<float> scores)
    {
        int d = query.Length;
        for (int i = 0; i < scores.Length; i++) scores[i] = Dot(query, rows.Slice(i * d, d));
    }

    /// <summary>scores[i] = dot(query, row i), f16 rows.</summary>
    public static void DotScan(ReadOnlySpan<float> query, ReadOnlySpan<Half> rows, Span<float> scores)
    {
        int d = query.Length;
        for (int i = 0; i < scores.Length; i++) scores[i] = Dot(query, rows.Slice(i * d, d));
    }

    /// <summary>scores[i] = squaredL2(query, row i).</summary>
    public static void SquaredL2Scan(ReadOnlySpan<float> query, ReadOnlySpan<float> rows, Span<float> scores)
    {
        int d = query.Length;
        for (int i = 0; i < scores.Length; i++) scores[i] = SquaredL2(query, rows.Slice(i * d, d));
    }

    /// <summary>scores[i] = squaredL2(query, row i), f16 rows.</summary>
    public static void SquaredL2Scan(ReadOnlySpan<float> query, ReadOnlySpan<Half> rows, Span<float> scores)
    {
        int d = query.Length;
        for (int i = 0; i < scores.Length; i++) scores[i] = SquaredL2(query, rows.Slice(i * d, d));
    }

    /// <summary>scores[q * rowCount + r] = dot(query q, row r).</summary>
    public static void DotMatrix(ReadOnlySpan<float> queries, ReadOnlySpan<float> rows, int dimension, Span<float> scores)
    {
        int nq = queries.Length / dimension, nr = rows.Length / dimension;
        for (int q = 0; q < nq; q++) DotScan(queries.Slice(q * dimension, dimension), rows, scores.Slice(q * nr, nr));
    }

    /// <summary>scores[q * rowCount + r] = squaredL2(query q, row r).</summary>
    public static void SquaredL2Matrix(ReadOnlySpan<float> queries, ReadOnlySpan<float> rows, int dimension, Span<float> scores)
    {
        int nq = queries.Length / dimension, nr = rows.Length / dimension;
        for (int q = 0; q < nq; q++) SquaredL2Scan(queries.Slice(q * dimension, dimension), rows, scores.Slice(q * nr, nr));
    }
}
