using System.Diagnostics;

namespace ImageSearch.Reliability;

/// <summary>
/// Syncs while searching: one thread adds and deletes photo files (random bytes, embedded by <see cref="FakeEmbedder"/>),
/// syncs and now and then saves; reader threads search by a copy of a photo. Checks: no exception, ranks 1..n, distances
/// sorted, no duplicate photo, no photo whose removal a sync acknowledged before the search began, and the photo itself
/// found when a sync acknowledged it before the search and its file was not deleted meanwhile.
/// </summary>
internal sealed class EngineStress(int threads, TimeSpan duration, int seed, string work)
{
    private readonly KeyLedger _ledger = new();
    private readonly List<long> _live = [];
    private readonly Lock _liveLock = new();
    private readonly ViolationLog _log = new();
    private long _syncs, _added, _deleted, _searches, _saves;

    public IReadOnlyList<(string Operation, long Count)> Counts =>
    [
        ("sync", _syncs), ("photo added", _added), ("photo deleted", _deleted), ("search", Interlocked.Read(ref _searches)), ("save", _saves),
    ];

    public long Violations => _log.Count;

    public IEnumerable<string> Messages => _log.Messages;

    private string Photos => Path.Combine(work, "engine-photos");

    private string PathOf(long key) => Path.Combine(Photos, $"f{key}.jpg");

    private static byte[] BytesOf(long key) => BitConverter.GetBytes((ulong)key * 0x9E3779B97F4A7C15UL);

    public TimeSpan Run()
    {
        Directory.CreateDirectory(Photos);
        using var engine = ImageSearchEngine.Create(new FakeEmbedder(), FakeEmbedder.ModelId);
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource(duration);
        _log.RunThreads(Math.Max(2, threads), id => { if (id == 0) Syncer(engine, stop.Token); else Reader(engine, id, stop.Token); });

        return clock.Elapsed;
    }



    private void Syncer(ImageSearchEngine engine, CancellationToken stop)
    {
        var rng = new Random(seed);
        while (!stop.IsCancellationRequested)
        {
            var added = new List<long>();
            for (int i = rng.Next(1, 4); i > 0; i--)
            {
                long key = _ledger.NewKey();
                _ledger.Mark(key, KeyLedger.Stamp.AddBegan);
                File.WriteAllBytes(PathOf(key), BytesOf(key));
                added.Add(key);
            }

            var deleted = new List<long>();
            lock (_liveLock)
            {
                for (int i = _live.Count > 40 ? rng.Next(1, 6) : 0; i > 0; i--)
                {
                    int at = rng.Next(_live.Count);
                    deleted.Add(_live[at]);
                    _live[at] = _live[^1];
                    _live.RemoveAt(_live.Count - 1);
                }
            }

            foreach (long key in deleted)
            {
                _ledger.Mark(key, KeyLedger.Stamp.RemoveBegan);
                File.Delete(PathOf(key));
            }

            var report = engine.SyncFolderAsync(Photos).GetAwaiter().GetResult();
            if (report.Failures.Count > 0) _log.Report($"sync failures: {report.Failures[0].Message}");
            foreach (long key in added) _ledger.Mark(key, KeyLedger.Stamp.Added);
            foreach (long key in deleted) _ledger.Mark(key, KeyLedger.Stamp.Removed);
            lock (_liveLock)
            {
                _live.AddRange(added);
            }

            _syncs++;
            _added += added.Count;
            _deleted += deleted.Count;
            if (rng.Next(50) == 0)
            {
                engine.SaveAsync(Path.Combine(work, "engine-store")).GetAwaiter().GetResult();
                _saves++;
            }
        }
    }

    private void Reader(ImageSearchEngine engine, int id, CancellationToken stop)
    {
        var rng = new Random(HashCode.Combine(seed, id));
        string queryFile = Path.Combine(work, $"query-{id}.jpg"); // outside the photo folder, so the photo itself may be returned
        while (!stop.IsCancellationRequested)
        {
            long query;
            lock (_liveLock)
            {
                if (_live.Count == 0) { continue; }
                query = _live[rng.Next(_live.Count)];
            }

            File.WriteAllBytes(queryFile, BytesOf(query));
            long time = _ledger.Now;
            var hits = engine.SimilarAsync(ImageInput.FromFile(queryFile), 5).GetAwaiter().GetResult();
            long end = _ledger.Now;
            var seen = new HashSet<long>();
            for (int i = 0; i < hits.Count; i++)
            {
                var h = hits[i];
                long key = long.Parse(Path.GetFileNameWithoutExtension(h.Payload.Path)[1..], System.Globalization.CultureInfo.InvariantCulture);
                if (!seen.Add(key)) _log.Report($"photo {key} twice in one result");
                if (h.Rank != i + 1) _log.Report($"rank {h.Rank} at position {i + 1}");
                if (i > 0 && hits[i - 1].Distance > h.Distance) _log.Report("hits not sorted by distance");
                if (_ledger.MustNotBeFound(key, time, end)) _log.Report($"photo {key} returned, removed by a sync before the search or never added");
            }

            if (_ledger.MustBeFound(query, time, end) && !seen.Contains(query)) _log.Report($"synced photo {query} not found by its own bytes");
            Interlocked.Increment(ref _searches);
        }
    }
}
