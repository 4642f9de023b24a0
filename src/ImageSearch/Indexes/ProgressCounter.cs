namespace ImageSearch;

/// <summary>
/// Reports <see cref="IndexProgress"/> about every hundredth of the work, from whichever thread crosses the step, and
/// once more at the end. Thread-safe.
/// </summary>
internal sealed class ProgressCounter
{
    private readonly IProgress<IndexProgress> _progress;
    private readonly long _total;
    private readonly long _step;
    private long _done;
    private long _next;

    private ProgressCounter(IProgress<IndexProgress> progress, long total)
    {
        _progress = progress;
        _total = total;
        _step = Math.Max(1, total / 100);
        _next = _step;
    }

    /// <summary>A counter, or <see langword="null"/> when nobody listens (callers use <c>counter?.Add(1)</c>).</summary>
    public static ProgressCounter? Create(IProgress<IndexProgress>? progress, long total)
        => progress is null ? null : new ProgressCounter(progress, total);

    /// <summary>Counts finished items; reports when a step is crossed (the final count is left to <see cref="Complete"/>).</summary>
    public void Add(long items)
    {
        long done = Interlocked.Add(ref _done, items);
        long next = Volatile.Read(ref _next);
        if (done >= next && done < _total && Interlocked.CompareExchange(ref _next, done + _step, next) == next)
        {
            _progress.Report(new IndexProgress(done, _total));
        }
    }

    /// <summary>Reports that everything is done.</summary>
    public void Complete() => _progress.Report(new IndexProgress(_total, _total));
}
