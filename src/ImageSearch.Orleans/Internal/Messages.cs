namespace ImageSearch;

/// <summary>One shard's answer to one query: its top k, nearest first (ties by key), as parallel arrays.</summary>
[GenerateSerializer, Immutable]
internal sealed record ShardHits([property: Id(0)] long[] Keys, [property: Id(1)] float[] Distances)
{
    public static readonly ShardHits Empty = new([], []);

    public static ShardHits From(ReadOnlySpan<SearchResult> results)
    {
        var keys = new long[results.Length];
        var distances = new float[results.Length];
        for (int i = 0; i < results.Length; i++)
        {
            keys[i] = results[i].Key;
            distances[i] = results[i].Distance;
        }

        return new ShardHits(keys, distances);
    }
}

/// <summary>What a shard searches with: k, ef, an optional allowed-key list (only this shard's keys) and element weights.</summary>
[GenerateSerializer, Immutable]
internal sealed record ShardQuery
{
    [Id(0)] public int K { get; init; }
    [Id(1)] public int? Ef { get; init; }
    [Id(2)] public long[]? AllowedKeys { get; init; }
    [Id(3)] public float[]? ElementWeights { get; init; }
}
