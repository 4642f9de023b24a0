namespace ImageSearch.Ann.Tests;

public class ScaleRowAndPeerTests
{
    [Fact]
    public void PeerLinesAreParsedPerLibrary()
    {
        var results = new Dictionary<string, PeerResult>();
        foreach (string line in new[]
        {
            "# a comment", "peer hnswlib build_s 12.5", "peer hnswlib bytes_per_vector 548.6",
            "peer hnswlib ef 40 recall@10 0.9559 qps 15750.3", "peer other ef 10 recall@10 0.5 qps 1e4",
        })
        {
            PeerRunner.Parse(line, results);
        }

        Assert.Equal(12.5, results["hnswlib"].BuildSeconds);
        Assert.Equal(548.6, results["hnswlib"].BytesPerVector);
        Assert.Equal([new SweepPoint(40, 0.9559, 15750.3)], results["hnswlib"].Points);
        Assert.Equal(10000, results["other"].Points[0].Qps);
    }

    [Fact]
    public void PeerCommandGetsTheDirectoryWhereItAsks()
    {
        var results = PeerRunner.Run("printf 'peer p ef 10 recall@10 0.5 qps 7\\npeer p build_s %s\\n' {dir}; echo", "12.5",
            new Dictionary<string, string>());
        Assert.Equal(12.5, results["p"].BuildSeconds);
    }

    [Fact]
    public void CsvRoundTripsAndKeepsOneHeader()
    {
        string path = Path.Combine(Path.GetTempPath(), $"scale-{Guid.NewGuid():N}.csv");
        try
        {
            var row = new ScaleRow("clustered-100", 20000, 100, "cosine", "ours", 2, 8.46, 727.5, 35.4, 0.95, 7540.2, 1, "Xeon, x2", "2026-11-27T12:00:00Z", ScaleRow.Summary, 681.2);
            ScaleRow.Append(path, [row]);
            ScaleRow.Append(path, [row with { Library = "hnswlib" }]);
            Assert.Single(File.ReadAllLines(path), l => l == ScaleRow.Header);
            var back = ScaleRow.ReadAll(path);
            Assert.Equal(2, back.Count);
            Assert.Equal(row with { Cpu = "Xeon; x2", BuildSeconds = 8.46 }, back[0]);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
