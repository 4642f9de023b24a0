using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace ImageSearch.Benchmarks.Kernels;

/// <summary>
/// A block of 256 queries against 4,096 rows (one block of a batch exact search): TensorPrimitives.Dot per pair,
/// one DotScan per query, and the GEMM-like DotMatrix / SquaredL2Matrix.
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
public class MatrixBenchmarks
{
    private const int Queries = 256;
    private const int Rows = 4096;
    private float[] _queries = [];
    private float[] _rows = [];
    private float[] _scores = [];

    [Params(100, 512)]
    public int Dimension { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _queries = BenchmarkData.Floats(Queries * Dimension, 1);
        _rows = BenchmarkData.Floats(Rows * Dimension, 2);
        _scores = new float[Queries * Rows];
    }

    [BenchmarkCategory("dot"), Benchmark(Baseline = true)]
    public void TensorPrimitivesDotPerPair()
    {
        int d = Dimension;
        for (int q = 0; q < Queries; q++)
        {
            ReadOnlySpan<float> query = _queries.AsSpan(q * d, d);
            for (int r = 0; r < Rows; r++)
            {
                _scores[(q * Rows) + r] = TensorPrimitives.Dot(query, _rows.AsSpan(r * d, d));
            }
        }
    }

    [BenchmarkCategory("dot"), Benchmark]
    public void DotScanPerQuery()
    {
        int d = Dimension;
        for (int q = 0; q < Queries; q++)
        {
            DistanceKernels.DotScan(_queries.AsSpan(q * d, d), _rows, _scores.AsSpan(q * Rows, Rows));
        }
    }

    [BenchmarkCategory("dot"), Benchmark]
    public void DotMatrix() => DistanceKernels.DotMatrix(_queries, _rows, Dimension, _scores);

    [BenchmarkCategory("l2"), Benchmark(Baseline = true)]
    public void SquaredL2ScanPerQuery()
    {
        int d = Dimension;
        for (int q = 0; q < Queries; q++)
        {
            DistanceKernels.SquaredL2Scan(_queries.AsSpan(q * d, d), _rows, _scores.AsSpan(q * Rows, Rows));
        }
    }

    [BenchmarkCategory("l2"), Benchmark]
    public void SquaredL2Matrix() => DistanceKernels.SquaredL2Matrix(_queries, _rows, Dimension, _scores);
}
