namespace ImageSearch.Reliability;

/// <summary>
/// What the stress writers have acknowledged, key by key, as stamps of one global clock: when the add began, when it
/// returned, when the remove began and when it returned (0 = not yet). Keys are never reused, so a reader that reads the
/// clock before a search knows what the search must and must not return.
/// </summary>
internal sealed class KeyLedger
{
    private const int ChunkBits = 16;
    private readonly int[][] _chunks = new int[1 << 14][]; // up to 2^30 keys
    private readonly Lock _grow = new();
    private long _clock;
    private long _nextKey;

    public enum Stamp { AddBegan, Added, RemoveBegan, Removed }

    public long Now => Interlocked.Read(ref _clock);

    public long NewKey()
    {
        long key = Interlocked.Increment(ref _nextKey);
        int chunk = (int)(key >> ChunkBits);
        if (Volatile.Read(ref _chunks[chunk]) is null)
        {
            lock (_grow)
            {
                _chunks[chunk] ??= new int[4 << ChunkBits];
            }
        }

        return key;
    }

    public long MaxKey => Interlocked.Read(ref _nextKey);

    public void Mark(long key, Stamp stamp) => Volatile.Write(ref Slot(key, stamp), (int)Interlocked.Increment(ref _clock));

    public int Get(long key, Stamp stamp) => key <= 0 || key > MaxKey ? 0 : Volatile.Read(ref Slot(key, stamp));

    /// <summary>Added (the add returned) at or before <paramref name="time"/> and no remove began by <paramref name="end"/>.</summary>
    public bool MustBeFound(long key, long time, long end)
    {
        int added = Get(key, Stamp.Added), removing = Get(key, Stamp.RemoveBegan);
        return added != 0 && added <= time && (removing == 0 || removing > end);
    }

    /// <summary>The remove returned before <paramref name="time"/>, or the add had not even begun by <paramref name="end"/>.</summary>
    public bool MustNotBeFound(long key, long time, long end)
    {
        int removed = Get(key, Stamp.Removed), began = Get(key, Stamp.AddBegan);
        return (removed != 0 && removed <= time) || began == 0 || began > end;
    }

    private ref int Slot(long key, Stamp stamp) => ref _chunks[key >> ChunkBits][(((int)key & ((1 << ChunkBits) - 1)) * 4) + (int)stamp];
}
