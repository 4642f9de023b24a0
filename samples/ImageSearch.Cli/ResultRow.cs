namespace ImageSearch.Cli;

/// <summary>One printed result: a photo (path and label) or a word.</summary>
/// <param name="Rank">1 for the nearest.</param>
/// <param name="Distance">Distance to the query (cosine distance; smaller is closer).</param>
/// <param name="Path">The photo's path, or <see langword="null"/> for a word.</param>
/// <param name="Label">The photo's folder label.</param>
/// <param name="Word">The word, or <see langword="null"/> for a photo.</param>
/// <param name="Description">The photo's description (<see cref="PhotoInfo.Description"/>), or <see langword="null"/>.</param>
public sealed record ResultRow(int Rank, float Distance, string? Path = null, string? Label = null, string? Word = null, string? Description = null);
