namespace ImageSearch.Ann.Tests;

public class RecallTargetTests
{
    [Fact]
    public void InterpolatesLogQpsAndEfLinearlyInRecall()
    {
        SweepPoint[] points = [new(80, 0.99, 1000), new(20, 0.90, 4000), new(40, 0.94, 2000)];
        SweepPoint? p = RecallTarget.Interpolate(points, 0.965);
        Assert.NotNull(p);
        Assert.Equal(60, p.Value.Ef, 6); // halfway between ef 40 (0.94) and ef 80 (0.99)
        Assert.Equal(Math.Sqrt(2000 * 1000), p.Value.Qps, 6); // halfway in log q/s: the geometric mean
        Assert.Equal(0.965, p.Value.Recall);
    }

    [Fact]
    public void ExactHitIsThatPoint()
        => Assert.Equal(new SweepPoint(40, 0.95, 2000), RecallTarget.Interpolate([new(20, 0.9, 4000), new(40, 0.95, 2000)], 0.95));

    [Fact]
    public void NotBracketedIsNullAndSaysWhichWayToExtend()
    {
        SweepPoint[] low = [new(10, 0.80, 9000), new(20, 0.90, 5000)];
        Assert.Null(RecallTarget.Interpolate(low, 0.95));
        Assert.True(RecallTarget.NeedsHigherEf(low, 0.95));
        Assert.False(RecallTarget.NeedsLowerEf(low, 0.95));

        SweepPoint[] high = [new(20, 0.97, 9000), new(40, 0.99, 5000)];
        Assert.Null(RecallTarget.Interpolate(high, 0.95));
        Assert.True(RecallTarget.NeedsLowerEf(high, 0.95));
        Assert.False(RecallTarget.NeedsHigherEf(high, 0.95));
    }
}
