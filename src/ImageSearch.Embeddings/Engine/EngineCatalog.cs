using System.Collections.Immutable;

namespace ImageSearch;

/// <summary>
/// An immutable snapshot of an engine's photos by key (and by path). <see cref="Version"/> counts changes to the set of
/// vectors (not re-stamped times), so derived models (class weights) know when they are stale.
/// </summary>
internal sealed class EngineCatalog(ImmutableDictionary<long, PhotoInfo> photos, long nextKey, long version)
{
    public static readonly EngineCatalog Empty = new(ImmutableDictionary<long, PhotoInfo>.Empty, 0, 0);

    public long Version { get; } = version;

    public ImmutableDictionary<long, PhotoInfo> Photos { get; } = photos;

    public ImmutableDictionary<string, long> ByPath { get; } = photos.ToImmutableDictionary(p => p.Value.Path, p => p.Key, StringComparer.Ordinal);

    public long NextKey { get; } = nextKey;

    public IReadOnlyList<string> Labels => Photos.Values.Select(p => p.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
}
