namespace ImageSearch.Tests.Hnsw;

/// <summary>Structural invariants of a built HNSW graph, read straight from its link pages (no search involved).</summary>
internal static class HnswGraphCheck
{
    /// <summary>
    /// Every violation found (empty when the graph is sound): the entry point sits on the top level and no node above
    /// it; every list is within bounds, without self or duplicate links, and points at nodes that reach its layer;
    /// every node on a layer shared with another node has links there; and every node is reachable from the entry
    /// point on layer 0 and reaches it (what a search needs to ever find it, wherever its layer-0 part starts).
    /// </summary>
    public static List<string> Problems(HnswIndex index, int max = 20)
    {
        HnswGraph g = index.Graph;
        var problems = new List<string>();
        int slots = g.Store.SlotCount;
        (int entry, int top) = g.Entry;
        if (slots == 0)
        {
            return problems;
        }

        var perLayer = new int[HnswGraph.MaxLevel + 2];
        for (int s = 0; s < slots; s++)
        {
            int level = g.LevelOf(s);
            if (level < 0)
            {
                problems.Add($"slot {s} not inserted");
                continue;
            }

            if (level > top)
            {
                problems.Add($"slot {s} has level {level} above the top {top}");
            }

            for (int l = 0; l <= level; l++)
            {
                perLayer[l]++;
            }
        }

        if (entry < 0 || g.LevelOf(entry) != top)
        {
            problems.Add($"entry {entry} is not on the top level {top}");
        }

        for (int s = 0; s < slots; s++)
        {
            int level = g.LevelOf(s);
            for (int l = 0; l <= level; l++)
            {
                ReadOnlySpan<int> list = List(g, s, l);
                var seen = new HashSet<int>();
                foreach (int n in list)
                {
                    if (n == s || !seen.Add(n) || (uint)n >= (uint)slots || g.LevelOf(n) < l)
                    {
                        problems.Add($"slot {s} layer {l}: bad link {n}");
                    }
                }

                if (list.IsEmpty && perLayer[l] > 1)
                {
                    problems.Add($"slot {s} (level {level}) has no links on layer {l}");
                }
            }
        }

        // Layer 0 reachability from the entry point.
        var reached = new bool[slots];
        var queue = new Queue<int>();
        if (entry >= 0)
        {
            reached[entry] = true;
            queue.Enqueue(entry);
        }

        while (queue.Count > 0)
        {
            foreach (int n in List(g, queue.Dequeue(), 0))
            {
                if ((uint)n < (uint)slots && !reached[n])
                {
                    reached[n] = true;
                    queue.Enqueue(n);
                }
            }
        }

        int unreachable = reached.Count(r => !r);
        if (unreachable > 0)
        {
            problems.Add($"{unreachable} of {slots} nodes unreachable on layer 0");
        }

        if (g.TreeProblem() is string tree)
        {
            problems.Add("layer-0 tree: " + tree);
        }

        int stranded = NotReachingEntry(index);
        if (stranded > 0)
        {
            problems.Add($"{stranded} of {slots} nodes cannot reach the entry point on layer 0 (a search starting there misses nodes)");
        }

        return problems.Count > max ? problems.GetRange(0, max) : problems;
    }

    /// <summary>Nodes not reachable from the entry point on layer 0.</summary>
    public static int Unreachable(HnswIndex index)
    {
        HnswGraph g = index.Graph;
        int slots = g.Store.SlotCount;
        (int entry, _) = g.Entry;
        if (entry < 0)
        {
            return 0;
        }

        var reached = new bool[slots];
        var queue = new Queue<int>();
        reached[entry] = true;
        queue.Enqueue(entry);
        int count = 1;
        while (queue.Count > 0)
        {
            foreach (int n in List(g, queue.Dequeue(), 0))
            {
                if ((uint)n < (uint)slots && !reached[n])
                {
                    reached[n] = true;
                    count++;
                    queue.Enqueue(n);
                }
            }
        }

        return slots - count;
    }

    /// <summary>
    /// Nodes from which the entry point cannot be reached on layer 0: a layer-0 search starts wherever the upper layers
    /// led, so with these a search could miss nodes even at ef = count.
    /// </summary>
    public static int NotReachingEntry(HnswIndex index)
    {
        HnswGraph g = index.Graph;
        int slots = g.Store.SlotCount;
        (int entry, _) = g.Entry;
        if (entry < 0)
        {
            return 0;
        }

        var incoming = new List<int>[slots];
        for (int s = 0; s < slots; s++)
        {
            incoming[s] = [];
        }

        for (int s = 0; s < slots; s++)
        {
            foreach (int n in List(g, s, 0))
            {
                if ((uint)n < (uint)slots)
                {
                    incoming[n].Add(s);
                }
            }
        }

        var reached = new bool[slots];
        var queue = new Queue<int>();
        reached[entry] = true;
        queue.Enqueue(entry);
        int count = 1;
        while (queue.Count > 0)
        {
            foreach (int n in incoming[queue.Dequeue()])
            {
                if (!reached[n])
                {
                    reached[n] = true;
                    count++;
                    queue.Enqueue(n);
                }
            }
        }

        return slots - count;
    }

    /// <summary>The links of a node on a layer, read straight from the link pages.</summary>
    internal static ReadOnlySpan<int> List(HnswGraph g, int slot, int layer)
    {
        HnswGraph.LinkPage page = g.LinkPages[slot >> HnswGraph.LinkPageShift];
        int i = slot & HnswGraph.LinkPageMask;
        if (layer == 0)
        {
            return page.Layer0.AsSpan((i * g.Stride0) + 1, page.Layer0[i * g.Stride0]);
        }

        int[] upper = page.Upper[i]!;
        int offset = (layer - 1) * g.StrideUpper;
        return upper.AsSpan(offset + 1, upper[offset]);
    }
}
