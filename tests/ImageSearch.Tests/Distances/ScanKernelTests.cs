namespace ImageSearch.Tests.Distances;

/// <summary>One-query-against-many-rows scans (plain and class-weighted) on every path, f32 and f16 rows.</summary>
public class ScanKernelTests
{
    private static readonly int[] RowCounts = [0, 1, 3, 17, 100];
    private static readonly int[] Dimensions = [0, 1, 5, 8, 15, 16, 17, 31, 100, 129, 300, 512];

    public static TheoryData<KernelPath> Paths => Kernels.Supported;

    [Theory]
    [MemberData(nameof(Paths))]
    public void DotScanMatchesReference(KernelPath path)
    {
        ForEveryShape<float>(Reference.RandomFloats, (q, rows, n, context) => CheckDotScan(path, q, rows, n, context));
        ForEveryShape<Half>(Reference.RandomHalves, (q, rows, n, context) => CheckDotScan(path, q, rows, n, context));
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void SquaredL2ScanMatchesReference(KernelPath path)
    {
        ForEveryShape<float>(Reference.RandomFloats, (q, rows, n, context) => CheckSquaredL2Scan(path, q, rows, n, context));
        ForEveryShape<Half>(Reference.RandomHalves, (q, rows, n, context) => CheckSquaredL2Scan(path, q, rows, n, context));
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void WeightedDotScanMatchesReference(KernelPath path)
    {
        ForEveryShape<float>(Reference.RandomFloats, (q, rows, n, context) => CheckWeightedDotScan(path, q, rows, n, context));
        ForEveryShape<Half>(Reference.RandomHalves, (q, rows, n, context) => CheckWeightedDotScan(path, q, rows, n, context));
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void WeightedSquaredL2ScanMatchesReference(KernelPath path)
    {
        ForEveryShape<float>(Reference.RandomFloats, (q, rows, n, context) => CheckWeightedSquaredL2Scan(path, q, rows, n, context));
        ForEveryShape<Half>(Reference.RandomHalves, (q, rows, n, context) => CheckWeightedSquaredL2Scan(path, q, rows, n, context));
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void UnitWeightsGiveThePlainKernels(KernelPath path)
    {
        var random = new Random(42);
        const int d = 100, n = 7;
        float[] q = Reference.RandomFloats(random, d), rows = Reference.RandomFloats(random, d * n), ones = new float[d];
        Array.Fill(ones, 1f);
        float[] dots = new float[n], norms = new float[n], plain = new float[n], l2 = new float[n], plainL2 = new float[n];
        Kernels.WeightedDotScan<float>(path, q, ones, rows, dots, norms);
        Kernels.DotScan<float>(path, q, rows, plain);
        Kernels.WeightedSquaredL2Scan<float>(path, q, ones, rows, l2);
        Kernels.SquaredL2Scan<float>(path, q, rows, plainL2);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(plain[i], dots[i], 1e-4f);
            Assert.Equal(Reference.Dot<float>(rows.AsSpan(i * d, d), rows.AsSpan(i * d, d)).Value, norms[i], 1e-4);
            Assert.Equal(plainL2[i], l2[i], 1e-4f);
        }
    }

    private static void CheckDotScan<T>(KernelPath path, float[] q, T[] rows, int n, string context)
        where T : unmanaged
    {
        float[] scores = Sentinel(n);
        Kernels.DotScan<T>(path, q, rows, scores);
        for (int i = 0; i < n; i++)
        {
            var (expected, scale) = Reference.Dot<T>(q, rows.AsSpan(i * q.Length, q.Length));
            Reference.AssertClose(expected, scale, scores[i], $"{context} row {i}");
        }
    }

    private static void CheckSquaredL2Scan<T>(KernelPath path, float[] q, T[] rows, int n, string context)
        where T : unmanaged
    {
        float[] scores = Sentinel(n);
        Kernels.SquaredL2Scan<T>(path, q, rows, scores);
        for (int i = 0; i < n; i++)
        {
            double expected = Reference.SquaredL2<T>(q, rows.AsSpan(i * q.Length, q.Length));
            Reference.AssertClose(expected, expected, scores[i], $"{context} row {i}");
        }
    }

    private static void CheckWeightedDotScan<T>(KernelPath path, float[] q, T[] rows, int n, string context)
        where T : unmanaged
    {
        float[] w2 = SquaredWeights(q.Length);
        float[] dots = Sentinel(n), norms = Sentinel(n);
        Kernels.WeightedDotScan<T>(path, q, w2, rows, dots, norms);
        int d = q.Length;
        for (int i = 0; i < n; i++)
        {
            double dot = 0, scale = 0, norm = 0;
            for (int j = 0; j < d; j++)
            {
                double r = Reference.Value(rows[(i * d) + j]);
                dot += q[j] * w2[j] * r;
                scale += Math.Abs(q[j] * w2[j] * r);
                norm += w2[j] * r * r;
            }

            Reference.AssertClose(dot, scale, dots[i], $"{context} row {i} dot");
            Reference.AssertClose(norm, norm, norms[i], $"{context} row {i} norm");
        }
    }

    private static void CheckWeightedSquaredL2Scan<T>(KernelPath path, float[] q, T[] rows, int n, string context)
        where T : unmanaged
    {
        float[] w2 = SquaredWeights(q.Length);
        float[] scores = Sentinel(n);
        Kernels.WeightedSquaredL2Scan<T>(path, q, w2, rows, scores);
        int d = q.Length;
        for (int i = 0; i < n; i++)
        {
            double sum = 0;
            for (int j = 0; j < d; j++)
            {
                double diff = q[j] - Reference.Value(rows[(i * d) + j]);
                sum += w2[j] * diff * diff;
            }

            Reference.AssertClose(sum, sum, scores[i], $"{context} row {i}");
        }
    }

    /// <summary>Squared weights in [0, 4): some near zero, some above one.</summary>
    private static float[] SquaredWeights(int d)
    {
        float[] w = Reference.RandomFloats(new Random(d + 1), d);
        for (int j = 0; j < d; j++)
        {
            w[j] = 4 * w[j] * w[j];
        }

        return w;
    }

    /// <summary>Outputs start as NaN so an unwritten score fails the comparison.</summary>
    private static float[] Sentinel(int n)
    {
        float[] values = new float[n];
        Array.Fill(values, float.NaN);
        return values;
    }

    private static void ForEveryShape<T>(Func<Random, int, T[]> makeRows, Action<float[], T[], int, string> check)
    {
        var random = new Random(42);
        foreach (int d in Dimensions)
        {
            foreach (int n in RowCounts)
            {
                check(Reference.RandomFloats(random, d), makeRows(random, d * n), n, $"{typeof(T).Name} d={d} n={n}");
            }
        }
    }
}
