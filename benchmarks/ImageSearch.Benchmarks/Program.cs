using BenchmarkDotNet.Running;
using ImageSearch.Benchmarks.Kernels;

namespace ImageSearch.Benchmarks;

/// <summary>
/// Entry point. <c>exact-check</c> runs the quick exact-search throughput check (no BenchmarkDotNet); anything else
/// goes to BenchmarkDotNet's switcher, e.g. <c>--filter *Kernels*</c> or <c>--list flat</c>.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "exact-check")
        {
            return ExactScanCheck.Run(args.AsSpan(1).ToArray());
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, new KernelBenchmarkConfig());
        return 0;
    }
}
