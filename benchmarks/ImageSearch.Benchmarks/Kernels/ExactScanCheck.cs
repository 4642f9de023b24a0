using System.Diagnostics;
using System.Numerics.Tensors;

namespace ImageSearch.Benchmarks.Kernels;

/// <summary>
/// Quick throughput check of the exact-search kernels at GloVe-100 scale (331,479 x 100 f32 rows, random data):
/// DotScan queries per second on one thread (f32 and f16 rows) next to a pure streaming read of the same memory,
/// and DotMatrix queries per second for 1,000 queries on 1 and 2 threads (rows split across threads, blocks of
/// 256 queries x 4,096 rows, scores only; no top-k).
/// On a shared machine wall-clock rates mostly measure the other processes, so each line also gives the rate per
/// CPU-second actually received (process CPU time divided by the threads used): what a dedicated core would do,
/// still including any memory-bandwidth and cache contention.
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
            double bestWall = 0, bestCpu = 0;
            for (int round = 0; round < Math.Max(2, rounds / 2); round++)
            {
                TimeSpan cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                var watch = Stopwatch.StartNew();
                Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
                {
                    int first = (int)((long)RowCount * t / threads), last = (int)((long)RowCount * (t + 1) / threads);
                    MatrixPass(queries, rows, first, last);
                });
                double wall = watch.Elapsed.TotalSeconds;
                double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds / threads;
                bestWall = Math.Max(bestWall, 1000 / wall);
                bestCpu = Math.Max(bestCpu, 1000 / cpu);
            }

            Console.WriteLine(
                $"{$"DotMatrix 1,000 queries, {threads} thread(s)",-40} wall best {bestWall,8:F1} q/s   per CPU-second {bestCpu,8:F1} q/s   " +
                $"({2.0 * bestCpu * RowCount * Dimension / 1e9:F1} GFLOP/s per CPU-second)");
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

        var wallRates = new List<double>();
        var cpuRates = new List<double>();
        for (int round = 0; round < rounds; round++)
        {
            TimeSpan cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < perRound; i++)
            {
                action();
            }

            wallRates.Add(perRound / watch.Elapsed.TotalSeconds);
            cpuRates.Add(perRound / (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds);
        }

        wallRates.Sort();
        cpuRates.Sort();
        Console.WriteLine(
            $"{name,-40} wall best {wallRates[^1],8:F1} q/s   per CPU-second best {cpuRates[^1],8:F1} median {cpuRates[cpuRates.Count / 2],8:F1} q/s   " +
            $"({bytesPerCall * cpuRates[^1] / 1e9:F1} GB/s)");
    }
}
