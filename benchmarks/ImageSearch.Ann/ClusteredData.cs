namespace ImageSearch.Ann;

/// <summary>
/// A seeded Gaussian mixture for the scale benchmark (issue 13 goal 5). <see cref="Clusters"/> centres are drawn once
/// from N(0, 1) per coordinate; each cluster has its own spread, log-uniform in [spread / 2, 2 x spread], so dense and
/// loose clusters sit side by side as in real embeddings; within a cluster coordinate j has standard deviation
/// proportional to clusterSpread x (1 + j)^-decay, a power-law spectrum that gives the data a lower intrinsic dimension than d
/// (isotropic Gaussians in 100+ dimensions have almost no near-neighbour structure, which no real embedding set looks
/// like). A point picks its cluster uniformly. With <see cref="Normalize"/> rows are scaled to unit length (for cosine).
/// </summary>
/// <remarks>
/// Deterministic: rows come in blocks of <see cref="BlockRows"/>, each drawn from its own <see cref="Random"/> seeded from
/// (seed, stream, block), so the base set (stream 0) and the queries (stream 1) are independent samples of the same
/// distribution, and any block can be made without the ones before it. Seeded <see cref="Random"/> keeps its legacy
/// algorithm for compatibility; the sequence is the same on every .NET version so far.
/// </remarks>
internal sealed class ClusteredData
{
    public const int BlockRows = 16_384;

    private readonly float[] _centres;
    private readonly float[] _clusterSpread;
    private readonly float[] _axisScale;

    public ClusteredData(int dimension, int clusters, float spread, float decay, bool normalize, int seed)
    {
        Dimension = dimension;
        Clusters = clusters;
        Normalize = normalize;
        Seed = seed;
        var rng = new Random(Mix(seed, -1, 0));
        _centres = new float[(long)clusters * dimension];
        FillNormal(rng, _centres);
        _clusterSpread = new float[clusters];
        for (int c = 0; c < clusters; c++)
        {
            _clusterSpread[c] = spread * MathF.Pow(2f, (2f * rng.NextSingle()) - 1f);
        }

        // Scaled so that spread = 1 gives a cluster the same total variance as the centres have (d): spread is the
        // ratio of a cluster's size to the distance between clusters, whatever the dimension and decay.
        double spectrum = 0;
        for (int j = 0; j < dimension; j++) spectrum += Math.Pow(1 + j, -2.0 * decay);
        _axisScale = new float[dimension];
        for (int j = 0; j < dimension; j++)
        {
            _axisScale[j] = (float)(Math.Sqrt(dimension / spectrum) * Math.Pow(1 + j, -decay));
        }
    }

    public int Dimension { get; }

    public int Clusters { get; }

    public bool Normalize { get; }

    public int Seed { get; }

    /// <summary>Fills <paramref name="rows"/> (a whole number of rows, at most one block) with block <paramref name="block"/> of a stream.</summary>
    public void FillBlock(int stream, int block, Span<float> rows)
    {
        int dim = Dimension;
        var rng = new Random(Mix(Seed, stream, block));
        FillNormal(rng, rows);
        for (int r = 0; r < rows.Length / dim; r++)
        {
            Span<float> row = rows.Slice(r * dim, dim);
            int c = rng.Next(Clusters);
            ReadOnlySpan<float> centre = _centres.AsSpan(c * dim, dim);
            float s = _clusterSpread[c];
            float norm = 0;
            for (int j = 0; j < dim; j++)
            {
                row[j] = centre[j] + (s * _axisScale[j] * row[j]);
                norm += row[j] * row[j];
            }

            if (Normalize && norm > 0)
            {
                float inv = 1f / MathF.Sqrt(norm);
                for (int j = 0; j < dim; j++) row[j] *= inv;
            }
        }
    }

    // Box-Muller: two standard normals per pair of uniforms.
    private static void FillNormal(Random rng, Span<float> values)
    {
        for (int i = 0; i < values.Length; i += 2)
        {
            double u1 = 1.0 - rng.NextDouble(); // (0, 1]: no log(0)
            double u2 = rng.NextDouble();
            double radius = Math.Sqrt(-2.0 * Math.Log(u1));
            values[i] = (float)(radius * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < values.Length) values[i + 1] = (float)(radius * Math.Sin(2 * Math.PI * u2));
        }
    }

    // SplitMix64 finaliser over (seed, stream, block): distinct, well-spread seeds (HashCode is randomised per process).
    private static int Mix(int seed, int stream, int block)
    {
        ulong z = ((ulong)(uint)seed << 32) ^ ((ulong)(uint)stream << 20) ^ (uint)block;
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) & int.MaxValue);
    }
}
