using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace ImageSearch.Benchmarks.Kernels;

/// <summary>
/// One query against 10,000 contiguous rows (the exact-search and HNSW inner loop): a naive loop, TensorPrimitives.Dot
/// per row, and the ImageSearch scans (f32 and f16 rows).
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
public class ScanBenchmarks
{
    private const int Rows = 10_000;
    private float[] _query = [];
    private float[] _rows = [];
    private Half[] _halfRows = [];
    private float[] _scores = [];

    [Params(100, 512)]
    public int Dimension { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _query = BenchmarkData.Floats(Dimension, 1);
        _rows = BenchmarkData.Floats(Rows * Dimension, 2);
        _halfRows = Array.ConvertAll(_rows, v => (Half)v);
        _scores = new float[Rows];
    }

    [BenchmarkCategory("dot"), Benchmark(Baseline = true)]
    public void NaiveDot()
    {
        float[] q = _query, rows = _rows, scores = _scores;
        int d = q.Length;
        for (int r = 0; r < scores.Length; r++)
        {
            float sum = 0;
            int offset = r * d;
            for (int j = 0; j < d; j++)
            {
                sum += q[j] * rows[offset + j];
            }

            scores[r] = sum;
        }
    }

    [BenchmarkCategory("dot"), Benchmark]
    public void TensorPrimitivesDotPerRow()
    {
        int d = _query.Length;
        for (int r = 0; r < _scores.Length; r++)
        {
            _scores[r] = TensorPrimitives.Dot(_query, _rows.AsSpan(r * d, d));
        }
    }

    [BenchmarkCategory("dot"), Benchmark]
    public void DotScan() => DistanceKernels.DotScan(_query, _rows, _scores);

    [BenchmarkCategory("dot"), Benchmark]
    public void DotScanF16() => DistanceKernels.DotScan(_query, _halfRows, _scores);

    [BenchmarkCategory("l2"), Benchmark(Baseline = true)]
    public void TensorPrimitivesDistancePerRow()
    {
        int d = _query.Length;
        for (int r = 0; r < _scores.Length; r++)
        {
            float distance = TensorPrimitives.Distance(_query, _rows.AsSpan(r * d, d));
            _scores[r] = distance * distance;
        }
    }

    [BenchmarkCategory("l2"), Benchmark]
    public void SquaredL2Scan() => DistanceKernels.SquaredL2Scan(_query, _rows, _scores);

    [BenchmarkCategory("l2"), Benchmark]
    public void SquaredL2ScanF16() => DistanceKernels.SquaredL2Scan(_query, _halfRows, _scores);
}
