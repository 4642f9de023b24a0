using System.Collections.Concurrent;

namespace ImageSearch.Reliability;

/// <summary>
/// What a stress target found: a count of invariant violations and the first 20 messages. Also runs the target's worker
/// threads, each guarded so that an exception counts as a violation instead of ending the run.
/// </summary>
internal sealed class ViolationLog
{
    private const int KeptMessages = 20;
    private readonly ConcurrentQueue<string> _messages = new();
    private long _count;

    /// <summary>Violations so far.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>The first violations' messages.</summary>
    public IEnumerable<string> Messages => _messages;

    /// <summary>Counts one violation.</summary>
    /// <param name="message">What was wrong.</param>
    public void Report(string message)
    {
        if (Interlocked.Increment(ref _count) <= KeptMessages)
        {
            _messages.Enqueue(message);
        }
    }

    /// <summary>Runs <paramref name="count"/> threads, <paramref name="body"/> with each thread's number, and waits for all.</summary>
    /// <param name="count">Threads.</param>
    /// <param name="body">One thread's work, given its number (0-based).</param>
    public void RunThreads(int count, Action<int> body)
    {
        var all = new List<Thread>(count);
        for (int t = 0; t < count; t++)
        {
            int id = t;
            var thread = new Thread(() =>
            {
                try
                {
                    body(id);
                }
                catch (Exception e)
                {
                    Report($"exception: {e}");
                }
            }) { IsBackground = true };
            all.Add(thread);
            thread.Start();
        }

        foreach (var t in all)
        {
            t.Join();
        }
    }
}
