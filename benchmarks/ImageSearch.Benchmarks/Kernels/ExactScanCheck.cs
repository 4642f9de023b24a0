using System.Diagnostics;
using System.Numerics.Tensors;
using ImageSearch.Distances;

namespace ImageSearch.Benchmarks.Kernels;

/// <summary>
/// Quick throughput check of the exact-search kernels at GloVe-100 scale (331,479 x 100 f32 rows, random data):
/// DotScan queries per second on one thread (f32 and f16 rows) next to a pure streaming read of the same memory,
/// and DotMatrix queries per second for 1,000 queries on 1 and 2 threads (rows split across threads, blocks of
/// 256 queries x 4,096 rows, scores only; no top-k).
/// Usage: <c>dotnet run -c Release --project benchmarks/ImageSearch.Benchmarks -- exact-check [rounds]</c>.
/// </summary>
internal static class ExactScanCheck
{
    private const int RowCount = 331_479;
    private const int Dimension = 100;
    private const int QueryBlock = 256;
    private const int RowBlock = 4096;

    public static int Run(string[] args)
    {
        int rounds = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 5;
        Console.WriteLine($"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} logical CPUs, SIMD width {DistanceKernels.VectorWidthBits} bits");
        float[] rows = BenchmarkData.Floats(RowCount * Dimension, 2);
        Half[] halfRows = Array.ConvertAll(rows, v => (Half)v);
        float[] query = BenchmarkData.Floats(Dimension, 1);
        float[] scores = new float[RowCount];
        const int perRound = 30;
        double bytes = (double)rows.Length * sizeof(float);

        Report("stream read (TensorPrimitives.Sum)", rounds, perRound, () => TensorPrimitives.Sum(rows), bytes);
        Report("DotScan f32, 1 thread", rounds, perRound, () => DistanceKernels.DotScan(query, rows, scores), bytes);
        Report("DotScan f16, 1 thread", rounds, perRound, () => DistanceKernels.DotScan(query, halfRows, scores), bytes / 2);

        float[] queries = BenchmarkData.Floats(1000 * Dimension, 3);
        foreach (int threads in new[] { 1, 2 })
        {
            double best = 0;
            for (int round = 0; round < Math.Max(2, rounds / 2); round++)
            {
                var watch = Stopwatch.StartNew();
                Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
                {
                    int first = (int)((long)RowCount * t / threads), last = (int)((long)RowCount * (t + 1) / threads);
                    MatrixPass(queries, rows, first, last);
                });
                best = Math.Max(best, 1000 / watch.Elapsed.TotalSeconds);
            }

            Console.WriteLine($"{$"DotMatrix 1,000 queries, {threads} thread(s)",-40} best {best,8:F1} q/s   ({2.0 * best * RowCount * Dimension / 1e9:F1} GFLOP/s)");
        }

        return 0;
    }

    private static void MatrixPass(float[] queries, float[] rows, int firstRow, int endRow)
    {
        float[] block = new float[QueryBlock * RowBlock];
        int queryCount = queries.Length / Dimension;
        for (int r0 = firstRow; r0 < endRow; r0 += RowBlock)
        {
            int rc = Math.Min(RowBlock, endRow - r0);
            for (int q0 = 0; q0 < queryCount; q0 += QueryBlock)
            {
                int qc = Math.Min(QueryBlock, queryCount - q0);
                DistanceKernels.DotMatrix(
                    queries.AsSpan(q0 * Dimension, qc * Dimension), rows.AsSpan(r0 * Dimension, rc * Dimension), Dimension, block.AsSpan(0, qc * rc));
            }
        }
    }

    private static void Report(string name, int rounds, int perRound, Action action, double bytesPerCall)
    {
        for (int i = 0; i < 3; i++)
        {
            action();
        }

        var rates = new List<double>();
        for (int round = 0; round < rounds; round++)
        {
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < perRound; i++)
            {
                action();
            }

            rates.Add(perRound / watch.Elapsed.TotalSeconds);
        }

        rates.Sort();
        double best = rates[^1], median = rates[rates.Count / 2];
        Console.WriteLine($"{name,-40} best {best,8:F1} q/s   median {median,8:F1} q/s   ({bytesPerCall * best / 1e9:F1} GB/s at best)");
    }
}
