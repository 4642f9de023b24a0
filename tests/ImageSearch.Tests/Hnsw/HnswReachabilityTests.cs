using System.Buffers.Binary;
using System.Text;

namespace ImageSearch.Tests.Hnsw;

/// <summary>
/// The layer-0 spanning tree: neighbour pruning may drop any link but a tree link, so every stored node stays
/// reachable from the entry point and reaches it, and a self-query with ef = count finds every key. Clustered
/// duplicates with M 2 make the heuristic drop links to whole groups: before the tree, a serial build of this data left
/// 115 of 240 nodes unreachable and 70 self-queries missed.
/// </summary>
public class HnswReachabilityTests
{
    private const int Dim = 4;

    /// <summary>240 vectors in 60 groups of identical vectors (seeded).</summary>
    private static float[] Clustered(int seed, int count, int groups)
    {
        var rng = new Random(seed);
        float[] centers = HnswTestData.Random(seed, groups, Dim);
        var rows = new float[count * Dim];
        for (int i = 0; i < count; i++)
        {
            centers.AsSpan(rng.Next(groups) * Dim, Dim).CopyTo(rows.AsSpan(i * Dim, Dim));
        }

        return rows;
    }

    private static HnswIndex Build(float[] rows, long[] keys, int threads)
    {
        var index = new HnswIndex(Dim, DistanceMetric.SquaredL2, new HnswOptions { M = 2, EfConstruction = 16, Seed = 1 }) { MaxDegreeOfParallelism = threads };
        index.AddRange(keys, rows);
        return index;
    }

    /// <summary>Graph invariants (reachability both ways included), and every live key found by its own vector at ef = slots.</summary>
    private static void AssertEveryKeyFound(HnswIndex index, IReadOnlyDictionary<long, float[]> live)
    {
        Assert.Empty(HnswGraphCheck.Problems(index));
        int slots = index.Count + index.DeletedCount;
        var missed = new List<long>();
        foreach ((long key, float[] vector) in live)
        {
            SearchResult[] results = index.Search(vector, slots, new SearchOptions { Ef = slots });
            if (!results.Any(r => r.Key == key))
            {
                missed.Add(key);
            }
        }

        Assert.True(missed.Count == 0, $"{missed.Count} of {live.Count} self-queries missed, e.g. key {missed.FirstOrDefault()}");
    }

    private static Dictionary<long, float[]> Live(long[] keys, float[] rows)
        => keys.Select((k, i) => (k, rows.AsSpan(i * Dim, Dim).ToArray())).ToDictionary(p => p.k, p => p.Item2);

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void EveryNodeOfAClusteredBuildIsReachable(int threads)
    {
        float[] rows = Clustered(1, 240, 60);
        long[] keys = HnswTestData.Keys(240);
        HnswIndex index = Build(rows, keys, threads);
        AssertEveryKeyFound(index, Live(keys, rows));
    }

    [Fact]
    public void ParallelBuildsKeepTheTreeWhenNewTopsRace()
    {
        // With M 2 half the nodes reach layer 1 and the top grows fast, so early insertions may race to become the new
        // top: one that waited for the entry lock while another raised the top must not re-root the tree below itself
        // (the one-hour stress run found a saved entry point with a parent, after a parallel Compact). The race is rare:
        // this checks the tree of 150 parallel builds, new tops lingering in the lock to widen the window.
        var problems = new List<string>();
        for (int seed = 0; seed < 150 && problems.Count == 0; seed++)
        {
            float[] rows = HnswTestData.Random(seed, 120, Dim);
            var index = new HnswIndex(Dim, DistanceMetric.SquaredL2, new HnswOptions { M = 2, EfConstruction = 8, Seed = seed }) { MaxDegreeOfParallelism = 8 };
            HnswGraph g = index.Graph;
            g.LayerLinked = (slot, layer) =>
            {
                // A new top holds the entry lock while it links: linger there, so that other new tops queue behind it.
                if (g.LevelOf(slot) > g.Entry.Level)
                {
                    Thread.Sleep(2);
                }
            };
            index.AddRange(HnswTestData.Keys(120), rows);
            problems.AddRange(HnswGraphCheck.Problems(index).Select(p => $"seed {seed}: {p}"));
        }

        Assert.Empty(problems);
    }

    [Fact]
    public void RemovesAddsAndCompactKeepEveryNodeReachable()
    {
        float[] rows = Clustered(2, 600, 150);
        long[] keys = HnswTestData.Keys(600);
        HnswIndex index = Build(rows.AsSpan(0, 300 * Dim).ToArray(), keys[..300], threads: 1);
        Dictionary<long, float[]> live = Live(keys[..300], rows.AsSpan(0, 300 * Dim).ToArray());
        for (int i = 0; i < 300; i += 3)
        {
            Assert.True(index.Remove(keys[i]));
            live.Remove(keys[i]);
        }

        for (int i = 300; i < 600; i++)
        {
            index.Add(keys[i], rows.AsSpan(i * Dim, Dim));
            live[keys[i]] = rows.AsSpan(i * Dim, Dim).ToArray();
        }

        Assert.Equal(100, index.DeletedCount);
        AssertEveryKeyFound(index, live);
        index.Compact();
        AssertEveryKeyFound(index, live);
    }

    [Fact]
    public void AddingToAGraphSavedWithoutATreeRebuildsItAndLinksNodesNothingPointsAt()
    {
        // Files of earlier versions hold no tree; the first add after loading rebuilds it. This one comes from a graph
        // whose node 17 lost every incoming link (as graphs built before the tree could): the rebuild links it again.
        float[] rows = Clustered(3, 240, 60);
        long[] keys = HnswTestData.Keys(240);
        HnswIndex built = Build(rows, keys, threads: 1);
        HnswGraph g = built.Graph;
        int orphan = g.Entry.Slot == 17 ? 18 : 17;
        foreach (HnswGraph.LinkPage page in g.LinkPages)
        {
            for (int i = 0; i < HnswGraph.LinkPageSize; i++)
            {
                Span<int> list = page.Layer0.AsSpan(i * g.Stride0, g.Stride0);
                int at = list.Slice(1, list[0]).IndexOf(orphan);
                if (at >= 0)
                {
                    list.Slice(at + 2, list[0] - at - 1).CopyTo(list.Slice(at + 1));
                    list[0]--;
                }
            }
        }

        Assert.True(HnswGraphCheck.Unreachable(built) > 0);
        var stream = new MemoryStream();
        built.Save(stream);
        Assert.Throws<InvalidDataException>(() => HnswIndex.Load(new MemoryStream(stream.ToArray()))); // its tree no longer holds
        HnswIndex loaded = HnswIndex.Load(new MemoryStream(WithoutTree(stream.ToArray())));
        Assert.True(HnswGraphCheck.Unreachable(loaded) > 0);
        loaded.MaxDegreeOfParallelism = 1;

        float[] extra = Clustered(4, 40, 60);
        long[] extraKeys = HnswTestData.Keys(40, offset: 100_000);
        loaded.AddRange(extraKeys, extra);
        Dictionary<long, float[]> live = Live(keys, rows);
        foreach ((long key, float[] vector) in Live(extraKeys, extra))
        {
            live[key] = vector;
        }

        AssertEveryKeyFound(loaded, live);

        // Saved again, the file holds the rebuilt tree, and loads with it.
        var again = new MemoryStream();
        loaded.Save(again);
        again.Position = 0;
        AssertEveryKeyFound(HnswIndex.Load(again), live);
    }

    [Fact]
    public void ATreeSavedWithAParentThatDoesNotListItsChildIsRefused()
    {
        float[] rows = Clustered(5, 100, 30);
        HnswIndex index = Build(rows, HnswTestData.Keys(100), threads: 1);
        HnswGraph g = index.Graph;
        int child = g.Entry.Slot == 5 ? 6 : 5;
        int parent = g.ParentOf(child);
        HnswGraph.LinkPage page = g.LinkPages[0];
        int other = Enumerable.Range(0, 100).First(s => s != child && s != parent && s != g.Entry.Slot
            && !page.Layer0.AsSpan((s * g.Stride0) + 1, page.Layer0[s * g.Stride0]).Contains(child));
        page.Parents[child] = other + 1; // names a parent that does not link to it
        var stream = new MemoryStream();
        index.Save(stream);
        stream.Position = 0;
        InvalidDataException e = Assert.Throws<InvalidDataException>(() => HnswIndex.Load(stream));
        Assert.Contains("TREE", e.Message, StringComparison.Ordinal);
    }

    /// <summary>The file as an earlier version wrote it: no TREE section, and its flag in the HNSW section cleared.</summary>
    private static byte[] WithoutTree(byte[] file)
    {
        var output = new MemoryStream();
        output.Write(file, 0, 48);
        for (int pos = 48; pos < file.Length;)
        {
            string tag = Encoding.ASCII.GetString(file, pos, 4);
            int length = (int)BinaryPrimitives.ReadInt64LittleEndian(file.AsSpan(pos + 8));
            byte[] section = file.AsSpan(pos, 16 + length + 4).ToArray();
            if (tag == "HNSW")
            {
                BinaryPrimitives.WriteInt32LittleEndian(section.AsSpan(16 + 52), 0);
                BinaryPrimitives.WriteUInt32LittleEndian(section.AsSpan(16 + length), Crc32C.Compute(section.AsSpan(0, 16 + length)));
            }

            if (tag != "TREE")
            {
                output.Write(section);
            }

            pos += section.Length;
        }

        return output.ToArray();
    }
}
