namespace ImageSearch;

/// <summary>A search result joined with the caller's payload for its key (a file path, a word, ...).</summary>
/// <typeparam name="TPayload">The payload type.</typeparam>
/// <param name="Rank">1 for the nearest hit.</param>
/// <param name="Key">The index key.</param>
/// <param name="Distance">The distance under the index's metric; smaller is closer.</param>
/// <param name="Payload">The payload of <paramref name="Key"/>.</param>
public readonly record struct SearchHit<TPayload>(int Rank, long Key, float Distance, TPayload Payload);
