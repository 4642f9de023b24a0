namespace ImageSearch.Tests.Distances;

/// <summary>Queries-by-rows score matrices on every path, with query and row counts that leave partial tiles.</summary>
public class MatrixKernelTests
{
    private static readonly int[] QueryCounts = [1, 3, 6, 8, 9, 17];
    private static readonly int[] RowCounts = [1, 5, 15, 16, 31, 32, 33, 70];
    private static readonly int[] Dimensions = [1, 3, 16, 100, 131];

    public static TheoryData<KernelPath> Paths => Kernels.Supported;

    [Theory]
    [MemberData(nameof(Paths))]
    public void DotMatrixMatchesReference(KernelPath path)
    {
        ForEveryShape((queries, rows, d, nq, nr, context) =>
        {
            float[] scores = Sentinel(nq * nr);
            Kernels.DotMatrix(path, queries, rows, d, scores);
            for (int q = 0; q < nq; q++)
            {
                for (int r = 0; r < nr; r++)
                {
                    var (expected, scale) = Reference.Dot<float>(queries.AsSpan(q * d, d), rows.AsSpan(r * d, d));
                    Reference.AssertClose(expected, scale, scores[(q * nr) + r], $"{context} q={q} r={r}");
                }
            }
        });
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void SquaredL2MatrixMatchesReference(KernelPath path)
    {
        ForEveryShape((queries, rows, d, nq, nr, context) =>
        {
            float[] scores = Sentinel(nq * nr);
            Kernels.SquaredL2Matrix(path, queries, rows, d, scores);
            for (int q = 0; q < nq; q++)
            {
                for (int r = 0; r < nr; r++)
                {
                    double expected = Reference.SquaredL2<float>(queries.AsSpan(q * d, d), rows.AsSpan(r * d, d));
                    Reference.AssertClose(expected, expected, scores[(q * nr) + r], $"{context} q={q} r={r}");
                }
            }
        });
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void EmptyQueriesOrRowsWriteNothing(KernelPath path)
    {
        float[] some = Reference.RandomFloats(new Random(42), 20);
        Kernels.DotMatrix(path, ReadOnlySpan<float>.Empty, some, 4, Span<float>.Empty);
        Kernels.DotMatrix(path, some, ReadOnlySpan<float>.Empty, 4, Span<float>.Empty);
        Kernels.SquaredL2Matrix(path, some, ReadOnlySpan<float>.Empty, 4, Span<float>.Empty);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void RepeatedCallsWithDifferentShapesReuseBuffersCorrectly(KernelPath path)
    {
        // A large call grows the per-thread packing buffers; a smaller one afterwards must not see stale data.
        var random = new Random(42);
        foreach (var (nq, nr, d) in new[] { (20, 70, 300), (3, 5, 7), (9, 33, 100) })
        {
            float[] queries = Reference.RandomFloats(random, nq * d), rows = Reference.RandomFloats(random, nr * d);
            float[] scores = Sentinel(nq * nr), expected = new float[nq * nr];
            Kernels.DotMatrix(path, queries, rows, d, scores);
            for (int q = 0; q < nq; q++)
            {
                Kernels.DotScan<float>(KernelPath.Scalar, queries.AsSpan(q * d, d), rows, expected.AsSpan(q * nr, nr));
            }

            for (int i = 0; i < scores.Length; i++)
            {
                Assert.Equal(expected[i], scores[i], 1e-4f);
            }
        }
    }

    private static float[] Sentinel(int n)
    {
        float[] values = new float[n];
        Array.Fill(values, float.NaN);
        return values;
    }

    private static void ForEveryShape(Action<float[], float[], int, int, int, string> check)
    {
        var random = new Random(42);
        foreach (int d in Dimensions)
        {
            foreach (int nq in QueryCounts)
            {
                foreach (int nr in RowCounts)
                {
                    check(Reference.RandomFloats(random, nq * d), Reference.RandomFloats(random, nr * d), d, nq, nr, $"d={d} nq={nq} nr={nr}");
                }
            }
        }
    }
}
