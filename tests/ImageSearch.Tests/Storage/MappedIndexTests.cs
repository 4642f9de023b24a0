using ImageSearch.Tests.Indexes;

namespace ImageSearch.Tests.Storage;

public sealed class MappedIndexTests : IDisposable
{
    private const int Dim = 64; // 16,384 rows a page (f32): 40,000 rows make two full pages and a partial one
    private readonly string _dir = Directory.CreateTempSubdirectory("isidx-mapped").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Save(ExactIndex index, string name = "a.isidx")
    {
        string path = Path.Combine(_dir, name);
        index.Save(path);
        return path;
    }

    private static ExactIndex Sample(DistanceMetric metric, VectorElementType type, int count = 40_000, int seed = 5)
    {
        var index = new ExactIndex(Dim, metric, type);
        float[] rows = NaiveReference.RandomVectors(new Random(seed), count, Dim);
        index.AddRange(Enumerable.Range(0, count).Select(i => (long)i * 5 + 1).ToArray(), rows);
        for (long key = 1; key < count * 5L; key += 35)
        {
            index.Remove(key); // tombstones in every page, saved as removed rows
        }

        return index;
    }

    private static void AssertIdentical(SearchResult[] expected, SearchResult[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Key, actual[i].Key);
            Assert.Equal(BitConverter.SingleToInt32Bits(expected[i].Distance), BitConverter.SingleToInt32Bits(actual[i].Distance));
        }
    }

    /// <summary>Payload offset and length of each section, by tag.</summary>
    private static Dictionary<string, (int Offset, int Length)> Sections(byte[] bytes)
    {
        var sections = new Dictionary<string, (int, int)>();
        for (int pos = IndexFile.HeaderSize; pos < bytes.Length;)
        {
            int len = (int)BitConverter.ToInt64(bytes, pos + 8);
            sections[System.Text.Encoding.ASCII.GetString(bytes, pos, 4)] = (pos + 16, len);
            pos += 16 + len + 4;
        }

        return sections;
    }

    [Theory]
    [InlineData(DistanceMetric.Cosine, VectorElementType.Float32)]
    [InlineData(DistanceMetric.InnerProduct, VectorElementType.Float32)]
    [InlineData(DistanceMetric.SquaredL2, VectorElementType.Float32)]
    [InlineData(DistanceMetric.Cosine, VectorElementType.Float16)]
    [InlineData(DistanceMetric.SquaredL2, VectorElementType.Float16)]
    [InlineData(DistanceMetric.InnerProduct, VectorElementType.Int8)]
    [InlineData(DistanceMetric.SquaredL2, VectorElementType.Int8)]
    public void SearchesReturnExactlyWhatTheLoadedIndexReturns(DistanceMetric metric, VectorElementType type)
    {
        string path = Save(Sample(metric, type));
        ExactIndex loaded = ExactIndex.Load(path);
        using var mapped = MappedIndex.Open(path);

        Assert.Equal(loaded.Count, mapped.Count);
        Assert.Equal(loaded.DeletedCount, mapped.DeletedCount);
        Assert.True(mapped.DeletedCount > 0);
        Assert.Equal(loaded.GetKeys().Order(), mapped.GetKeys().Order());
        Assert.False(mapped.Contains(1)); // removed
        Assert.True(mapped.Contains(6));

        float[] queries = NaiveReference.RandomVectors(new Random(17), 300, Dim); // more than one batch chunk (256)
        var filter = new SearchOptions { Filter = key => key % 3 == 0 };
        float[] weights = Enumerable.Range(0, Dim).Select(i => (i % 4) * 0.5f).ToArray();
        var weighted = new SearchOptions { ElementWeights = weights };
        for (int q = 0; q < 20; q++)
        {
            ReadOnlySpan<float> query = queries.AsSpan(q * Dim, Dim);
            AssertIdentical(loaded.Search(query, 10), mapped.Search(query, 10));
            AssertIdentical(loaded.Search(query, 7, filter), mapped.Search(query, 7, filter));
            AssertIdentical(loaded.Search(query, 5, weighted), mapped.Search(query, 5, weighted));
        }

        SearchResult[][] expected = loaded.SearchBatch(queries, 10), actual = mapped.SearchBatch(queries, 10);
        SearchResult[][] expectedFiltered = loaded.SearchBatch(queries, 4, filter), actualFiltered = mapped.SearchBatch(queries, 4, filter);
        for (int q = 0; q < expected.Length; q++)
        {
            AssertIdentical(expected[q], actual[q]);
            AssertIdentical(expectedFiltered[q], actualFiltered[q]);
        }

        float[] a = new float[Dim], b = new float[Dim];
        foreach (long key in new long[] { 6, 81_996, 199_996 }) // first page, second page, last (partial) page
        {
            Assert.True(loaded.TryGetVector(key, a));
            Assert.True(mapped.TryGetVector(key, b));
            Assert.Equal(a, b);
        }
    }

    [Fact]
    public void ConcurrentSearchesAgreeWithTheLoadedIndex()
    {
        string path = Save(Sample(DistanceMetric.Cosine, VectorElementType.Float32, 20_000));
        ExactIndex loaded = ExactIndex.Load(path);
        using var mapped = MappedIndex.Open(path);
        float[] queries = NaiveReference.RandomVectors(new Random(3), 64, Dim);
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 4 }, q =>
        {
            AssertIdentical(loaded.Search(queries.AsSpan(q * Dim, Dim), 10), mapped.Search(queries.AsSpan(q * Dim, Dim), 10));
        });
    }

    [Fact]
    public void ACorruptRowIsFoundByVerifyChecksumsNotBySearch()
    {
        string path = Save(Sample(DistanceMetric.Cosine, VectorElementType.Float32, 5_000));
        byte[] bytes = File.ReadAllBytes(path);
        (int offset, int length) = Sections(bytes)["VECS"];
        bytes[offset + (length / 2)] ^= 0x10;
        File.WriteAllBytes(path, bytes);

        using (var mapped = MappedIndex.Open(path)) // rows are not read at open
        {
            Assert.Equal(10, mapped.Search(NaiveReference.RandomVectors(new Random(1), 1, Dim), 10).Length);
            var e = Assert.Throws<InvalidDataException>(mapped.VerifyChecksums);
            Assert.Contains("VECS", e.Message);
            Assert.Contains(path, e.Message);
            Assert.Equal(10, mapped.Search(NaiveReference.RandomVectors(new Random(1), 1, Dim), 10).Length); // still open
        }

        var atOpen = Assert.Throws<InvalidDataException>(() => MappedIndex.Open(path, verifyChecksums: true));
        Assert.Contains("VECS", atOpen.Message);
        Assert.Throws<InvalidDataException>(() => ExactIndex.Load(path)); // loading checks everything, as before
    }

    [Theory]
    [InlineData("KEYS")]
    [InlineData("LIVE")]
    public void ACorruptSmallSectionIsRefusedAtOpen(string tag)
    {
        string path = Save(Sample(DistanceMetric.SquaredL2, VectorElementType.Float32, 3_000));
        byte[] bytes = File.ReadAllBytes(path);
        bytes[Sections(bytes)[tag].Offset + 5] ^= 0x01; // LIVE: 1 becomes 0, still a valid flag; only the checksum sees it
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => MappedIndex.Open(path));
        Assert.Contains(tag, e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void AnIntactFilePassesVerifyChecksums()
    {
        string path = Save(Sample(DistanceMetric.InnerProduct, VectorElementType.Int8, 3_000));
        using var mapped = MappedIndex.Open(path, verifyChecksums: true);
        mapped.VerifyChecksums();
    }

    [Fact]
    public void TruncatedAndBadFilesGiveClearExceptionsAtOpen()
    {
        string good = Save(Sample(DistanceMetric.Cosine, VectorElementType.Float32, 300), "good.isidx");
        byte[] bytes = File.ReadAllBytes(good);
        var cuts = new List<int> { 1, 8, 47, IndexFile.HeaderSize, bytes.Length - 1, bytes.Length - 20 };
        foreach ((int offset, int length) in Sections(bytes).Values)
        {
            cuts.AddRange([offset - 16, offset, offset + (length / 2), offset + length]);
        }

        string path = Path.Combine(_dir, "cut.isidx");
        foreach (int cut in cuts.Where(c => c > 0 && c < bytes.Length).Distinct())
        {
            File.WriteAllBytes(path, bytes.AsSpan(0, cut).ToArray());
            var e = Assert.Throws<InvalidDataException>(() => MappedIndex.Open(path));
            Assert.True(e.Message.Contains("truncated") || e.Message.Contains("magic"), $"cut at {cut}: {e.Message}");
            Assert.Contains(path, e.Message);
        }

        File.WriteAllBytes(path, []);
        Assert.Contains("empty", Assert.Throws<InvalidDataException>(() => MappedIndex.Open(path)).Message);
        File.WriteAllBytes(path, new byte[100]);
        Assert.Contains("magic", Assert.Throws<InvalidDataException>(() => MappedIndex.Open(path)).Message);
        Assert.Throws<FileNotFoundException>(() => MappedIndex.Open(Path.Combine(_dir, "missing.isidx")));
        Assert.Throws<ArgumentException>(() => MappedIndex.Open(""));

        // Nothing stays open after a failed open: the file can be replaced and deleted.
        File.Move(good, path, overwrite: true);
        File.Delete(path);
    }

    [Theory]
    [InlineData(DistanceMetric.Cosine, VectorElementType.Float32)]
    [InlineData(DistanceMetric.SquaredL2, VectorElementType.Float32)]
    [InlineData(DistanceMetric.InnerProduct, VectorElementType.Float16)]
    public void HnswSearchesReturnExactlyWhatTheLoadedIndexReturns(DistanceMetric metric, VectorElementType type)
    {
        const int count = 20_000; // two pages of rows (16,384 a page at dimension 64), the second partial
        var hnsw = new HnswIndex(Dim, metric, new HnswOptions { M = 8, EfConstruction = 40, ElementType = type, Seed = 7 });
        hnsw.AddRange(Enumerable.Range(0, count).Select(i => (long)i * 2).ToArray(), NaiveReference.RandomVectors(new Random(6), count, Dim));
        for (long key = 0; key < count * 2L; key += 62)
        {
            hnsw.Remove(key); // tombstones route searches but are never results
        }

        string path = Path.Combine(_dir, "h.isidx");
        hnsw.Save(path);
        HnswIndex loaded = HnswIndex.Load(path);
        using var mapped = MappedIndex.Open(path);
        Assert.Equal(loaded.Count, mapped.Count);
        Assert.Equal(loaded.DeletedCount, mapped.DeletedCount);
        Assert.False(mapped.Contains(0));

        float[] queries = NaiveReference.RandomVectors(new Random(18), 50, Dim);
        var filter = new SearchOptions { Filter = key => key % 3 == 0, Ef = 60 };
        for (int q = 0; q < 50; q++)
        {
            ReadOnlySpan<float> query = queries.AsSpan(q * Dim, Dim);
            AssertIdentical(loaded.Search(query, 10), mapped.Search(query, 10));
            AssertIdentical(loaded.Search(query, 5, filter), mapped.Search(query, 5, filter));
        }

        SearchResult[][] expected = loaded.SearchBatch(queries, 10), actual = mapped.SearchBatch(queries, 10);
        for (int q = 0; q < expected.Length; q++)
        {
            AssertIdentical(expected[q], actual[q]);
        }

        float[] a = new float[Dim], b = new float[Dim];
        Assert.True(loaded.TryGetVector(39_998, a));
        Assert.True(mapped.TryGetVector(39_998, b));
        Assert.Equal(a, b);
        mapped.VerifyChecksums();
    }

    [Fact]
    public void ACorruptHnswLayer0IsNotReadAtOpenNeverMisleadsAReadAndIsFoundByVerifyChecksums()
    {
        const int count = 20_000; // capacity is two pages of 16,384 rows: slots 20,000 to 32,767 have no row
        var hnsw = new HnswIndex(Dim, DistanceMetric.Cosine, new HnswOptions { M = 8, EfConstruction = 40, Seed = 7 });
        hnsw.AddRange(Enumerable.Range(0, count).Select(i => (long)i * 2).ToArray(), NaiveReference.RandomVectors(new Random(6), count, Dim));
        string path = Path.Combine(_dir, "h.isidx");
        hnsw.Save(path);
        byte[] bytes = File.ReadAllBytes(path);
        (int offset, _) = Sections(bytes)["LNK0"];
        const int stride = 1 + (2 * 8); // count, then 2M neighbours
        int[] bad = [count, 32_767, 40_000, -1, int.MaxValue, int.MinValue];
        for (int slot = 0; slot < count; slot += 3)
        {
            int at = offset + (slot * stride * sizeof(int));
            if (slot % 2 == 0)
            {
                BitConverter.TryWriteBytes(bytes.AsSpan(at), slot % 4 == 0 ? 2 * 8 : int.MaxValue); // a full list, or a count past it
            }

            for (int j = 1; j < stride; j += 2)
            {
                BitConverter.TryWriteBytes(bytes.AsSpan(at + (j * sizeof(int))), bad[(slot + j) % bad.Length]);
            }
        }

        File.WriteAllBytes(path, bytes);
        using (var mapped = MappedIndex.Open(path)) // layer 0 is not read at open
        {
            float[] queries = NaiveReference.RandomVectors(new Random(18), 100, Dim);
            for (int q = 0; q < 100; q++)
            {
                SearchResult[] results = mapped.Search(queries.AsSpan(q * Dim, Dim), 10, new SearchOptions { Ef = 80 });
                Assert.NotEmpty(results);
                float[] row = new float[Dim];
                foreach (SearchResult r in results)
                {
                    Assert.True(mapped.TryGetVector(r.Key, row), $"key {r.Key}"); // a stored vector, not a slot past the rows
                }
            }

            var e = Assert.Throws<InvalidDataException>(mapped.VerifyChecksums);
            Assert.Contains("LNK0", e.Message);
        }

        Assert.Contains("LNK0", Assert.Throws<InvalidDataException>(() => MappedIndex.Open(path, verifyChecksums: true)).Message);
        Assert.Throws<InvalidDataException>(() => HnswIndex.Load(path)); // loading checks every list, as before
    }

    [Fact]
    public void ACorruptHnswTreeIsNotReadAtOpenAndIsFoundByVerifyChecksums()
    {
        var hnsw = new HnswIndex(Dim, DistanceMetric.SquaredL2, new HnswOptions { M = 8, EfConstruction = 40, Seed = 7 });
        hnsw.AddRange(Enumerable.Range(0, 2_000).Select(i => (long)i).ToArray(), NaiveReference.RandomVectors(new Random(6), 2_000, Dim));
        string path = Path.Combine(_dir, "t.isidx");
        hnsw.Save(path);
        float[] query = NaiveReference.RandomVectors(new Random(2), 1, Dim);
        SearchResult[] expected = hnsw.Search(query, 10);
        byte[] bytes = File.ReadAllBytes(path);
        bytes[Sections(bytes)["TREE"].Offset + 100] ^= 0x04;
        File.WriteAllBytes(path, bytes);

        using var mapped = MappedIndex.Open(path); // a read-only index has no use for the tree
        AssertIdentical(expected, mapped.Search(query, 10));
        Assert.Contains("TREE", Assert.Throws<InvalidDataException>(mapped.VerifyChecksums).Message);
    }

    [Fact]
    public void IndexesThatCannotBeMappedSayWhy()
    {
        var hnsw = new HnswIndex(Dim, DistanceMetric.Cosine, new HnswOptions { M = 4, Seed = 1, ElementType = VectorElementType.Int8 });
        hnsw.AddRange([1, 2], NaiveReference.RandomVectors(new Random(2), 2, Dim));
        string hnswPath = Path.Combine(_dir, "h.isidx");
        hnsw.Save(hnswPath);
        Assert.Contains("Int8 HNSW", Assert.Throws<NotSupportedException>(() => MappedIndex.Open(hnswPath)).Message);

        var keep = new ExactIndex(Dim, DistanceMetric.Cosine, VectorElementType.Int8, keepFloat32Rows: true);
        keep.AddRange([1, 2], NaiveReference.RandomVectors(new Random(2), 2, Dim));
        Assert.Contains("f32 rows", Assert.Throws<NotSupportedException>(() => MappedIndex.Open(Save(keep, "k.isidx"))).Message);
    }

    [Fact]
    public void AnEmptyIndexOpens()
    {
        using var mapped = MappedIndex.Open(Save(new ExactIndex(Dim, DistanceMetric.Cosine, VectorElementType.Int8)));
        Assert.Equal(0, mapped.Count);
        Assert.Empty(mapped.Search(new float[Dim].Select(_ => 1f).ToArray(), 3));
        mapped.VerifyChecksums();
    }

    [Fact]
    public void DisposeUnmapsAndClosesTheFile()
    {
        string path = Save(Sample(DistanceMetric.Cosine, VectorElementType.Float32, 2_000));
        string full = Path.GetFullPath(path);
        var mapped = MappedIndex.Open(path);
        float[] q = NaiveReference.RandomVectors(new Random(4), 1, Dim);
        Assert.Equal(5, mapped.Search(q, 5).Length);
        if (OperatingSystem.IsLinux())
        {
            Assert.Contains(full, File.ReadAllText("/proc/self/maps"));
            Assert.Contains(OpenFiles(), f => f == full);
        }

        mapped.Dispose();
        mapped.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => mapped.Search(q, 5));
        Assert.Throws<ObjectDisposedException>(() => mapped.SearchBatch(q, 5));
        Assert.Throws<ObjectDisposedException>(() => mapped.Contains(6));
        Assert.Throws<ObjectDisposedException>(() => mapped.TryGetVector(6, new float[Dim]));
        Assert.Throws<ObjectDisposedException>(mapped.GetKeys);
        Assert.Throws<ObjectDisposedException>(mapped.VerifyChecksums);
        Assert.Equal(Dim, mapped.Dimension);
        if (OperatingSystem.IsLinux())
        {
            Assert.DoesNotContain(full, File.ReadAllText("/proc/self/maps"));
            Assert.DoesNotContain(OpenFiles(), f => f == full);
        }

        using var exclusive = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None); // nothing holds it
    }

    private static List<string> OpenFiles()
        => Directory.GetFiles("/proc/self/fd").Select(fd => new FileInfo(fd).LinkTarget).OfType<string>().ToList();

    [Fact]
    public async Task DisposeDuringSearchesEitherLetsThemFinishOrRefusesThem()
    {
        string path = Save(Sample(DistanceMetric.SquaredL2, VectorElementType.Float32, 20_000));
        float[] q = NaiveReference.RandomVectors(new Random(9), 1, Dim);
        SearchResult[] expected = ExactIndex.Load(path).Search(q, 10);
        var mapped = MappedIndex.Open(path);
        Assert.Equal(600, await DisposeWhileSearching(mapped, () => AssertIdentical(expected, mapped.Search(q, 10)), 200, delayMs: 20));
    }

    /// <summary>
    /// Three tasks each run <paramref name="search"/> <paramref name="perTask"/> times while the index is disposed
    /// after <paramref name="delayMs"/>; returns how many searches finished or were refused (ObjectDisposedException).
    /// </summary>
    private static async Task<int> DisposeWhileSearching(MappedIndex mapped, Action search, int perTask, int delayMs)
    {
        int completed = 0, refused = 0;
        var searchers = Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
        {
            for (int i = 0; i < perTask; i++)
            {
                try
                {
                    search();
                    Interlocked.Increment(ref completed);
                }
                catch (ObjectDisposedException)
                {
                    Interlocked.Increment(ref refused);
                }
            }
        })).ToArray();
        await Task.Delay(delayMs);
        mapped.Dispose();
        await Task.WhenAll(searchers);
        return completed + refused;
    }

    [Fact]
    public void AnHnswFilterMayCallTheSameIndexAsOnTheLoadedIndex()
    {
        // A loaded HnswIndex takes no lock to search, so a filter may ask the index itself (on the searching thread or
        // a SearchBatch worker); the mapped index counts calls in flight instead of locking, so the same filter works.
        const int count = 5_000;
        var hnsw = new HnswIndex(Dim, DistanceMetric.Cosine, new HnswOptions { M = 8, EfConstruction = 40, Seed = 2 });
        hnsw.AddRange(Enumerable.Range(0, count).Select(i => (long)i).ToArray(), NaiveReference.RandomVectors(new Random(3), count, Dim));
        string path = Path.Combine(_dir, "filter.isidx");
        hnsw.Save(path);
        HnswIndex loaded = HnswIndex.Load(path);
        using var mapped = MappedIndex.Open(path);
        float[] queries = NaiveReference.RandomVectors(new Random(21), 8, Dim);
        var viaLoaded = new SearchOptions { Ef = 60, Filter = key => key % 2 == 0 && loaded.Contains(key + 1) };
        var viaMapped = new SearchOptions { Ef = 60, Filter = key => key % 2 == 0 && mapped.Contains(key + 1) };
        AssertIdentical(loaded.Search(queries.AsSpan(0, Dim), 10, viaLoaded), mapped.Search(queries.AsSpan(0, Dim), 10, viaMapped));
        SearchResult[][] expected = loaded.SearchBatch(queries, 10, viaLoaded), actual = mapped.SearchBatch(queries, 10, viaMapped);
        for (int q = 0; q < expected.Length; q++)
        {
            AssertIdentical(expected[q], actual[q]);
        }
    }

    [Fact]
    public async Task DisposeDuringHnswSearchesEitherLetsThemFinishOrRefusesThem()
    {
        // The HNSW graph reads mapped rows without a per-read check: a search that outlived the mapping would crash,
        // not throw, so this race must only ever end in finished or refused searches.
        const int count = 5_000;
        var hnsw = new HnswIndex(Dim, DistanceMetric.SquaredL2, new HnswOptions { M = 8, EfConstruction = 40, Seed = 3 });
        hnsw.AddRange(Enumerable.Range(0, count).Select(i => (long)i).ToArray(), NaiveReference.RandomVectors(new Random(4), count, Dim));
        string path = Path.Combine(_dir, "race.isidx");
        hnsw.Save(path);
        float[] q = NaiveReference.RandomVectors(new Random(9), 1, Dim);
        SearchResult[] expected = HnswIndex.Load(path).Search(q, 10, new SearchOptions { Ef = 80 });
        var mapped = MappedIndex.Open(path);
        Assert.Equal(900, await DisposeWhileSearching(mapped, () => AssertIdentical(expected, mapped.Search(q, 10, new SearchOptions { Ef = 80 })), 300, delayMs: 10));
        Assert.Throws<ObjectDisposedException>(() => mapped.Search(q, 10));
    }

    [Fact]
    public void SavingOverOrDeletingTheFileLeavesAnOpenIndexOnTheOldData()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return; // Windows refuses to replace a mapped file (documented)
        }

        string path = Save(Sample(DistanceMetric.Cosine, VectorElementType.Float32, 3_000, seed: 1));
        float[] q = NaiveReference.RandomVectors(new Random(8), 1, Dim);
        SearchResult[] before = ExactIndex.Load(path).Search(q, 10);
        using var mapped = MappedIndex.Open(path);
        Save(Sample(DistanceMetric.Cosine, VectorElementType.Float32, 3_000, seed: 2)); // atomic rename over the path
        Assert.NotEqual(before.Select(r => r.Key), ExactIndex.Load(path).Search(q, 10).Select(r => r.Key));
        AssertIdentical(before, mapped.Search(q, 10));
        File.Delete(path);
        AssertIdentical(before, mapped.Search(q, 10));
        mapped.VerifyChecksums();
    }

    [Fact]
    public void AMappedIndexIsReadOnly()
    {
        Assert.False(typeof(IVectorIndex).IsAssignableFrom(typeof(MappedIndex))); // no add, remove or compact to call
        string path = Save(Sample(DistanceMetric.Cosine, VectorElementType.Float32, 100));
        using var file = MappedFile.Open(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read));
        using var view = file.OpenStream();
        VectorStore store = new IndexFileReader(view).ReadMappedStore(file);
        Assert.True(store.IsMapped);
        Assert.Throws<InvalidOperationException>(() => store.AllocateSlot());
        Assert.Throws<InvalidOperationException>(() => store.SetRow(0, 7, new float[Dim]));
        Assert.Throws<ArgumentOutOfRangeException>(() => file.Span<float>(file.Length - 4, 2));
    }
}
