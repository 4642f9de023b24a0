namespace ImageSearch;

/// <summary>
/// Progress of a long index operation (<see cref="IVectorIndex.AddRange"/>, <see cref="IReadOnlyVectorIndex.SearchBatch"/>,
/// <see cref="IVectorIndex.Compact"/>): how many items (vectors or queries) are done out of how many.
/// </summary>
/// <param name="Completed">Items done so far.</param>
/// <param name="Total">Items in the operation.</param>
public readonly record struct IndexProgress(long Completed, long Total);
