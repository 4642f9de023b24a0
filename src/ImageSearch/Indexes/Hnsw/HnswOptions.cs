
namespace ImageSearch;

/// <summary>
/// Construction parameters of an <see cref="HnswIndex"/> (Malkov and Yashunin's HNSW). The defaults suit 50- to
/// 1000-dimensional embeddings; raise <see cref="M"/> and <see cref="EfConstruction"/> for higher recall at the cost of
/// build time and memory. Read once by the index constructor. Threads are set on the index
/// (<see cref="HnswIndex.MaxDegreeOfParallelism"/>), since they belong to the machine rather than to the saved index.
/// </summary>
public sealed record HnswOptions
{
    /// <summary>
    /// Links per node on the upper layers; layer 0 keeps <c>2 * M</c>. 4 to 64 are sensible; default 16.
    /// Memory per vector grows by about <c>8 * M + 4</c> bytes.
    /// </summary>
    public int M { get; init; } = 16;

    /// <summary>Candidate list size while linking a new vector (<c>efConstruction</c>); at least 1, default 200.</summary>
    public int EfConstruction { get; init; } = 200;

    /// <summary>
    /// Default candidate list size of a search (<c>ef</c>), used when <see cref="SearchOptions.Ef"/> is not set; a search
    /// always uses at least k. Default 64. Saved with the index.
    /// </summary>
    public int Ef { get; init; } = 64;

    /// <summary>
    /// Seed of the level generator. A single-threaded build (one <see cref="HnswIndex.Add"/> at a time, or
    /// <see cref="HnswIndex.AddRange"/> with <see cref="HnswIndex.MaxDegreeOfParallelism"/> 1) with the same
    /// seed and the same input builds the same graph. Default 100 (as hnswlib).
    /// </summary>
    public int Seed { get; init; } = 100;

    /// <summary>
    /// Level multiplier <c>mL</c>: a vector reaches level l with probability <c>exp(-l / mL)</c>.
    /// <see langword="null"/> (default) uses <c>1 / ln(M)</c>, the paper's choice.
    /// </summary>
    public double? LevelMultiplier { get; init; }

    /// <summary>
    /// How vectors are stored; <see cref="VectorElementType.Float16"/> halves vector memory (slower distances),
    /// <see cref="VectorElementType.Int8"/> quarters it (approximate distances; see <see cref="KeepFloat32Rows"/>).
    /// </summary>
    public VectorElementType ElementType { get; init; } = VectorElementType.Float32;

    /// <summary>
    /// With <see cref="VectorElementType.Int8"/>: also keep every row in f32 (<c>4 * dimension + 8</c> more bytes per
    /// vector). The graph's links are then chosen on f32 distances (an insertion finds its candidates on the 8-bit
    /// codes, then scores them on f32); a search traverses it on the codes (fewer bytes per distance) and re-ranks its
    /// ef candidates on f32, so results carry exact f32 distances and recall stays close to
    /// a Float32 index at the same ef. Default false. Only valid with Int8. Saved with the index.
    /// </summary>
    public bool KeepFloat32Rows { get; init; }

    /// <summary>
    /// Filtered searches whose filter admits less than this fraction of the vectors (estimated on a fixed sample of
    /// 256 slots) skip the graph and scan the allowed vectors exactly. Between 0 and 1; default 0.03 (3 %).
    /// </summary>
    public double ExactFilterThreshold { get; init; } = 0.03;

    internal void Validate()
    {
        if (M is < 2 or > 256)
        {
            throw new ArgumentOutOfRangeException(nameof(M), M, "M must be between 2 and 256.");
        }

        if (EfConstruction < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(EfConstruction), EfConstruction, "EfConstruction must be positive.");
        }

        if (Ef < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Ef), Ef, "Ef must be positive.");
        }

        if (LevelMultiplier is { } ml && !(ml > 0 && double.IsFinite(ml)))
        {
            throw new ArgumentOutOfRangeException(nameof(LevelMultiplier), ml, "LevelMultiplier must be positive and finite.");
        }

        if (ElementType is not (VectorElementType.Float32 or VectorElementType.Float16 or VectorElementType.Int8))
        {
            throw new ArgumentOutOfRangeException(nameof(ElementType), ElementType, "Unknown element type.");
        }

        if (KeepFloat32Rows && ElementType != VectorElementType.Int8)
        {
            throw new ArgumentException($"KeepFloat32Rows applies to {VectorElementType.Int8} only, not {ElementType}.", nameof(KeepFloat32Rows));
        }

        if (!(ExactFilterThreshold >= 0 && ExactFilterThreshold <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(ExactFilterThreshold), ExactFilterThreshold, "ExactFilterThreshold must be between 0 and 1.");
        }
    }
}
