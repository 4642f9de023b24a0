using System.Runtime.CompilerServices;

namespace ImageSearch;

/// <summary>Layer searches: the greedy descent of the upper layers and the best-first search of one layer.</summary>
/// <remarks>
/// Both search loops expand a node the same way (<see cref="ExpandNode"/>): its neighbours not seen yet are marked,
/// then all their distances are computed in one pass with no data-dependent branch between them, so that the CPU
/// overlaps their loads and arithmetic; only then do the loops decide what to keep. Deciding after each distance made
/// every mispredicted keep-or-drop branch stall the next distance's loads. A node that becomes a candidate has its
/// layer-0 list prefetched at once, so that the list is in cache when the node is expanded, often many steps later
/// (prefetching only the next node's list, just before it was read, left that read to wait; docs/hnsw.md, "Search speed").
/// </remarks>
internal sealed partial class HnswGraph
{
    /// <summary>Greedy descent on one upper layer (ef = 1).</summary>
    public void GreedyClosest(ReadOnlySpan<float> q, int layer, ref int cur, ref float curDist)
    {
        LinkPage[] pages = Volatile.Read(ref _linkPages);
        int limit = Math.Min(Capacity, pages.Length << LinkPageShift);
        bool changed = true;
        while (changed)
        {
            changed = false;
            ref int list = ref SearchList(pages, cur, layer);
            if (Unsafe.IsNullRef(ref list))
            {
                return;
            }

            int count = ReadCount(ref list, M);
            for (int i = 1; i <= count; i++)
            {
                int n = Unsafe.Add(ref list, i);
                if ((uint)n >= (uint)limit)
                {
                    continue;
                }

                float d = Distance(q, n);
                if (d < curDist)
                {
                    curDist = d;
                    cur = n;
                    changed = true;
                }
            }
        }
    }

    /// <summary>
    /// Best-first search of one layer from <paramref name="entry"/> with a candidate list of <paramref name="ef"/>
    /// (the paper's algorithm 2). Results stay in the context's result list (at most ef; see
    /// <see cref="SearchContext.DrainResultsAscending"/>). Tombstones and nodes the filter rejects are traversed but
    /// never become results; the search then keeps going until it has ef results, or until it has computed
    /// <paramref name="distanceBudget"/> distances, in which case it returns false.
    /// </summary>
    public bool SearchLayer(ReadOnlySpan<float> q, int entry, float entryDistance, int ef, int layer, Func<long, bool>? filter,
        SearchContext context, int distanceBudget, bool forConstruction)
    {
        LinkPage[] pages = Volatile.Read(ref _linkPages);
        int limit = Math.Min(Capacity, pages.Length << LinkPageShift);
        context.Begin(limit);
        context.Visited[entry] = context.Generation;

        // Without tombstones or a filter every node seen is a result, so one sorted list of ef serves as both candidates
        // and results; with them, candidates and (eligible) results are kept apart until ef results are found. An
        // insertion ignores the filter but not the tombstones: it must not link to removed nodes.
        if (forConstruction)
        {
            filter = null;
        }

        if (filter is null && Volatile.Read(ref Tombstones) == 0)
        {
            SearchNearest(q, entry, entryDistance, ef, layer, context, pages, limit);
            return true;
        }

        return SearchEligible(q, entry, entryDistance, ef, layer, filter, context, distanceBudget, pages, limit);
    }

    /// <summary>
    /// The search when every node may be a result: the ef nearest nodes seen so far in one list sorted by distance,
    /// expanded nearest first (as the textbook's two heaps: a candidate farther than the ef-th result would stop the
    /// search there, and such a candidate is simply not in the list). Leaves the list in the context's results,
    /// farthest first.
    /// </summary>
    private void SearchNearest(ReadOnlySpan<float> q, int entry, float entryDistance, int ef, int layer, SearchContext context,
        LinkPage[] pages, int limit)
    {
        Candidate[] list = context.EnsureNearest(ef);
        int[] fresh = context.Fresh;
        float[] distances = context.FreshDistances;
        list[0] = new Candidate(entryDistance, entry);
        int size = 1, next = 0; // next: the nearest node not expanded yet (expanded nodes hold ~slot)
        while (next < size)
        {
            int slot = list[next].Slot;
            list[next].Slot = ~slot;
            int nearestNew = next + 1;
            int found = ExpandNode(q, pages, slot, layer, limit, context);
            for (int j = 0; j < found; j++)
            {
                float d = distances[j];
                if (size == ef && d >= list[size - 1].Distance)
                {
                    continue;
                }

                int at = InsertionPoint(list, size, d);
                int moved = (size == ef ? size - 1 : size) - at;
                if (moved > 0)
                {
                    Array.Copy(list, at, list, at + 1, moved);
                }

                list[at] = new Candidate(d, fresh[j]);
                if (layer == 0)
                {
                    PrefetchLinks(pages, fresh[j]); // a node that enters the list is likely to be expanded soon
                }
                size = Math.Min(size + 1, ef);
                nearestNew = Math.Min(nearestNew, at);
            }

            next = nearestNew;
            while (next < size && list[next].Slot < 0)
            {
                next++;
            }

            if (layer == 0 && next < size)
            {
                PrefetchLinks(pages, list[next].Slot);
            }
        }

        context.SetResultsFromAscending(list.AsSpan(0, size));
    }

    /// <summary>The first position in <paramref name="list"/>[0..size) whose distance exceeds <paramref name="d"/> (ties keep arrival order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int InsertionPoint(Candidate[] list, int size, float d)
    {
        int lo = 0, hi = size;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (list[mid].Distance <= d)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>The search with a filter or tombstones: a candidate heap and a heap of eligible results.</summary>
    private bool SearchEligible(ReadOnlySpan<float> q, int entry, float entryDistance, int ef, int layer, Func<long, bool>? filter,
        SearchContext context, int distanceBudget, LinkPage[] pages, int limit)
    {
        context.PushCandidate(entryDistance, entry);
        if (IsEligible(entry, filter))
        {
            context.PushResult(entryDistance, entry);
        }

        int[] fresh = context.Fresh;
        float[] distances = context.FreshDistances;
        float bound = context.ResultCount > 0 ? context.WorstResult : float.PositiveInfinity;
        int computed = 0;
        while (context.CandidateCount > 0)
        {
            Candidate c = context.Candidates[0];
            if (c.Distance > bound && context.ResultCount >= ef)
            {
                break;
            }

            context.PopCandidate();
            int found = ExpandNode(q, pages, c.Slot, layer, limit, context);
            computed += found;
            for (int j = 0; j < found; j++)
            {
                float d = distances[j];
                if (context.ResultCount < ef || d < bound)
                {
                    int n = fresh[j];
                    context.PushCandidate(d, n);
                    if (layer == 0)
                    {
                        PrefetchLinks(pages, n);
                    }
                    if (IsEligible(n, filter))
                    {
                        context.PushResult(d, n);
                        if (context.ResultCount > ef)
                        {
                            context.PopResult();
                        }
                    }

                    if (context.ResultCount > 0)
                    {
                        bound = context.WorstResult;
                    }
                }
            }

            if (computed > distanceBudget)
            {
                return false;
            }

            if (layer == 0 && context.CandidateCount > 0)
            {
                PrefetchLinks(pages, context.Candidates[0].Slot);
            }
        }

        return true;
    }

    /// <summary>
    /// Marks the neighbours of <paramref name="slot"/> on <paramref name="layer"/> not visited yet and computes their
    /// distances: slots in <see cref="SearchContext.Fresh"/>, distances in <see cref="SearchContext.FreshDistances"/>;
    /// returns how many. Each row is prefetched whole, about <see cref="InFlightLines"/> cache lines ahead (prefetching
    /// only the next row, and only its first lines, left most of a 400-byte row to demand misses).
    /// </summary>
    private int ExpandNode(ReadOnlySpan<float> q, LinkPage[] pages, int slot, int layer, int limit, SearchContext context)
    {
        ref int list = ref SearchList(pages, slot, layer);
        if (Unsafe.IsNullRef(ref list))
        {
            return 0;
        }

        int count = ReadCount(ref list, layer == 0 ? MaxM0 : M);
        byte[] visited = context.Visited;
        byte gen = context.Generation;
        int[] fresh = context.Fresh;
        int found = 0;
        for (int i = 1; i <= count; i++)
        {
            int n = Unsafe.Add(ref list, i);
            if ((uint)n >= (uint)limit || visited[n] == gen)
            {
                continue;
            }

            visited[n] = gen;
            fresh[found++] = n;
        }

        float[][] rows = Volatile.Read(ref _rowPages);
        bool codes = q.Length != Dimension; // an 8-bit traversal query: rows are read as codes
        int ahead = codes ? _prefetchCodeRows : _prefetchRows;
        for (int j = 0; j < found && j < ahead; j++)
        {
            PrefetchRow(rows, fresh[j], codes);
        }

        float[] distances = context.FreshDistances;
        for (int j = 0; j < found; j++)
        {
            if (j + ahead < found)
            {
                PrefetchRow(rows, fresh[j + ahead], codes);
            }

            distances[j] = Distance(q, fresh[j]);
        }

        return found;
    }
}
