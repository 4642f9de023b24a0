namespace ImageSearch.Ann.Tests;

public class ClusteredDataTests
{
    [Fact]
    public void SameSeedSameRowsAndStreamsDiffer()
    {
        var a = new ClusteredData(16, 10, 1f, 0.5f, normalize: true, seed: 7);
        var b = new ClusteredData(16, 10, 1f, 0.5f, normalize: true, seed: 7);
        float[] x = new float[100 * 16], y = new float[100 * 16], q = new float[100 * 16];
        a.FillBlock(0, 3, x);
        b.FillBlock(0, 3, y);
        a.FillBlock(1, 3, q);
        Assert.Equal(x, y);
        Assert.NotEqual(x, q);
    }

    [Fact]
    public void NormalizedRowsHaveUnitLength()
    {
        var data = new ClusteredData(32, 5, 1f, 0.5f, normalize: true, seed: 1);
        float[] rows = new float[50 * 32];
        data.FillBlock(0, 0, rows);
        for (int r = 0; r < 50; r++)
        {
            double norm = Math.Sqrt(rows.AsSpan(r * 32, 32).ToArray().Sum(v => (double)v * v));
            Assert.Equal(1.0, norm, 5);
        }
    }
}
