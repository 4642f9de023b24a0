using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace ImageSearch.Benchmarks.Kernels;

/// <summary>
/// A short job (in-process, 2 warm-ups, 5 iterations of ~150 ms) so the whole kernel suite runs in a few minutes on a
/// shared machine. Good enough to rank implementations; use BenchmarkDotNet's default job for publishable numbers.
/// </summary>
public sealed class KernelBenchmarkConfig : ManualConfig
{
    public KernelBenchmarkConfig()
    {
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1)
            .WithWarmupCount(2)
            .WithIterationCount(5)
            .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(150))
            .WithId("Short"));
        AddColumnProvider(DefaultColumnProviders.Instance);
        AddLogger(BenchmarkDotNet.Loggers.ConsoleLogger.Default);
        AddExporter(BenchmarkDotNet.Exporters.MarkdownExporter.GitHub);
        WithSummaryStyle(SummaryStyle.Default.WithRatioStyle(RatioStyle.Trend));
        WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared));
        WithOptions(ConfigOptions.DisableLogFile);
        HideColumns(Column.Error, Column.StdDev, Column.RatioSD, Column.Job, Column.Toolchain, Column.IterationCount, Column.LaunchCount, Column.WarmupCount, Column.IterationTime);
    }
}
