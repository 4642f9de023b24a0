namespace ImageSearch.Tests.Hnsw;

/// <summary>
/// The layer-0 links are checked a block at a time (one vectorised maximum) and list by list only when that fails:
/// the verdict must be the one the list-by-list check gives, on every link page. A mapped index reads layer 0 in place
/// without that check: its searches skip what the check would refuse.
/// </summary>
public sealed class HnswLayer0CheckTests : IDisposable
{
    private const int Count = 5000; // two link pages of 4,096 slots
    private readonly string _dir = Directory.CreateTempSubdirectory("imagesearch-layer0-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static HnswIndex Build()
    {
        var index = new HnswIndex(8, DistanceMetric.Cosine, new HnswOptions { M = 4, EfConstruction = 16, ElementType = VectorElementType.Float16 });
        index.MaxDegreeOfParallelism = 1;
        index.AddRange(HnswTestData.Keys(Count), HnswTestData.Random(3, Count, 8));
        for (int i = 0; i < Count; i += 97)
        {
            index.Remove(HnswTestData.Keys(Count)[i]); // tombstones travel with the links
        }

        return index;
    }

    /// <summary>A slot on the second link page whose layer-0 list has room to spare, and that list's offset.</summary>
    private static (int Slot, int Offset, int[] Layer0) Unfull(HnswIndex index)
    {
        HnswGraph g = index.Graph;
        int[] layer0 = g.LinkPages[1].Layer0;
        for (int i = 0; i < Count - HnswGraph.LinkPageSize; i++)
        {
            if (layer0[i * g.Stride0] is > 0 and < 8)
            {
                return (HnswGraph.LinkPageSize + i, i * g.Stride0, layer0);
            }
        }

        throw new InvalidOperationException("No list with room.");
    }

    private string Save(HnswIndex index)
    {
        string path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".isidx");
        index.Save(path);
        return path;
    }

    [Fact]
    public void AStaleValueBeyondTheCountIsAcceptedAsBefore()
    {
        HnswIndex index = Build();
        (_, int offset, int[] layer0) = Unfull(index);
        layer0[offset + layer0[offset] + 1] = int.MaxValue; // past the count: never read, so never refused
        string path = Save(index);
        float[] q = HnswTestData.Random(4, 1, 8);

        HnswIndex loaded = HnswIndex.Load(path);
        using var mapped = MappedIndex.Open(path);
        Assert.Equal(index.Search(q, 10), loaded.Search(q, 10));
        Assert.Equal(index.Search(q, 10), mapped.Search(q, 10));
        Assert.Equal(int.MaxValue, loaded.Graph.LinkPages[1].Layer0[offset + layer0[offset] + 1]); // the bytes, as saved
    }

    [Fact]
    public void ALinkOutOfRangeIsRefusedNamingItsSlot()
    {
        HnswIndex index = Build();
        (int slot, int offset, int[] layer0) = Unfull(index);
        layer0[offset + 1] = Count;
        string path = Save(index);

        string expected = $"The links of slot {slot} on layer 0 point at an invalid slot {Count}.";
        Assert.EndsWith(expected, Assert.Throws<InvalidDataException>(() => HnswIndex.Load(path)).Message, StringComparison.Ordinal);
        SearchesSkipTheBadList(path);
    }

    [Fact]
    public void ACountAboveTheLimitIsRefusedNamingItsSlot()
    {
        HnswIndex index = Build();
        (int slot, int offset, int[] layer0) = Unfull(index);
        layer0[offset] = 9; // 2 M = 8 at most
        string path = Save(index);

        string expected = $"The links of slot {slot} on layer 0 declare 9 neighbours (at most 8).";
        Assert.EndsWith(expected, Assert.Throws<InvalidDataException>(() => HnswIndex.Load(path)).Message, StringComparison.Ordinal);
        SearchesSkipTheBadList(path);
    }

    /// <summary>The mapped index opens (layer 0 is not read at open) and its searches return only stored keys.</summary>
    private static void SearchesSkipTheBadList(string path)
    {
        using var mapped = MappedIndex.Open(path);
        float[] queries = HnswTestData.Random(9, 50, 8);
        for (int q = 0; q < 50; q++)
        {
            foreach (SearchResult r in mapped.Search(queries.AsSpan(q * 8, 8), 10))
            {
                Assert.True(mapped.Contains(r.Key));
            }
        }
    }
}
