namespace ImageSearch.Indexes;

/// <summary>Placeholder; the real one lands shortly.</summary>
public sealed class ExactIndex
{
}
