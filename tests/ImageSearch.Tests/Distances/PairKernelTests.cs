namespace ImageSearch.Tests.Distances;

/// <summary>Dot, squared L2 and cosine on every path for every length 0..1100, against double-precision references.</summary>
public class PairKernelTests
{
    private const int MaxLength = 1100;

    public static TheoryData<KernelPath> Paths => Kernels.Supported;

    [Theory]
    [MemberData(nameof(Paths))]
    public void DotMatchesReferenceForEveryLength(KernelPath path)
    {
        ForEveryLength<float>(path, Reference.RandomFloats, (x, y, context) =>
        {
            var (expected, scale) = Reference.Dot<float>(x, y);
            Reference.AssertClose(expected, scale, Kernels.Dot<float>(path, x, y), context);
        });
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void DotWithHalfMatchesReferenceForEveryLength(KernelPath path)
    {
        ForEveryLength<Half>(path, Reference.RandomHalves, (x, y, context) =>
        {
            var (expected, scale) = Reference.Dot<Half>(x, y);
            Reference.AssertClose(expected, scale, Kernels.Dot<Half>(path, x, y), context);
        });
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void SquaredL2MatchesReferenceForEveryLength(KernelPath path)
    {
        ForEveryLength<float>(path, Reference.RandomFloats, (x, y, context) =>
        {
            double expected = Reference.SquaredL2<float>(x, y);
            Reference.AssertClose(expected, expected, Kernels.SquaredL2<float>(path, x, y), context);
        });
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void SquaredL2WithHalfMatchesReferenceForEveryLength(KernelPath path)
    {
        ForEveryLength<Half>(path, Reference.RandomHalves, (x, y, context) =>
        {
            double expected = Reference.SquaredL2<Half>(x, y);
            Reference.AssertClose(expected, expected, Kernels.SquaredL2<Half>(path, x, y), context);
        });
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void CosineMatchesReferenceForEveryLength(KernelPath path) => CheckCosine<float>(path, Reference.RandomFloats);

    [Theory]
    [MemberData(nameof(Paths))]
    public void CosineWithHalfMatchesReferenceForEveryLength(KernelPath path) => CheckCosine<Half>(path, Reference.RandomHalves);

    [Theory]
    [MemberData(nameof(Paths))]
    public void CosineOfZeroOrEmptyVectorIsNaN(KernelPath path)
    {
        float[] zero = new float[37];
        float[] other = Reference.RandomFloats(new Random(42), 37);
        Assert.True(float.IsNaN(Kernels.Cosine<float>(path, zero, other)));
        Assert.True(float.IsNaN(Kernels.Cosine<float>(path, other, zero)));
        Assert.True(float.IsNaN(Kernels.Cosine<float>(path, ReadOnlySpan<float>.Empty, ReadOnlySpan<float>.Empty)));
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void CosineOfLargeVectorsDoesNotOverflowTheNormProduct(KernelPath path)
    {
        // |x|^2 and |y|^2 fit in f32 (about 1e37 each) but their product does not: it is taken in double.
        float[] x = new float[40];
        Array.Fill(x, 1e18f);
        float[] y = (float[])x.Clone();
        Assert.Equal(1.0, Kernels.Cosine<float>(path, x, y), 1e-6);
    }

    private static void CheckCosine<T>(KernelPath path, Func<Random, int, T[]> makeY)
        where T : unmanaged
    {
        ForEveryLength(path, makeY, (x, y, context) =>
        {
            if (x.Length == 0)
            {
                return;
            }

            var (dot, scale) = Reference.Dot(x, y);
            double xx = Reference.Dot<float>(x, x).Value, yy = 0;
            foreach (T v in y)
            {
                yy += Reference.Value(v) * Reference.Value(v);
            }

            double norms = Math.Sqrt(xx * yy);
            Reference.AssertClose(dot / norms, (scale / norms) + 1e-6, Kernels.Cosine(path, x, y), context);
        });
    }

    private delegate void Check<T>(ReadOnlySpan<float> x, ReadOnlySpan<T> y, string context);

    /// <summary>Fresh data for each length (seed 42); the start is shifted by 0-2 elements so vectors are often unaligned.</summary>
    private static void ForEveryLength<T>(KernelPath path, Func<Random, int, T[]> makeY, Check<T> check)
        where T : unmanaged
    {
        var random = new Random(42);
        for (int length = 0; length <= MaxLength; length++)
        {
            int offset = length % 3;
            float[] x = Reference.RandomFloats(random, length + offset);
            T[] y = makeY(random, length + offset);
            check(x.AsSpan(offset), y.AsSpan(offset), $"{path} length {length}");
        }
    }
}
