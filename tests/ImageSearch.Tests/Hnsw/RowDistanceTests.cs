using System.Runtime.InteropServices;

namespace ImageSearch.Tests.Hnsw;

/// <summary>The graph's inlined row distances against a scalar reference in double precision (fixed seeds, every tail length).</summary>
public sealed class RowDistanceTests
{
    public static TheoryData<int> Dimensions()
    {
        var data = new TheoryData<int>();
        for (int d = 1; d <= 80; d++)
        {
            data.Add(d);
        }

        foreach (int d in new[] { 100, 127, 128, 129, 300, 512, 1280 })
        {
            data.Add(d);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Dimensions))]
    public void DotAndSquaredL2MatchTheScalarReference(int dimension)
    {
        var random = new Random(dimension);
        for (int trial = 0; trial < 20; trial++)
        {
            float[] x = Vector(random, dimension), y = Vector(random, dimension);
            double dot = 0, l2 = 0, scale = 0;
            for (int i = 0; i < dimension; i++)
            {
                dot += (double)x[i] * y[i];
                l2 += ((double)x[i] - y[i]) * ((double)x[i] - y[i]);
                scale += Math.Abs((double)x[i] * y[i]) + (((double)x[i] - y[i]) * ((double)x[i] - y[i]));
            }

            float tolerance = (float)(1e-5 * scale);
            Assert.Equal(dot, RowDistance.Dot(ref x[0], ref y[0], dimension), tolerance);
            Assert.Equal(l2, RowDistance.SquaredL2(ref x[0], ref y[0], dimension), tolerance);
        }
    }

    [Theory]
    [MemberData(nameof(Dimensions))]
    public void ScaledCodeDotMatchesTheScalarReference(int dimension)
    {
        var random = new Random(1000 + dimension);
        float[] w = Vector(random, dimension);
        byte[] codes = new byte[dimension];
        random.NextBytes(codes);
        double expected = 0, scale = 0;
        for (int i = 0; i < dimension; i++)
        {
            expected += (double)w[i] * codes[i];
            scale += Math.Abs((double)w[i] * codes[i]);
        }

        Assert.Equal(expected, RowDistance.ScaledCodeDot(ref w[0], ref MemoryMarshal.GetArrayDataReference(codes), dimension), (float)(1e-5 * scale));
    }

    [Theory]
    [MemberData(nameof(Dimensions))]
    public void WideCodeDotIsTheExactIntegerSum(int dimension)
    {
        if (!RowDistance.HasWideCodeDot(dimension))
        {
            Assert.True(dimension < RowDistance.WideChunk || !System.Runtime.Intrinsics.X86.Avx512BW.IsSupported);
            return;
        }

        var random = new Random(2000 + dimension);
        int limit = (int)Math.Min(short.MaxValue, (int.MaxValue - 1) / (255L * dimension)); // as QueryBound scales
        int chunk = RowDistance.WideChunk, full = dimension & ~(chunk - 1);
        short[] k = new short[dimension + chunk];
        byte[] codes = new byte[dimension];
        for (int trial = 0; trial < 10; trial++)
        {
            for (int i = 0; i < dimension; i++)
            {
                k[i] = (short)(trial == 0 ? (i % 2 == 0 ? limit : -limit) : random.Next(-limit, limit + 1)); // trial 0: the extremes
            }

            random.NextBytes(codes);
            if (trial == 0)
            {
                codes.AsSpan().Fill(255);
            }

            // The tail: the last chunk's weights, with those before the last full chunk zeroed (the documented contract).
            for (int i = 0; i < chunk; i++)
            {
                int at = dimension - chunk + i;
                k[dimension + i] = at >= full ? k[at] : (short)0;
            }

            long expected = 0;
            for (int i = 0; i < dimension; i++)
            {
                expected += (long)k[i] * codes[i];
            }

            Assert.Equal(expected, RowDistance.WideCodeDot(ref k[0], ref MemoryMarshal.GetArrayDataReference(codes), dimension));
        }
    }

    [Fact]
    public void NaNInEitherRowGivesNaN()
    {
        foreach (int dimension in new[] { 7, 16, 100, 512 })
        {
            for (int at = 0; at < dimension; at += Math.Max(1, dimension / 9))
            {
                float[] x = Vector(new Random(at), dimension), y = Vector(new Random(at + 1), dimension);
                x[at] = float.NaN;
                Assert.True(float.IsNaN(RowDistance.Dot(ref x[0], ref y[0], dimension)), $"dot, d {dimension}, NaN at {at}");
                Assert.True(float.IsNaN(RowDistance.SquaredL2(ref y[0], ref x[0], dimension)), $"L2, d {dimension}, NaN at {at}");
            }
        }
    }

    private static float[] Vector(Random random, int dimension)
    {
        float[] v = new float[dimension];
        for (int i = 0; i < dimension; i++)
        {
            v[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return v;
    }
}
