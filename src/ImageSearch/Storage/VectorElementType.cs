namespace ImageSearch;

/// <summary>How an index stores vector elements. Arithmetic is always done in <see cref="float"/>.</summary>
public enum VectorElementType
{
    /// <summary>32-bit IEEE floats: 4 bytes per element, exact.</summary>
    Float32 = 1,

    /// <summary>
    /// 16-bit IEEE floats (<see cref="Half"/>): 2 bytes per element, about 3 significant decimal digits.
    /// Halves memory and bandwidth; values beyond +/-65504 are rejected when added.
    /// </summary>
    Float16 = 2,

    /// <summary>
    /// 8-bit scalar quantisation: 1 byte per element, a quarter of <see cref="Float32"/>. Each dimension j has an offset
    /// and a step trained from the data, as the minimum and (maximum - minimum) / 255 of the rows of the first
    /// <c>Add</c> or <c>AddRange</c> into an empty index (so add a representative batch first); a value is stored as the
    /// nearest of the 256 levels <c>offset + step * c</c>, and values outside the trained range are clamped to its ends.
    /// Searches compare the f32 query with the 8-bit rows (the query is not quantised to 8 bits; distances are
    /// approximate, a quarter of the bytes are read). An index can also keep
    /// the f32 rows (<see cref="ExactIndex(int, DistanceMetric, VectorElementType, bool)"/>,
    /// <see cref="HnswOptions.KeepFloat32Rows"/>) and then returns exact f32 distances.
    /// </summary>
    Int8 = 3,
}
