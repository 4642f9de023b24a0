using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace ImageSearch.Benchmarks.Kernels;

/// <summary>Dot product: ImageSearch vs TensorPrimitives vs a naive loop, f32 and f16 (f16 for TensorPrimitives = ConvertToSingle + f32 kernel).</summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
public class DotBenchmarks
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
            sum += x[i] * y[i];
        }

        return sum;
    }

    [BenchmarkCategory("f32"), Benchmark]
    public float TensorPrimitives32() => TensorPrimitives.Dot(_x, _y);

    [BenchmarkCategory("f32"), Benchmark]
    public float ImageSearch32() => DistanceKernels.Dot(_x, _y);

    [BenchmarkCategory("f16"), Benchmark(Baseline = true)]
    public float NaiveF16()
    {
        float[] x = _x;
        Half[] y = _h;
        float sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sum += x[i] * (float)y[i];
        }

        return sum;
    }

    [BenchmarkCategory("f16"), Benchmark]
    public float TensorPrimitivesF16()
    {
        TensorPrimitives.ConvertToSingle(_h, _scratch);
        return TensorPrimitives.Dot(_x, _scratch);
    }

    [BenchmarkCategory("f16"), Benchmark]
    public float ImageSearchF16() => DistanceKernels.Dot(_x, _h);
}
