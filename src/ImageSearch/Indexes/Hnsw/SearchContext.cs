using System.Runtime.CompilerServices;

namespace ImageSearch;

/// <summary>A (distance, slot) pair in the search heaps.</summary>
internal struct Candidate
{
    public float Distance;
    public int Slot;

    public Candidate(float distance, int slot)
    {
        Distance = distance;
        Slot = slot;
    }
}

/// <summary>
/// Per-thread scratch of a graph search: a generation-stamped visited set (no clearing per query), the sorted nearest
/// list, the candidate min-heap, the result max-heap and buffers, all grown on demand and reused, so a search
/// allocates nothing in steady state. One context serves one search at a time; <see cref="Rent"/> hands out a fresh one when a search re-enters
/// on the same thread (for example from a filter callback).
/// </summary>
internal sealed class SearchContext
{
    [ThreadStatic]
    private static SearchContext? t_cached;

    private byte _generation;

    /// <summary>Generation stamps, one byte per slot: half the cache footprint of ushort stamps (331 KB for GloVe-100), for a clear every 255 searches.</summary>
    public byte[] Visited = [];
    public Candidate[] Candidates = new Candidate[256];
    public int CandidateCount;
    public Candidate[] Results = new Candidate[256];

    /// <summary>The neighbours of the node being expanded that were not visited yet (at most 2M &lt;= 512).</summary>
    public int[] Fresh = new int[512];

    /// <summary>The distances of <see cref="Fresh"/>, in the same order.</summary>
    public float[] FreshDistances = new float[512];

    /// <summary>The sorted list of the search without tombstones or filter (ef entries).</summary>
    public Candidate[] Nearest = new Candidate[256];
    public int ResultCount;

    /// <summary>
    /// Whether <see cref="Results"/> is sorted farthest first (left by the sorted-list search); such an array is also a
    /// valid max-heap, so the heap members keep working on it.
    /// </summary>
    public bool ResultsDescending;

    /// <summary>Sorted results / neighbour selection input.</summary>
    public Candidate[] Sorted = new Candidate[256];

    /// <summary>Selected neighbours (slots).</summary>
    public int[] Selected = new int[256];

    /// <summary>An insertion's chosen neighbours, M per layer (layer l from l * M), kept until its back-links are made.</summary>
    public int[] Links = [];

    /// <summary>How many neighbours of <see cref="Links"/> each layer has.</summary>
    public int[] LinkCounts = new int[HnswGraph.MaxLevel + 1];

    /// <summary>The vector being searched for or inserted (prepared form).</summary>
    public float[] Query = [];

    /// <summary>Row scratch for distances between two stored Float16 rows.</summary>
    public float[] Row = [];

    /// <summary>The 8-bit traversal form of the query (<see cref="HnswGraph.PrepareTraversalQuery"/>).</summary>
    public float[] Traversal = [];

    public static SearchContext Rent()
    {
        SearchContext? c = t_cached;
        if (c is null)
        {
            return new SearchContext();
        }

        t_cached = null;
        return c;
    }

    public static void Return(SearchContext context) => t_cached = context;

    public byte Generation => _generation;

    /// <summary>Starts a traversal over slots below <paramref name="slots"/>: new generation, empty heaps.</summary>
    public void Begin(int slots)
    {
        if (Visited.Length < slots)
        {
            // Grow with headroom: a growing index would otherwise reallocate on every few queries.
            Visited = new byte[Math.Max(slots, Visited.Length + (Visited.Length >> 1))];
            _generation = 0;
        }

        if (++_generation == 0)
        {
            Array.Clear(Visited);
            _generation = 1;
        }

        CandidateCount = 0;
        ResultCount = 0;
        ResultsDescending = false;
    }

    /// <summary>Exact distances of a re-rank, one per result.</summary>
    public float[] Rerank = new float[256];

    /// <summary><see cref="Rerank"/> with room for <paramref name="n"/> distances.</summary>
    public Span<float> EnsureRerank(int n)
    {
        if (Rerank.Length < n)
        {
            Rerank = new float[Math.Max(n, Rerank.Length * 2)];
        }

        return Rerank.AsSpan(0, n);
    }

    /// <summary>The sorted list, with room for <paramref name="ef"/> entries.</summary>
    public Candidate[] EnsureNearest(int ef)
    {
        if (Nearest.Length < ef)
        {
            Nearest = new Candidate[Math.Max(ef, Nearest.Length * 2)];
        }

        return Nearest;
    }

    /// <summary>Makes <paramref name="ascending"/> the results, farthest first (expanded slots, stored as ~slot, restored).</summary>
    public void SetResultsFromAscending(ReadOnlySpan<Candidate> ascending)
    {
        if (Results.Length < ascending.Length)
        {
            Results = new Candidate[Math.Max(ascending.Length, Results.Length * 2)];
        }

        for (int i = 0, n = ascending.Length; i < n; i++)
        {
            Candidate c = ascending[n - 1 - i];
            Results[i] = new Candidate(c.Distance, c.Slot < 0 ? ~c.Slot : c.Slot);
        }

        ResultCount = ascending.Length;
        ResultsDescending = true;
    }

    public void EnsureDimension(int dimension)
    {
        if (Query.Length < dimension)
        {
            Query = new float[dimension];
            Row = new float[dimension];
            Traversal = new float[HnswGraph.TraversalQueryLength(dimension)];
        }
    }

    public void EnsureLinks(int n)
    {
        if (Links.Length < n)
        {
            Links = new int[Math.Max(n, 2 * Links.Length)];
        }
    }

    public void EnsureSelection(int n)
    {
        if (Sorted.Length < n)
        {
            Sorted = new Candidate[Math.Max(n, Sorted.Length * 2)];
        }

        if (Selected.Length < n)
        {
            Selected = new int[Math.Max(n, Selected.Length * 2)];
        }
    }

    // ------------------------------------------------------------------ candidate min-heap

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PushCandidate(float distance, int slot)
    {
        if (CandidateCount == Candidates.Length)
        {
            Array.Resize(ref Candidates, Candidates.Length * 2);
        }

        Candidate[] h = Candidates;
        int i = CandidateCount++;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (h[parent].Distance <= distance)
            {
                break;
            }

            h[i] = h[parent];
            i = parent;
        }

        h[i] = new Candidate(distance, slot);
    }

    /// <summary>Removes and returns the nearest candidate.</summary>
    public Candidate PopCandidate()
    {
        Candidate[] h = Candidates;
        Candidate top = h[0];
        int n = --CandidateCount;
        if (n > 0)
        {
            Candidate last = h[n];
            int i = 0;
            while (true)
            {
                int child = (2 * i) + 1;
                if (child >= n)
                {
                    break;
                }

                if (child + 1 < n && h[child + 1].Distance < h[child].Distance)
                {
                    child++;
                }

                if (h[child].Distance >= last.Distance)
                {
                    break;
                }

                h[i] = h[child];
                i = child;
            }

            h[i] = last;
        }

        return top;
    }

    // ------------------------------------------------------------------ result max-heap

    /// <summary>The farthest result (valid when <see cref="ResultCount"/> &gt; 0).</summary>
    public float WorstResult => Results[0].Distance;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PushResult(float distance, int slot)
    {
        if (ResultCount == Results.Length)
        {
            Array.Resize(ref Results, Results.Length * 2);
        }

        Candidate[] h = Results;
        int i = ResultCount++;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (h[parent].Distance >= distance)
            {
                break;
            }

            h[i] = h[parent];
            i = parent;
        }

        h[i] = new Candidate(distance, slot);
    }

    /// <summary>Removes and returns the farthest result.</summary>
    public Candidate PopResult()
    {
        Candidate[] h = Results;
        Candidate top = h[0];
        int n = --ResultCount;
        if (n > 0)
        {
            Candidate last = h[n];
            int i = 0;
            while (true)
            {
                int child = (2 * i) + 1;
                if (child >= n)
                {
                    break;
                }

                if (child + 1 < n && h[child + 1].Distance > h[child].Distance)
                {
                    child++;
                }

                if (h[child].Distance <= last.Distance)
                {
                    break;
                }

                h[i] = h[child];
                i = child;
            }

            h[i] = last;
        }

        return top;
    }

    /// <summary>Empties the results into <see cref="Sorted"/>, nearest first; returns the count.</summary>
    public int DrainResultsAscending()
    {
        int n = ResultCount;
        EnsureSelection(n);
        if (ResultsDescending)
        {
            for (int i = 0; i < n; i++)
            {
                Sorted[i] = Results[n - 1 - i];
            }

            ResultCount = 0;
            return n;
        }

        for (int i = n - 1; i >= 0; i--)
        {
            Sorted[i] = PopResult();
        }

        return n;
    }
}
