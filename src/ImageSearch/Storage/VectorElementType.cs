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
}
