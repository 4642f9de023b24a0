namespace ImageSearch.Orleans.Tests;

/// <summary>Seeded random vectors, with some exact duplicates so that ties (equal distances) occur and are broken by key.</summary>
internal static class Data
{
    public static float[] Vectors(int count, int dim, int seed, int duplicateEvery = 7)
    {
        var random = new Random(seed);
        var v = new float[count * dim];
        for (int i = 0; i < count; i++)
        {
            if (duplicateEvery > 0 && i % duplicateEvery == duplicateEvery - 1)
            {
                v.AsSpan((i - 1) * dim, dim).CopyTo(v.AsSpan(i * dim)); // same vector as the row before, another key
                continue;
            }

            for (int j = 0; j < dim; j++)
            {
                v[(i * dim) + j] = (float)((random.NextDouble() * 2) - 1);
            }
        }

        return v;
    }

    public static long[] Keys(int count, long first = 1) => [.. Enumerable.Range(0, count).Select(i => first + (i * 3L))];

    public static string NewName(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];
}
