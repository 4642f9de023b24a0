
namespace ImageSearch.Tests.Readme;

/// <summary>
/// The README's core examples, compiled and run. Each region between "// README:name" and "// END" must appear in README.md
/// verbatim (checked by <see cref="ReadmeSync"/>), so the README cannot drift from code that works.
/// </summary>
public class ReadmeCoreExamples
{
    [Fact]
    public void ExactAndHnsw()
    {
        string path = Path.Combine(Path.GetTempPath(), $"readme-{Guid.NewGuid():N}.isidx");
        try
        {
            // README:indexes
            var index = new ExactIndex(dimension: 3, DistanceMetric.Cosine);
            index.Add(1, [1f, 0f, 0f]);
            index.Add(2, [0.9f, 0.1f, 0f]);
            index.Add(3, [0f, 0f, 1f]);

            SearchResult[] hits = index.Search([1f, 0.05f, 0f], k: 2);   // key 1 at 0.0012, key 2 at 0.0018: nearest first
            SearchResult[] odd = index.Search([1f, 0f, 0f], k: 2, new SearchOptions { Filter = key => key % 2 == 1 });

            var hnsw = new HnswIndex(dimension: 3, DistanceMetric.Cosine, new HnswOptions { M = 16, EfConstruction = 200 });
            hnsw.AddRange([1, 2, 3], [1f, 0f, 0f, 0.9f, 0.1f, 0f, 0f, 0f, 1f]);
            SearchResult[] approx = hnsw.Search([1f, 0.05f, 0f], k: 2, new SearchOptions { Ef = 64 });

            index.Save(path);                                        // atomic, checksummed
            IVectorIndex loaded = VectorIndex.Load(path);            // ExactIndex or HnswIndex, whichever was saved
            using MappedIndex mapped = MappedIndex.Open(path);       // read-only: opens without reading the rows
            SearchResult[] same = mapped.Search([1f, 0.05f, 0f], k: 2);   // what hits holds, bit for bit
            // END

            Assert.Equal([1L, 2L], hits.Select(h => h.Key));
            Assert.Equal(0.0012, hits[0].Distance, 0.0001);
            Assert.Equal(0.0018, hits[1].Distance, 0.0001);
            Assert.Equal([1L, 3L], odd.Select(h => h.Key));
            Assert.Equal([1L, 2L], approx.Select(h => h.Key));
            Assert.Equal(3, loaded.Count);
            Assert.Equal(hits, same);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task QueryComposition()
    {
        var index = new ExactIndex(dimension: 2, DistanceMetric.Cosine);
        index.AddRange([10, 11, 12], [1f, 0f, 0f, 1f, 1f, 1f]);
        string[] names = ["east", "north", "north-east"];
        float[] east = [1f, 0f], north = [0f, 1f];
        float[] classWeights = [0.2f, 1f];

        // README:queries
        IReadOnlyList<SearchHit<string>> result = await new QueryBuilder(index.Dimension)
            .Add(east)                    // or .Add(imageEmbedder, ImageInput.FromFile("photo.jpg")), .Add(wordEmbedder, "sofa", weight: 0.5f)
            .Add(north, weight: 0.5f)
            .Subtract([0.1f, 0f])
            .Combine(TermCombination.Sum) // or Average
            .WithClassWeights(classWeights)
            .Take(3)
            .SearchAsync(index, key => names[key - 10]);
        // END

        Assert.Equal(3, result.Count);
        Assert.Equal("north-east", result[0].Payload);
    }
}
