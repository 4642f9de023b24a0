namespace ImageSearch.Tests.Indexes;

/// <summary>The internal prepare-then-add path the VectorData connector uses must store exactly what AddRange stores.</summary>
public class ExactIndexPreparedTests
{
    [Theory]
    [MemberData(nameof(ExactIndexTests.Kinds), MemberType = typeof(ExactIndexTests))]
    public void AddPreparedStoresWhatAddRangeStores(DistanceMetric metric, VectorElementType type)
    {
        const int count = 300, dim = 24;
        float[] rows = NaiveReference.RandomVectors(new Random(11), count, dim);
        long[] keys = Enumerable.Range(0, count).Select(i => (i * 31L) - 400).ToArray();
        var viaAddRange = new ExactIndex(dim, metric, type);
        viaAddRange.AddRange(keys, rows);

        var viaPrepared = new ExactIndex(dim, metric, type);
        float[] prepared = new float[rows.Length];
        for (int i = 0; i < count; i++)
        {
            viaPrepared.PrepareRow(rows.AsSpan(i * dim, dim), prepared.AsSpan(i * dim, dim), "rows");
        }

        viaPrepared.AddPrepared(keys, prepared);
        Assert.Equal(count, viaPrepared.Count);
        float[] a = new float[dim], b = new float[dim];
        foreach (long key in keys)
        {
            Assert.True(viaAddRange.TryGetVector(key, a));
            Assert.True(viaPrepared.TryGetVector(key, b));
            Assert.Equal(a, b);
        }
    }

    [Fact]
    public void PrepareRowRefusesWhatAddRangeRefuses()
    {
        var index = new ExactIndex(4, DistanceMetric.Cosine);
        var destination = new float[4];
        Assert.Equal("v", Assert.Throws<ArgumentException>(() => index.PrepareRow(new float[4], destination, "v")).ParamName);
        Assert.Throws<ArgumentException>(() => index.PrepareRow([1f, float.NaN, 0f, 0f], destination, "v"));
        Assert.Throws<ArgumentException>(() => index.PrepareRow([1f, 2f, 3f], destination, "v"));
    }

    [Fact]
    public void AddPreparedRefusesAWrongLengthOrADuplicateKeyAndChangesNothing()
    {
        var index = new ExactIndex(2, DistanceMetric.SquaredL2);
        index.AddPrepared([1, 2], [1f, 0f, 0f, 1f]);
        Assert.Equal("prepared", Assert.Throws<ArgumentException>(() => index.AddPrepared([3], [1f, 2f, 3f])).ParamName);
        Assert.Throws<ArgumentException>(() => index.AddPrepared([3, 1], [1f, 1f, 2f, 2f]));
        Assert.Equal(2, index.Count);
        Assert.False(index.Contains(3));
    }
}
