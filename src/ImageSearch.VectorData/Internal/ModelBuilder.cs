using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;

namespace ImageSearch;

/// <summary>
/// Builds the abstractions' <see cref="CollectionModel"/> with this store's rules: keys Guid, string, int or long;
/// data of the <see cref="StoredTypes.SupportedData"/> types; vectors of <c>float</c>; several vector properties; only the
/// distance functions and index kinds the indexes implement, refused here, when the collection object is made.
/// </summary>
internal sealed class ModelBuilder() : CollectionModelBuilder(new CollectionModelBuildingOptions
{
    SupportsMultipleVectors = true,
    RequiresAtLeastOneVector = false,
})
{
    public const string SupportedVectors = "ReadOnlyMemory<float>, Embedding<float>, float[] (nullable or not)";

    public static CollectionModel BuildFor(Type recordType, Type keyType, VectorStoreCollectionDefinition? definition, IEmbeddingGenerator? generator)
    {
        if (recordType == typeof(Dictionary<string, object?>))
        {
            throw new NotSupportedException("Dictionary<string, object?> records use the dynamic collection: call GetDynamicCollection.");
        }

        if (keyType != typeof(Guid) && keyType != typeof(string) && keyType != typeof(int) && keyType != typeof(long) && keyType != typeof(object))
        {
            throw new NotSupportedException($"Key type '{keyType.Name}' is not supported; keys are {StoredTypes.SupportedKeys}.");
        }

        return BuildReflected(recordType, keyType, definition, generator);
    }

    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Record types are reflected as the abstractions do; documented as not trimming-safe.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Record types are reflected as the abstractions do; documented as not AOT-safe.")]
    private static CollectionModel BuildReflected(Type recordType, Type keyType, VectorStoreCollectionDefinition? definition, IEmbeddingGenerator? generator)
        => new ModelBuilder().Build(recordType, keyType, definition, generator);

    public static CollectionModel BuildDynamicFor(VectorStoreCollectionDefinition definition, IEmbeddingGenerator? generator)
        => new ModelBuilder().BuildDynamic(definition, generator);

    protected override bool IsDataPropertyTypeValid(Type type, [NotNullWhen(false)] out string? supportedTypes)
    {
        supportedTypes = StoredTypes.SupportedData;
        return StoredTypes.TryGet(type, out _);
    }

    protected override bool IsVectorPropertyTypeValid(Type type, [NotNullWhen(false)] out string? supportedTypes)
    {
        supportedTypes = SupportedVectors;
        Type t = Nullable.GetUnderlyingType(type) ?? type;
        return t == typeof(ReadOnlyMemory<float>) || t == typeof(Embedding<float>) || t == typeof(float[]);
    }

    protected override void ValidateKeyProperty(KeyPropertyModel keyProperty)
    {
        base.ValidateKeyProperty(keyProperty);
        if (!StoredTypes.TryGet(keyProperty.Type, out StoredType t) || !StoredTypes.IsKey(t) || Nullable.GetUnderlyingType(keyProperty.Type) is not null)
        {
            throw new NotSupportedException($"Key property '{keyProperty.ModelName}' has type '{keyProperty.Type.Name}'; keys are {StoredTypes.SupportedKeys}.");
        }
    }

    protected override void Validate(Type? type, VectorStoreCollectionDefinition? definition)
    {
        base.Validate(type, definition);
        foreach (VectorPropertyModel v in VectorProperties)
        {
            if (!VectorScoring.IsSupportedDistance(v.DistanceFunction))
            {
                throw new NotSupportedException($"Vector property '{v.ModelName}' uses distance function '{v.DistanceFunction}', which ImageSearch does not support; use one of {string.Join(", ", VectorScoring.DistanceFunctions)}.");
            }

            if (!VectorScoring.IsSupportedIndexKind(v.IndexKind))
            {
                throw new NotSupportedException($"Vector property '{v.ModelName}' uses index kind '{v.IndexKind}', which ImageSearch does not support; use {Microsoft.Extensions.VectorData.IndexKind.Hnsw} (HnswIndex, the default) or {Microsoft.Extensions.VectorData.IndexKind.Flat} (ExactIndex).");
            }
        }
    }
}
