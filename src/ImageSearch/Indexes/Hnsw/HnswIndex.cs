namespace ImageSearch.Indexes.Hnsw;

/// <summary>Placeholder; the real one lands with the HNSW issue.</summary>
public sealed class HnswIndex
{
}
