namespace ImageSearch.Ann.Tests;

public sealed class TexmexTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ann-tests").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void WriterAndReadersRoundTrip()
    {
        string path = Path.Combine(_dir, "x.fvecs");
        float[] rows = Enumerable.Range(0, 7 * 3).Select(i => i * 0.5f).ToArray();
        using (var writer = new TexmexWriter(path, 3))
        {
            writer.Write<float>(rows.AsSpan(0, 9));
            writer.Write<float>(rows.AsSpan(9));
        }

        Assert.Equal((7, 3), TexmexReader.Shape(path));
        Assert.Equal(rows, TexmexReader.ReadFvecs(path).Data);
        Assert.Equal(rows[..12], TexmexReader.ReadFvecs(path, limit: 4).Data);
        var chunks = TexmexReader.ReadFvecsChunks(path, 3).Select(c => c.Chunk.AsSpan(0, c.Rows * c.Dimension).ToArray()).ToList();
        Assert.Equal(3, chunks.Count);
        Assert.Equal(rows, chunks.SelectMany(c => c).ToArray());
    }

    [Fact]
    public void RowWithAnotherDimensionIsRejected()
    {
        string path = Path.Combine(_dir, "bad.ivecs");
        File.WriteAllBytes(path, [2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0]);
        Assert.Throws<InvalidDataException>(() => TexmexReader.ReadIvecs(path));
    }

    [Fact]
    public void GroundTruthIsTheExactTopK()
    {
        string basePath = Path.Combine(_dir, "base.fvecs");
        using (var writer = new TexmexWriter(basePath, 2))
        {
            writer.Write<float>([1, 0, 0, 1, -1, 0, 0.9f, 0.1f]);
        }

        GroundTruth.Write(basePath, int.MaxValue, [1, 0], DistanceMetric.Cosine, 100, Path.Combine(_dir, "gt.ivecs"));
        var (gt, count, k) = TexmexReader.ReadIvecs(Path.Combine(_dir, "gt.ivecs"));
        Assert.Equal((1, 4), (count, k)); // k clamps to n
        Assert.Equal([0, 3, 1, 2], gt);
    }
}
