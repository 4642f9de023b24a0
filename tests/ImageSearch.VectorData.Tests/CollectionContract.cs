using System.Linq.Expressions;

namespace ImageSearch.VectorData.Tests;

/// <summary>
/// The VectorData contract, run for every key type and every record flavour by the subclasses in Flavours.cs: each
/// subclass says how a <see cref="Row"/> becomes its record and back, how its keys look, and how the shared filters are
/// written for its record type. Results are compared with brute-force references.
/// </summary>
public abstract class CollectionContract<TKey, TRecord> : IDisposable
    where TKey : notnull
    where TRecord : class
{
    protected const int Count = 300;

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "isvd-tests-" + Guid.NewGuid().ToString("N"));

    protected static readonly Row[] Rows = Row.Make(Count);

    /// <summary>How many filters <see cref="Filter"/> knows.</summary>
    public const int FilterCount = 8;

    public static TheoryData<string, string> DistancesAndKinds()
    {
        var data = new TheoryData<string, string>();
        foreach (string f in new[] { DistanceFunction.CosineSimilarity, DistanceFunction.CosineDistance, DistanceFunction.DotProductSimilarity,
            DistanceFunction.NegativeDotProductSimilarity, DistanceFunction.EuclideanDistance, DistanceFunction.EuclideanSquaredDistance })
        {
            data.Add(f, IndexKind.Flat);
            data.Add(f, IndexKind.Hnsw);
        }

        return data;
    }

    public static TheoryData<int> Filters() => new(Enumerable.Range(0, FilterCount));

    /// <summary>The filters in their reference form, on rows.</summary>
    protected static Func<Row, bool> ReferenceFilter(int filter) => filter switch
    {
        0 => r => r.Rank >= 50 && r.Active,
        1 => r => r.Title == "t7" || r.Rank < 10,
        2 => r => !r.Active && r.Score != null,
        3 => r => r.Tags.Contains("red"),
        4 => r => new[] { 3, 5, 7, 11, 42 }.Contains(r.Rank),
        5 => r => r.Score == null,
        6 => r => r.When > Row.Epoch.AddHours(500) && r.Rank != 20,
        7 => r => r.Score > 0.5 && !r.Tags.Contains("blue"),
        _ => throw new ArgumentOutOfRangeException(nameof(filter)),
    };

    protected abstract TKey Key(int index);

    protected abstract TRecord ToRecord(Row row);

    /// <summary>The row's values read back from a record; <paramref name="withVector"/> false leaves the vector empty.</summary>
    protected abstract Row FromRecord(TRecord record, bool withVector);

    protected abstract int IndexOf(TRecord record);

    protected abstract VectorStoreCollection<TKey, TRecord> Collection(VectorStore store, string name, string? distanceFunction = null, string? indexKind = null);

    protected abstract Expression<Func<TRecord, bool>> Filter(int filter);

    protected abstract Expression<Func<TRecord, bool>> UnsupportedFilter();

    protected abstract Expression<Func<TRecord, object?>> RankSelector();

    protected abstract Expression<Func<TRecord, object?>> TitleSelector();

    /// <summary>
    /// This flavour's text collection with this key type: a vector property typed <see cref="string"/> (squared
    /// Euclidean, flat) embedded by <paramref name="generator"/>, which each flavour sets at another level (store,
    /// definition, property); in <paramref name="folder"/>, or in memory when it is <see langword="null"/>.
    /// </summary>
    protected abstract ITextCollection TextCollection(string? folder, LetterEmbeddingGenerator generator);

    protected ImageSearchVectorStore NewStore(bool persistent) => persistent ? new ImageSearchVectorStore(_folder) : new ImageSearchVectorStore();

    protected async Task<VectorStoreCollection<TKey, TRecord>> Filled(VectorStore store, string? function = null, string? kind = null, string name = "items")
    {
        var collection = Collection(store, name, function, kind);
        await collection.EnsureCollectionExistsAsync();
        await collection.UpsertAsync(Rows.Select(ToRecord));
        return collection;
    }

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }

        GC.SuppressFinalize(this);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Collections_are_created_listed_and_deleted(bool persistent)
    {
        using var store = NewStore(persistent);
        var collection = Collection(store, "items");
        Assert.False(await collection.CollectionExistsAsync());
        Assert.False(await store.CollectionExistsAsync("items"));
        await collection.EnsureCollectionExistsAsync();
        await collection.EnsureCollectionExistsAsync(); // idempotent
        Assert.True(await collection.CollectionExistsAsync());
        Assert.True(await store.CollectionExistsAsync("items"));
        await Collection(store, "other").EnsureCollectionExistsAsync();
        Assert.Equal(["items", "other"], await store.ListCollectionNamesAsync().ToListAsync());

        await store.EnsureCollectionDeletedAsync("items");
        Assert.False(await collection.CollectionExistsAsync());
        Assert.Equal(["other"], await store.ListCollectionNamesAsync().ToListAsync());
        await collection.EnsureCollectionDeletedAsync(); // deleting a missing collection is fine
        await Assert.ThrowsAsync<VectorStoreException>(() => collection.UpsertAsync(ToRecord(Rows[0])));
        Assert.Null(await collection.GetAsync(Key(0)));
    }

    [Fact]
    public async Task Get_returns_what_was_upserted_with_or_without_vectors()
    {
        using var store = NewStore(false);
        var collection = await Filled(store, DistanceFunction.CosineSimilarity, IndexKind.Flat);
        foreach (Row row in Rows.Take(40))
        {
            TRecord? plain = await collection.GetAsync(Key(row.Index));
            Assert.NotNull(plain);
            Assert.Equal(row with { Vector = [] }, FromRecord(plain, withVector: false), RowComparer.Instance);

            TRecord? full = await collection.GetAsync(Key(row.Index), new RecordRetrievalOptions { IncludeVectors = true });
            Row back = FromRecord(full!, withVector: true);
            Assert.Equal(row.Vector.Length, back.Vector.Length);
            for (int i = 0; i < row.Vector.Length; i++)
            {
                Assert.Equal(row.Vector[i], back.Vector[i], 1e-5f); // cosine stores unit vectors and their length
            }
        }

        Assert.Null(await collection.GetAsync(Key(Count + 5)));
    }

    [Fact]
    public async Task Get_many_returns_the_found_records_in_key_order()
    {
        using var store = NewStore(false);
        var collection = await Filled(store);
        int[] wanted = [5, Count + 1, 3, 17];
        var got = await collection.GetAsync(wanted.Select(Key)).ToListAsync();
        Assert.Equal([5, 3, 17], got.Select(IndexOf));
    }

    [Fact]
    public async Task Upsert_replaces_the_record_and_its_vector()
    {
        using var store = NewStore(false);
        var collection = await Filled(store, DistanceFunction.EuclideanSquaredDistance, IndexKind.Hnsw);
        Row changed = Rows[10] with { Title = "changed", Rank = 1000, Vector = Rows[20].Vector };
        await collection.UpsertAsync(ToRecord(changed));

        Assert.Equal(changed with { Vector = [] }, FromRecord((await collection.GetAsync(Key(10)))!, false), RowComparer.Instance);
        var hits = await collection.SearchAsync(Rows[20].Vector, 2).ToListAsync();
        Assert.Equal([10, 20], hits.Select(h => IndexOf(h.Record)).Order());
        Assert.All(hits, h => Assert.Equal(0, h.Score!.Value, 1e-6));
        Assert.Equal(Count, (await collection.GetAsync(_ => true, 10_000).ToListAsync()).Count);
    }

    [Fact]
    public async Task Delete_removes_one_and_many_and_ignores_missing_keys()
    {
        using var store = NewStore(false);
        var collection = await Filled(store, null, IndexKind.Hnsw);
        await collection.DeleteAsync(Key(1));
        await collection.DeleteAsync([Key(2), Key(3), Key(Count + 9)]);
        await collection.DeleteAsync(Key(1));
        Assert.Null(await collection.GetAsync(Key(1)));
        Assert.Null(await collection.GetAsync(Key(3)));
        Assert.NotNull(await collection.GetAsync(Key(4)));
        var hits = await collection.SearchAsync(Rows[2].Vector, 5).ToListAsync();
        Assert.DoesNotContain(hits, h => IndexOf(h.Record) is 1 or 2 or 3);

        // A deleted key can come back.
        await collection.UpsertAsync(ToRecord(Rows[2]));
        Assert.Equal(2, IndexOf((await collection.SearchAsync(Rows[2].Vector, 1).SingleAsync()).Record));
    }

    [Theory]
    [MemberData(nameof(DistancesAndKinds))]
    public async Task Search_ranks_and_scores_as_each_distance_function_defines(string function, string kind)
    {
        using var store = NewStore(false);
        var collection = await Filled(store, function, kind);
        int found = 0;
        for (int q = 0; q < 5; q++)
        {
            float[] query = Row.Query(100 + q);
            var expected = Reference.Top(Rows, query, function, top: 7, skip: 3);
            var hits = await collection.SearchAsync(new ReadOnlyMemory<float>(query), 7, new VectorSearchOptions<TRecord> { Skip = 3 }).ToListAsync();
            Assert.Equal(expected.Length, hits.Count);
            if (kind == IndexKind.Flat)
            {
                Assert.Equal(expected.Select(e => e.Index), hits.Select(h => IndexOf(h.Record)));
            }
            else
            {
                // HNSW: Skip drops the first hits of the same search, and the top 10 are the exact ones, bar (rarely) one.
                var all = await collection.SearchAsync(new ReadOnlyMemory<float>(query), 10).Select(h => IndexOf(h.Record)).ToListAsync();
                Assert.Equal(all.Skip(3), hits.Select(h => IndexOf(h.Record)));
                found += Reference.Top(Rows, query, function, top: 10).Select(e => e.Index).Intersect(all).Count();
            }

            foreach (var hit in hits)
            {
                double reference = Reference.Score(function, query, Rows[IndexOf(hit.Record)].Vector);
                Assert.Equal(reference, hit.Score!.Value, 1e-4 * Math.Max(1, Math.Abs(reference)));
            }

            var scores = hits.Select(h => h.Score!.Value).ToArray();
            Assert.Equal(Reference.HigherIsCloser(function) ? scores.OrderDescending() : scores.Order(), scores);
        }

        // HNSW is approximate: over the queries, at least 90 % of the exact top 10 (it is 100 % on a quiet machine).
        Assert.True(kind == IndexKind.Flat || found >= 45, $"HNSW recall {found}/50");
    }

    [Fact]
    public async Task Search_includes_vectors_only_when_asked_and_honours_the_score_threshold()
    {
        using var store = NewStore(false);
        var collection = await Filled(store, DistanceFunction.CosineSimilarity, IndexKind.Flat);
        float[] query = Row.Query(5);
        var with = await collection.SearchAsync(query, 3, new VectorSearchOptions<TRecord> { IncludeVectors = true }).ToListAsync();
        var without = await collection.SearchAsync(query, 3).ToListAsync();
        Assert.All(with, h => Assert.Equal(Rows[IndexOf(h.Record)].Vector, FromRecord(h.Record, true).Vector, (a, b) => Math.Abs(a - b) < 1e-5f));
        Assert.All(without, h => Assert.Empty(FromRecord(h.Record, false).Vector));

        double threshold = with[1].Score!.Value;
        var above = await collection.SearchAsync(query, 10, new VectorSearchOptions<TRecord> { ScoreThreshold = threshold }).ToListAsync();
        Assert.Equal(2, above.Count);
    }

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task Filtered_search_matches_brute_force(int filter)
    {
        using var store = NewStore(false);
        var flat = await Filled(store, DistanceFunction.EuclideanDistance, IndexKind.Flat, "flat");
        var hnsw = await Filled(store, DistanceFunction.EuclideanDistance, IndexKind.Hnsw, "hnsw");
        int found = 0, total = 0;
        for (int q = 0; q < 4; q++)
        {
            float[] query = Row.Query(200 + q);
            var expected = Reference.Top(Rows, query, DistanceFunction.EuclideanDistance, 10, filter: ReferenceFilter(filter)).Select(e => e.Index).ToArray();
            Assert.NotEmpty(expected);
            var options = new VectorSearchOptions<TRecord> { Filter = Filter(filter) };
            var exact = await flat.SearchAsync(query, 10, options).Select(h => IndexOf(h.Record)).ToListAsync();
            Assert.Equal(expected, exact);
            var approximate = await hnsw.SearchAsync(query, 10, options).Select(h => IndexOf(h.Record)).ToListAsync();
            Assert.All(approximate, i => Assert.True(ReferenceFilter(filter)(Rows[i]))); // never a record the filter rejects
            found += expected.Intersect(approximate).Count();
            total += expected.Length;
        }

        Assert.True(found >= 0.9 * total, $"HNSW filtered recall {found}/{total}");
    }

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task Filtered_get_matches_linq_with_ordering_skip_and_top(int filter)
    {
        using var store = NewStore(false);
        var collection = await Filled(store);
        var expected = Rows.Where(ReferenceFilter(filter)).OrderByDescending(r => r.Rank).ThenBy(r => r.Title, StringComparer.Ordinal)
            .Skip(2).Take(15).Select(r => (r.Rank, r.Title)).ToArray();
        var got = await collection.GetAsync(Filter(filter), 15, new FilteredRecordRetrievalOptions<TRecord>
        {
            Skip = 2,
            OrderBy = o => o.Descending(RankSelector()).Ascending(TitleSelector()),
        }).Select(r => FromRecord(r, false)).Select(r => (r.Rank, r.Title)).ToListAsync();
        Assert.Equal(expected, got);

        var unordered = await collection.GetAsync(Filter(filter), 1000).Select(IndexOf).ToListAsync();
        Assert.Equal(Rows.Where(ReferenceFilter(filter)).Select(r => r.Index).Order(), unordered.Order());
    }

    [Fact]
    public async Task An_untranslatable_filter_is_refused_naming_the_part()
    {
        using var store = NewStore(false);
        var collection = await Filled(store);
        var e = await Assert.ThrowsAsync<NotSupportedException>(() => collection.SearchAsync(Row.Query(1), 3, new VectorSearchOptions<TRecord> { Filter = UnsupportedFilter() }).ToListAsync().AsTask());
        Assert.Contains("StartsWith", e.Message);
        await Assert.ThrowsAsync<NotSupportedException>(() => collection.GetAsync(UnsupportedFilter(), 3).ToListAsync().AsTask());
    }

    [Theory]
    [InlineData(DistanceFunction.HammingDistance, null)]
    [InlineData(DistanceFunction.ManhattanDistance, null)]
    [InlineData(null, IndexKind.IvfFlat)]
    [InlineData(null, IndexKind.DiskAnn)]
    public void Unsupported_distance_functions_and_index_kinds_are_refused_when_the_collection_is_made(string? function, string? kind)
    {
        using var store = NewStore(false);
        var e = Assert.Throws<NotSupportedException>(() => Collection(store, "items", function, kind));
        Assert.Contains(function ?? kind!, e.Message);
    }

    [Fact]
    public async Task A_persistent_store_reopens_with_records_vectors_and_indexes()
    {
        float[] query = Row.Query(9);
        List<(int, double?)> before;
        using (var store = NewStore(true))
        {
            var collection = await Filled(store, DistanceFunction.DotProductSimilarity, IndexKind.Hnsw);
            await collection.DeleteAsync(Key(0));
            await collection.UpsertAsync(ToRecord(Rows[1] with { Title = "updated" }));
            before = await collection.SearchAsync(query, 10, new VectorSearchOptions<TRecord> { Filter = Filter(3) }).Select(h => (IndexOf(h.Record), h.Score)).ToListAsync();
        }

        using (var store = NewStore(true))
        {
            Assert.Equal(["items"], await store.ListCollectionNamesAsync().ToListAsync());
            var collection = Collection(store, "items", DistanceFunction.DotProductSimilarity, IndexKind.Hnsw);
            Assert.True(await collection.CollectionExistsAsync());
            Assert.Null(await collection.GetAsync(Key(0)));
            Assert.Equal("updated", FromRecord((await collection.GetAsync(Key(1)))!, false).Title);
            foreach (Row row in Rows.Skip(2))
            {
                Assert.Equal(row, FromRecord((await collection.GetAsync(Key(row.Index), new() { IncludeVectors = true }))!, true), RowComparer.Instance);
            }

            var after = await collection.SearchAsync(query, 10, new VectorSearchOptions<TRecord> { Filter = Filter(3) }).Select(h => (IndexOf(h.Record), h.Score)).ToListAsync();
            Assert.Equal(before, after);
        }
    }

    [Fact]
    public async Task Reopening_with_another_schema_or_corrupt_files_gives_a_clear_error()
    {
        using (var store = NewStore(true))
        {
            await Filled(store, DistanceFunction.CosineSimilarity, IndexKind.Flat);
        }

        using (var store = NewStore(true))
        {
            var other = Collection(store, "items", DistanceFunction.EuclideanDistance, IndexKind.Flat);
            var e = await Assert.ThrowsAsync<VectorStoreException>(() => other.GetAsync(Key(1)));
            Assert.Contains("EuclideanDistance", e.Message);
            Assert.Contains("CosineSimilarity", e.Message);
        }

        string file = Path.Combine(_folder, "items", "collection.isvd");
        byte[] bytes = File.ReadAllBytes(file);
        bytes[^3] ^= 0x55;
        File.WriteAllBytes(file, bytes);
        using (var store = NewStore(true))
        {
            var collection = Collection(store, "items", DistanceFunction.CosineSimilarity, IndexKind.Flat);
            var e = await Assert.ThrowsAsync<VectorStoreException>(() => collection.GetAsync(Key(1)));
            Assert.IsType<InvalidDataException>(e.InnerException);
            Assert.Contains("checksum", e.Message);
        }
    }

    [Fact]
    public async Task A_bad_batch_changes_nothing()
    {
        using var store = NewStore(false);
        var collection = await Filled(store);
        Row bad = Rows[5] with { Index = Count + 1, Vector = new float[Row.Dimensions - 1] };
        var batch = new[] { ToRecord(Rows[4] with { Title = "should not land" }), ToRecord(bad) };
        await Assert.ThrowsAsync<ArgumentException>(() => collection.UpsertAsync(batch));
        Assert.Equal(Rows[4].Title, FromRecord((await collection.GetAsync(Key(4)))!, false).Title);
        Assert.Null(await collection.GetAsync(Key(Count + 1)));
    }

    [Fact]
    public async Task Readers_and_writers_can_run_at_once()
    {
        using var store = NewStore(true);
        var collection = await Filled(store, null, IndexKind.Hnsw);
        var writers = Enumerable.Range(0, 3).Select(w => Task.Run(async () =>
        {
            for (int i = w; i < 60; i += 3)
            {
                await collection.UpsertAsync(ToRecord(Rows[i] with { Title = "w" + i }));
                await collection.DeleteAsync(Key(100 + i));
            }
        }));
        var readers = Enumerable.Range(0, 3).Select(r => Task.Run(async () =>
        {
            for (int i = 0; i < 60; i++)
            {
                var hits = await collection.SearchAsync(Row.Query(i), 5, new VectorSearchOptions<TRecord> { Filter = Filter(0) }).ToListAsync();
                Assert.All(hits, h => Assert.True(ReferenceFilter(0)(Rows[IndexOf(h.Record)])));
                Assert.NotNull(await collection.GetAsync(Key(200 + i)));
            }
        }));
        await Task.WhenAll(writers.Concat(readers));
        for (int i = 0; i < 60; i++)
        {
            Assert.Equal("w" + i, FromRecord((await collection.GetAsync(Key(i)))!, false).Title);
            Assert.Null(await collection.GetAsync(Key(100 + i)));
        }

        using var reopened = new ImageSearchVectorStore(store.Folder!);
        Assert.Equal(Count - 60, await Collection(reopened, "items", null, IndexKind.Hnsw).GetAsync(_ => true, 10_000).CountAsync());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Text_vectors_are_generated_in_one_batch_searched_replaced_deleted_and_reopened(bool persistent)
    {
        string[] texts = ["a cat on a sofa", "two dogs in a park", "a red bus", "boats at sea", "zzz", "the quick brown fox"];
        Row[] rows = texts.Select((t, i) => new Row(i, t, 0, null, false, [], default, LetterEmbeddingGenerator.Embed(t))).ToArray();
        var generator = new LetterEmbeddingGenerator();
        using (ITextCollection collection = TextCollection(persistent ? _folder : null, generator))
        {
            await collection.EnsureExistsAsync();
            await collection.UpsertAsync(texts.Select((t, i) => (i, t)));
            Assert.Equal(1, generator.Calls); // one batch for the whole upsert

            for (int i = 0; i < texts.Length; i++)
            {
                // Every hit scores as the brute force of the generated vectors does, in order; the text itself first.
                var hits = await collection.SearchAsync(texts[i], texts.Length);
                var expected = Reference.Top(rows, LetterEmbeddingGenerator.Embed(texts[i]), DistanceFunction.EuclideanSquaredDistance, texts.Length);
                Assert.Equal(expected.Length, hits.Count);
                for (int j = 0; j < hits.Count; j++)
                {
                    Assert.Equal(expected[j].Score, hits[j].Score, 1e-6 * Math.Max(1, expected[j].Score));
                    Assert.Equal(Reference.Score(DistanceFunction.EuclideanSquaredDistance, LetterEmbeddingGenerator.Embed(texts[i]), rows[hits[j].Index].Vector), hits[j].Score, 1e-6 * Math.Max(1, hits[j].Score));
                }

                Assert.Equal(i, hits[0].Index);
            }

            Assert.Equal(1 + texts.Length, generator.Calls); // one call per search
            Assert.Equal(2, await collection.GetAsync(2));
            await Assert.ThrowsAsync<NotSupportedException>(() => collection.GetAsync(2, includeVectors: true)); // the text is not stored

            await collection.UpsertAsync([(1, texts[3])]); // replaces record 1's vector
            Assert.Equal([1, 3], (await collection.SearchAsync(texts[3], 2)).Select(h => h.Index).Order());
            Assert.All(await collection.SearchAsync(texts[3], 2), h => Assert.Equal(0, h.Score, 1e-6));
            await collection.DeleteAsync(4);
            Assert.Null(await collection.GetAsync(4));
            Assert.DoesNotContain(4, (await collection.SearchAsync(texts[4], texts.Length)).Select(h => h.Index));
        }

        if (persistent)
        {
            using ITextCollection reopened = TextCollection(_folder, new LetterEmbeddingGenerator());
            Assert.Equal([1, 3], (await reopened.SearchAsync(texts[3], 2)).Select(h => h.Index).Order());
            Assert.Null(await reopened.GetAsync(4));
            Assert.Equal(texts.Length - 1, (await reopened.SearchAsync("anything", 100)).Count);
        }
    }

    [Fact]
    public void Metadata_is_offered_through_GetService()
    {
        using var store = NewStore(false);
        var collection = Collection(store, "items");
        var metadata = (VectorStoreCollectionMetadata?)collection.GetService(typeof(VectorStoreCollectionMetadata));
        Assert.Equal("imagesearch", metadata!.VectorStoreSystemName);
        Assert.Equal("items", metadata.CollectionName);
        Assert.Equal("imagesearch", ((VectorStoreMetadata?)store.GetService(typeof(VectorStoreMetadata)))!.VectorStoreSystemName);
        Assert.Same(store, store.GetService(typeof(ImageSearchVectorStore)));
        Assert.Null(store.GetService(typeof(string)));
    }

    /// <summary>Rows by value: tags as sequences, vectors within float rounding.</summary>
    protected sealed class RowComparer : IEqualityComparer<Row>
    {
        public static readonly RowComparer Instance = new();

        public bool Equals(Row? a, Row? b)
            => a is not null && b is not null && a with { Tags = [], Vector = [] } == b with { Tags = [], Vector = [] }
                && a.Tags.SequenceEqual(b.Tags) && a.Vector.Zip(b.Vector).All(p => Math.Abs(p.First - p.Second) < 1e-5f) && a.Vector.Length == b.Vector.Length;

        public int GetHashCode(Row obj) => obj.Index;
    }
}
