using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace ImageSearch.Benchmarks.Kernels;

/// <summary>Squared L2 (TensorPrimitives has only Distance, squared here): ImageSearch vs TensorPrimitives vs a naive loop, f32 and f16 (f16 for TensorPrimitives = ConvertToSingle + f32 kernel).</summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
public class SquaredL2Benchmarks
{
    private float[] _x = [];
    private float[] _y = [];
    private Half[] _h = [];
    private float[] _scratch = [];

    [Params(100, 300, 512, 1280, 4096)]
    public int Dimension { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _x = BenchmarkData.Floats(Dimension, 1);
        _y = BenchmarkData.Floats(Dimension, 2);
        _h = BenchmarkData.Halves(Dimension, 3);
        _scratch = new float[Dimension];
    }

    [BenchmarkCategory("f32"), Benchmark(Baseline = true)]
    public float Naive()
    {
        float[] x = _x, y = _y;
        float sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            float d = x[i] - y[i];
            sum += d * d;
        }

        return sum;
    }

    [BenchmarkCategory("f32"), Benchmark]
    public float TensorPrimitives32() => Square(TensorPrimitives.Distance(_x, _y));

    [BenchmarkCategory("f32"), Benchmark]
    public float ImageSearch32() => DistanceKernels.SquaredL2(_x, _y);

    [BenchmarkCategory("f16"), Benchmark(Baseline = true)]
    public float NaiveF16()
    {
        float[] x = _x;
        Half[] y = _h;
        float sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            float d = x[i] - (float)y[i];
            sum += d * d;
        }

        return sum;
    }

    [BenchmarkCategory("f16"), Benchmark]
    public float TensorPrimitivesF16()
    {
        TensorPrimitives.ConvertToSingle(_h, _scratch);
        return Square(TensorPrimitives.Distance(_x, _scratch));
    }

    [BenchmarkCategory("f16"), Benchmark]
    public float ImageSearchF16() => DistanceKernels.SquaredL2(_x, _h);

    private static float Square(float value) => value * value;
}
