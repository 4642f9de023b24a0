namespace ImageSearch.Tests.Distances;

/// <summary>The 8-bit kernels (integer scan, and distances to rows read back through a quantiser) on every path, against scalar references, tails included.</summary>
public class QuantizedKernelTests
{
    private static readonly int[] Dimensions = [1, 5, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 300];
    private static readonly int[] RowCounts = [0, 1, 2, 3, 17];

    public static TheoryData<KernelPath> Paths => Kernels.Supported;

    private static void QuantizedDotScan(KernelPath path, ReadOnlySpan<short> q, ReadOnlySpan<byte> rows, Span<int> scores)
    {
        switch (path)
        {
            case KernelPath.Scalar: ScalarKernels.QuantizedDotScan(q, rows, scores); break;
            case KernelPath.Vector256: Vector256Kernels.QuantizedDotScan(q, rows, scores); break;
            case KernelPath.Vector512: Vector512Kernels.QuantizedDotScan(q, rows, scores); break;
            default: DistanceKernels.QuantizedDotScan(q, rows, scores); break;
        }
    }

    /// <summary>The smallest dimension a path's kernel takes (the dispatcher sends smaller ones elsewhere).</summary>
    private static int MinimumDimension(KernelPath path, int simdCount)
        => path == KernelPath.Vector512 ? simdCount : path == KernelPath.Vector256 ? simdCount / 2 : 0;

    [Theory]
    [MemberData(nameof(Paths))]
    public void QuantizedDotScanIsExact(KernelPath path)
    {
        var random = new Random(1234);
        foreach (int d in Dimensions)
        {
            if (d < MinimumDimension(path, Vector512Kernels.ByteCount))
            {
                continue;
            }

            // The largest query the kernel promises to handle exactly: 255 * sum |q| < 2^31, with extremes mixed in.
            int limit = (int)Math.Min(short.MaxValue, (int.MaxValue - 1) / (255L * d));
            foreach (int n in RowCounts)
            {
                var q = new short[d];
                for (int j = 0; j < d; j++)
                {
                    q[j] = (short)(j % 7 == 0 ? (j % 2 == 0 ? limit : -limit) : random.Next(-limit, limit + 1));
                }

                var rows = new byte[n * d];
                random.NextBytes(rows);
                if (n > 0)
                {
                    rows.AsSpan(0, d).Fill(255); // the largest codes
                }

                var scores = new int[n];
                QuantizedDotScan(path, q, rows, scores);
                for (int i = 0; i < n; i++)
                {
                    long expected = 0;
                    for (int j = 0; j < d; j++)
                    {
                        expected += q[j] * (long)rows[(i * d) + j];
                    }

                    Assert.True(expected == scores[i], $"{path} d={d} n={n} row {i}: expected {expected}, got {scores[i]}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void ScaledCodeDotMatchesReference(KernelPath path)
    {
        var random = new Random(314);
        foreach (int d in Dimensions)
        {
            if (d < MinimumDimension(path, Vector512Kernels.Count))
            {
                continue;
            }

            float[] w = Reference.RandomFloats(random, d);
            var codes = new byte[d];
            random.NextBytes(codes);
            double expected = 0, scale = 0;
            for (int j = 0; j < d; j++)
            {
                expected += w[j] * (double)codes[j];
                scale += Math.Abs(w[j] * (double)codes[j]);
            }

            float actual = path switch
            {
                KernelPath.Scalar => ScalarKernels.ScaledCodeDot(w, codes),
                KernelPath.Vector256 => Vector256Kernels.ScaledCodeDot(w, codes),
                KernelPath.Vector512 => Vector512Kernels.ScaledCodeDot(w, codes),
                _ => DistanceKernels.ScaledCodeDot(w, codes),
            };
            Reference.AssertClose(expected, scale, actual, $"{path} d={d}");
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void DequantizedDistancesMatchReference(KernelPath path)
    {
        var random = new Random(99);
        foreach (int d in Dimensions)
        {
            if (d < MinimumDimension(path, Vector512Kernels.Count))
            {
                continue;
            }

            for (int trial = 0; trial < 5; trial++)
            {
                float[] q = Reference.RandomFloats(random, d);
                float[] offset = Reference.RandomFloats(random, d);
                var step = new float[d];
                var codes = new byte[d];
                random.NextBytes(codes);
                double dot = 0, l2 = 0, scale = 0, squares = 0;
                for (int j = 0; j < d; j++)
                {
                    step[j] = (float)(0.001 + (random.NextDouble() * 0.02));
                    double x = offset[j] + ((double)step[j] * codes[j]);
                    dot += q[j] * x;
                    l2 += (q[j] - x) * (q[j] - x);
                    scale += Math.Abs(q[j] * x);
                    squares += (q[j] * q[j]) + (x * x);
                }

                (float Dot, float L2) actual = path switch
                {
                    KernelPath.Scalar => (ScalarKernels.DequantizedDot(q, codes, offset, step), ScalarKernels.DequantizedSquaredL2(q, codes, offset, step)),
                    KernelPath.Vector256 => (Vector256Kernels.DequantizedDot(q, codes, offset, step), Vector256Kernels.DequantizedSquaredL2(q, codes, offset, step)),
                    KernelPath.Vector512 => (Vector512Kernels.DequantizedDot(q, codes, offset, step), Vector512Kernels.DequantizedSquaredL2(q, codes, offset, step)),
                    _ => (DistanceKernels.DequantizedDot(q, codes, offset, step), DistanceKernels.DequantizedSquaredL2(q, codes, offset, step)),
                };
                Reference.AssertClose(dot, scale, actual.Dot, $"{path} dot d={d}");
                Reference.AssertClose(l2, squares, actual.L2, $"{path} L2 d={d}");
            }
        }
    }
}
