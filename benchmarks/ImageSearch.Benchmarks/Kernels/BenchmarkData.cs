namespace ImageSearch.Benchmarks.Kernels;

/// <summary>Deterministic random vectors in [-1, 1) (seed 42).</summary>
internal static class BenchmarkData
{
    public static float[] Floats(int length, int seed = 42)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return values;
    }

    public static Half[] Halves(int length, int seed = 43) => Array.ConvertAll(Floats(length, seed), v => (Half)v);
}
