namespace ImageSearch;

/// <summary>
/// A record as the store keeps it: its key, its data values in the stored schema's order (tags as <c>string[]</c>), and
/// per vector property the length the vector had before the index normalised it (1 when the metric does not
/// normalise, NaN when the record has no vector there). Vectors themselves live in the indexes. Immutable once stored:
/// an upsert replaces the whole object, so readers never see a half-updated record.
/// </summary>
internal sealed class StoredRecord(object key, object?[] data, float[] norms)
{
    public object Key { get; } = key;

    public object?[] Data { get; } = data;

    public float[] Norms { get; } = norms;

    public bool HasVector(int vector) => !float.IsNaN(Norms[vector]);
}

/// <summary>
/// A validated record on its way into the store: the record as it will be stored (made once, in one pass over the
/// caller's record), and its vectors, checked and (for cosine) measured, not copied (the index copies them); a vector
/// property without a vector has a NaN norm.
/// </summary>
internal readonly record struct PendingRecord(StoredRecord Record, ReadOnlyMemory<float>[] Vectors);
