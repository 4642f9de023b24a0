namespace ImageSearch.Tests.Distances;

/// <summary>
/// NaN in, NaN out; infinities stay infinite (the masked, overlapping tail vector must never multiply an infinity by
/// the zero it masks in). Every element position is tried, so tails and overlaps are covered.
/// </summary>
public class SpecialValueTests
{
    private static readonly int[] Lengths = [1, 5, 8, 20, 37, 100];

    public static TheoryData<KernelPath> Paths => Kernels.Supported;

    [Theory]
    [MemberData(nameof(Paths))]
    public void PairKernelsPropagateNaNFromEveryPosition(KernelPath path)
    {
        foreach (int n in Lengths)
        {
            for (int p = 0; p < n; p++)
            {
                float[] x = Positive(n), y = Positive(n);
                x[p] = float.NaN;
                Half[] h = ToHalf(y);
                Assert.True(float.IsNaN(Kernels.Dot<float>(path, x, y)), $"dot n={n} p={p}");
                Assert.True(float.IsNaN(Kernels.SquaredL2<float>(path, x, y)), $"l2 n={n} p={p}");
                Assert.True(float.IsNaN(Kernels.Cosine<float>(path, x, y)), $"cos n={n} p={p}");
                Assert.True(float.IsNaN(Kernels.Dot<Half>(path, x, h)), $"dot f16 n={n} p={p}");

                x[p] = 0.5f;
                h[p] = Half.NaN;
                Assert.True(float.IsNaN(Kernels.Dot<Half>(path, x, h)), $"dot f16 row NaN n={n} p={p}");
                Assert.True(float.IsNaN(Kernels.SquaredL2<Half>(path, x, h)), $"l2 f16 row NaN n={n} p={p}");
                Assert.True(float.IsNaN(Kernels.Cosine<Half>(path, x, h)), $"cos f16 row NaN n={n} p={p}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void PairKernelsKeepInfinityFromEveryPosition(KernelPath path)
    {
        foreach (int n in Lengths)
        {
            for (int p = 0; p < n; p++)
            {
                float[] x = Positive(n), y = Positive(n);
                y[p] = float.PositiveInfinity;
                Half[] h = ToHalf(y);
                Assert.Equal(float.PositiveInfinity, Kernels.Dot<float>(path, x, y));
                Assert.Equal(float.PositiveInfinity, Kernels.SquaredL2<float>(path, x, y));
                Assert.Equal(float.PositiveInfinity, Kernels.Dot<Half>(path, x, h));
                Assert.Equal(float.PositiveInfinity, Kernels.SquaredL2<Half>(path, x, h));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void ScansConfineARowNaNToThatRow(KernelPath path)
    {
        const int rowsCount = 9;
        foreach (int d in Lengths)
        {
            for (int p = 0; p < d; p++)
            {
                float[] q = Positive(d), rows = Positive(d * rowsCount), w2 = Positive(d);
                int bad = p % rowsCount;
                rows[(bad * d) + p] = float.NaN;
                Half[] halfRows = ToHalf(rows);
                float[] a = new float[rowsCount], b = new float[rowsCount], c = new float[rowsCount], e = new float[rowsCount], f = new float[rowsCount];

                Kernels.DotScan<float>(path, q, rows, a);
                Kernels.SquaredL2Scan<Half>(path, q, halfRows, b);
                Kernels.WeightedDotScan<float>(path, q, w2, rows, c, e);
                Kernels.WeightedSquaredL2Scan<Half>(path, q, w2, halfRows, f);
                for (int i = 0; i < rowsCount; i++)
                {
                    foreach (float[] scores in new[] { a, b, c, e, f })
                    {
                        Assert.True(float.IsNaN(scores[i]) == (i == bad), $"d={d} p={p} row {i}: {scores[i]}");
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void ScansKeepInfinityAndSpreadQueryOrWeightNaNToEveryRow(KernelPath path)
    {
        const int rowsCount = 6;
        foreach (int d in Lengths)
        {
            for (int p = 0; p < d; p++)
            {
                float[] q = Positive(d), rows = Positive(d * rowsCount), w2 = Positive(d), a = new float[rowsCount], b = new float[rowsCount];
                rows[((p % rowsCount) * d) + p] = float.PositiveInfinity;
                Kernels.DotScan<float>(path, q, rows, a);
                Kernels.WeightedDotScan<float>(path, q, w2, rows, a.AsSpan(), b);
                Assert.Equal(float.PositiveInfinity, a[p % rowsCount]);
                Assert.Equal(float.PositiveInfinity, b[p % rowsCount]);

                rows = Positive(d * rowsCount);
                q[p] = float.NaN;
                Kernels.DotScan<float>(path, q, rows, a);
                Assert.All(a, s => Assert.True(float.IsNaN(s)));
                Kernels.SquaredL2Scan<float>(path, q, rows, a);
                Assert.All(a, s => Assert.True(float.IsNaN(s)));

                q[p] = 0.5f;
                w2[p] = float.NaN;
                Kernels.WeightedSquaredL2Scan<float>(path, q, w2, rows, a);
                Assert.All(a, s => Assert.True(float.IsNaN(s)));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void MatricesConfineNaNToItsQueryAndRow(KernelPath path)
    {
        const int d = 37, nq = 10, nr = 35;
        float[] queries = Positive(nq * d), rows = Positive(nr * d), scores = new float[nq * nr], l2 = new float[nq * nr];
        queries[(3 * d) + 36] = float.NaN;
        rows[(33 * d) + 5] = float.NaN;
        Kernels.DotMatrix(path, queries, rows, d, scores);
        Kernels.SquaredL2Matrix(path, queries, rows, d, l2);
        for (int q = 0; q < nq; q++)
        {
            for (int r = 0; r < nr; r++)
            {
                bool expectNaN = q == 3 || r == 33;
                Assert.True(float.IsNaN(scores[(q * nr) + r]) == expectNaN, $"dot q={q} r={r}");
                Assert.True(float.IsNaN(l2[(q * nr) + r]) == expectNaN, $"l2 q={q} r={r}");
            }
        }
    }

    private static float[] Positive(int n)
    {
        var random = new Random(42);
        float[] values = new float[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = 0.25f + (float)random.NextDouble();
        }

        return values;
    }

    private static Half[] ToHalf(float[] values) => Array.ConvertAll(values, v => (Half)v);
}
