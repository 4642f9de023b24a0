
namespace ImageSearch.Embeddings.Tests.Devise;

public class GemmTests
{
    private static float[] Random(int n, int seed)
    {
        var r = new DeviseRandom(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = r.NextGaussian();
        return a;
    }

    // Reference in double: C(i,j) = sum_p A(i,p) B(p,j) with accessor functions.
    private static double[] Reference(Func<int, int, float> a, Func<int, int, float> b, int m, int k, int n)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double)a(i, p) * b(p, j);
                c[i * n + j] = s;
            }
        return c;
    }

    private static void AssertClose(double[] expected, float[] actual, int k)
    {
        double tol = 1e-5 * Math.Sqrt(k) * 4;
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * (1 + Math.Abs(expected[i])), $"element {i}: expected {expected[i]}, got {actual[i]}");
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 5, 7)]
    [InlineData(37, 19, 53)]
    [InlineData(70, 130, 100)]
    [InlineData(64, 512, 48)]
    public void MatMul_matches_reference(int m, int k, int n)
    {
        float[] a = Random(m * k, 1), b = Random(k * n, 2), c = new float[m * n];
        Gemm.MatMul(a, b, c, m, k, n);
        AssertClose(Reference((i, p) => a[i * k + p], (p, j) => b[p * n + j], m, k, n), c, k);
    }

    [Theory]
    [InlineData(3, 5, 7)]
    [InlineData(37, 19, 53)]
    [InlineData(70, 130, 100)]
    public void MatMulTransA_matches_reference(int m, int k, int n)
    {
        float[] a = Random(k * m, 3), b = Random(k * n, 4), c = new float[m * n];
        Gemm.MatMulTransA(a, b, c, m, k, n);
        AssertClose(Reference((i, p) => a[p * m + i], (p, j) => b[p * n + j], m, k, n), c, k);
    }

    [Theory]
    [InlineData(3, 5, 7)]
    [InlineData(37, 19, 53)]
    [InlineData(70, 130, 100)]
    public void MatMulTransB_matches_reference(int m, int k, int n)
    {
        float[] a = Random(m * k, 5), b = Random(n * k, 6), c = new float[m * n], scratch = new float[k * n];
        Gemm.MatMulTransB(a, b, c, m, k, n, scratch);
        AssertClose(Reference((i, p) => a[i * k + p], (p, j) => b[j * k + p], m, k, n), c, k);
    }

    [Fact]
    public void Results_are_bit_identical_for_any_thread_count()
    {
        int m = 200, k = 300, n = 150;
        float[] a = Random(m * k, 7), b = Random(k * n, 8);
        float[] c1 = new float[m * n], c2 = new float[m * n], c3 = new float[m * n];
        Gemm.MatMul(a, b, c1, m, k, n, maxThreads: 1);
        Gemm.MatMul(a, b, c2, m, k, n, maxThreads: -1);
        Gemm.MatMul(a, b, c3, m, k, n, maxThreads: 3);
        Assert.Equal(c1, c2);
        Assert.Equal(c1, c3);
    }

    [Fact]
    public void Undersized_buffers_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => Gemm.MatMul(new float[5], new float[6], new float[4], 2, 3, 2));
        Assert.Throws<ArgumentException>(() => Gemm.MatMul(new float[6], new float[6], new float[3], 2, 3, 2));
    }
}
