namespace ImageSearch.Indexes;
/// <summary>Placeholder.</summary>
public static class VectorIndex
{
    /// <summary>Placeholder.</summary>
    public static IVectorIndex Load(string path) => throw new NotImplementedException();
}
