using System.Linq.Expressions;
using Microsoft.Extensions.AI;

namespace ImageSearch.VectorData.Tests;

// ---------------------------------------------------------------- attribute-annotated records

public sealed class AttributedRecord<TKey>
{
    [VectorStoreKey]
    public TKey Id { get; set; } = default!;

    [VectorStoreData]
    public string? Title { get; set; }

    [VectorStoreData(IsIndexed = true)]
    public int Rank { get; set; }

    [VectorStoreData]
    public double? Score { get; set; }

    [VectorStoreData]
    public bool Active { get; set; }

    [VectorStoreData]
    public List<string> Tags { get; set; } = [];

    [VectorStoreData(StorageName = "when")]
    public DateTimeOffset When { get; set; }

    [VectorStoreVector(Row.Dimensions)]
    public ReadOnlyMemory<float> Vector { get; set; }

    [VectorStoreData]
    public int Index { get; set; }
}

/// <summary>A record whose vector is generated from its text by the store's embedding generator.</summary>
public sealed class AttributedText<TKey>
{
    [VectorStoreKey]
    public TKey Id { get; set; } = default!;

    [VectorStoreData]
    public int Index { get; set; }

    [VectorStoreVector(Row.Dimensions, DistanceFunction = DistanceFunction.EuclideanSquaredDistance, IndexKind = IndexKind.Flat)]
    public string? Text { get; set; }
}

public abstract class AttributedContract<TKey> : CollectionContract<TKey, AttributedRecord<TKey>>
    where TKey : notnull
{
    protected override AttributedRecord<TKey> ToRecord(Row row) => new()
    {
        Id = Key(row.Index), Index = row.Index, Title = row.Title, Rank = row.Rank, Score = row.Score, Active = row.Active,
        Tags = [.. row.Tags], When = row.When, Vector = row.Vector,
    };

    protected override Row FromRecord(AttributedRecord<TKey> r, bool withVector)
        => new(r.Index, r.Title, r.Rank, r.Score, r.Active, [.. r.Tags], r.When, withVector ? r.Vector.ToArray() : r.Vector.ToArray());

    protected override int IndexOf(AttributedRecord<TKey> record) => record.Index;

    // Attributes give the defaults; a partial definition overrides the vector's settings, as the abstractions allow.
    protected override VectorStoreCollection<TKey, AttributedRecord<TKey>> Collection(VectorStore store, string name, string? distanceFunction = null, string? indexKind = null)
        => store.GetCollection<TKey, AttributedRecord<TKey>>(name, distanceFunction is null && indexKind is null ? null : new VectorStoreCollectionDefinition
        {
            Properties = [new VectorStoreVectorProperty(nameof(AttributedRecord<TKey>.Vector), typeof(ReadOnlyMemory<float>), Row.Dimensions) { DistanceFunction = distanceFunction, IndexKind = indexKind }],
        });

    protected override Expression<Func<AttributedRecord<TKey>, bool>> Filter(int filter) => filter switch
    {
        0 => r => r.Rank >= 50 && r.Active,
        1 => r => r.Title == "t7" || r.Rank < 10,
        2 => r => !r.Active && r.Score != null,
        3 => r => r.Tags.Contains("red"),
        4 => r => new[] { 3, 5, 7, 11, 42 }.Contains(r.Rank),
        5 => r => r.Score == null,
        6 => r => r.When > Row.Epoch.AddHours(500) && r.Rank != 20,
        7 => r => r.Score > 0.5 && !r.Tags.Contains("blue"),
        _ => throw new ArgumentOutOfRangeException(nameof(filter)),
    };

    protected override Expression<Func<AttributedRecord<TKey>, bool>> UnsupportedFilter() => r => r.Title!.StartsWith("t1");

    protected override Expression<Func<AttributedRecord<TKey>, object?>> RankSelector() => r => r.Rank;

    protected override Expression<Func<AttributedRecord<TKey>, object?>> TitleSelector() => r => r.Title;

    // The generator on the store.
    protected override ITextCollection TextCollection(string? folder, LetterEmbeddingGenerator generator)
    {
        var store = new ImageSearchVectorStore(new ImageSearchVectorStoreOptions { Folder = folder, EmbeddingGenerator = generator });
        return new TextCollection<TKey, AttributedText<TKey>>(store, store.GetCollection<TKey, AttributedText<TKey>>("texts"),
            Key, (key, index, text) => new() { Id = key, Index = index, Text = text }, r => r.Index);
    }
}

public sealed class AttributedGuidKeys : AttributedContract<Guid>
{
    protected override Guid Key(int index) => new(index, 7, 7, [1, 2, 3, 4, 5, 6, 7, 8]);
}

public sealed class AttributedStringKeys : AttributedContract<string>
{
    protected override string Key(int index) => "key-" + index;
}

public sealed class AttributedIntKeys : AttributedContract<int>
{
    protected override int Key(int index) => index * 3 - 100;
}

public sealed class AttributedLongKeys : AttributedContract<long>
{
    protected override long Key(int index) => (long)index << 40;
}

// ---------------------------------------------------------------- plain classes described by a definition

public sealed class PlainRecord<TKey>
{
    public TKey Key { get; set; } = default!;

    public string? Name { get; set; }

    public int Rank { get; set; }

    public double? Score { get; set; }

    public bool Active { get; set; }

    public string[] Tags { get; set; } = [];

    public DateTimeOffset When { get; set; }

    public float[]? Embedding { get; set; }

    public int Index { get; set; }

    public string? NotStored { get; set; }
}

public sealed class PlainText<TKey>
{
    public TKey Key { get; set; } = default!;

    public int Index { get; set; }

    public string? Body { get; set; }
}

public abstract class DefinitionContract<TKey> : CollectionContract<TKey, PlainRecord<TKey>>
    where TKey : notnull
{
    public static VectorStoreCollectionDefinition Definition(string? distanceFunction, string? indexKind) => new()
    {
        Properties =
        [
            new VectorStoreKeyProperty("Key", typeof(TKey)),
            new VectorStoreDataProperty("Name", typeof(string)) { StorageName = "title" },
            new VectorStoreDataProperty("Rank", typeof(int)),
            new VectorStoreDataProperty("Score", typeof(double?)),
            new VectorStoreDataProperty("Active", typeof(bool)),
            new VectorStoreDataProperty("Tags", typeof(string[])),
            new VectorStoreDataProperty("When", typeof(DateTimeOffset)),
            new VectorStoreDataProperty("Index", typeof(int)),
            new VectorStoreVectorProperty("Embedding", typeof(float[]), Row.Dimensions) { DistanceFunction = distanceFunction, IndexKind = indexKind },
        ],
    };

    protected override PlainRecord<TKey> ToRecord(Row row) => new()
    {
        Key = Key(row.Index), Index = row.Index, Name = row.Title, Rank = row.Rank, Score = row.Score, Active = row.Active,
        Tags = [.. row.Tags], When = row.When, Embedding = row.Vector, NotStored = "x",
    };

    protected override Row FromRecord(PlainRecord<TKey> r, bool withVector)
    {
        Assert.Null(r.NotStored);
        return new(r.Index, r.Name, r.Rank, r.Score, r.Active, r.Tags, r.When, r.Embedding ?? []);
    }

    protected override int IndexOf(PlainRecord<TKey> record) => record.Index;

    protected override VectorStoreCollection<TKey, PlainRecord<TKey>> Collection(VectorStore store, string name, string? distanceFunction = null, string? indexKind = null)
        => store.GetCollection<TKey, PlainRecord<TKey>>(name, Definition(distanceFunction, indexKind));

    protected override Expression<Func<PlainRecord<TKey>, bool>> Filter(int filter) => filter switch
    {
        0 => r => r.Rank >= 50 && r.Active,
        1 => r => "t7" == r.Name || 10 > r.Rank,
        2 => r => !r.Active && null != r.Score,
        3 => r => r.Tags.Contains("red"),
        4 => r => new List<int> { 3, 5, 7, 11, 42 }.Contains(r.Rank),
        5 => r => r.Score == null,
        6 => r => r.When > Row.Epoch.AddHours(500) && r.Rank != 20,
        7 => r => r.Score > 0.5 && !r.Tags.Contains("blue"),
        _ => throw new ArgumentOutOfRangeException(nameof(filter)),
    };

    protected override Expression<Func<PlainRecord<TKey>, bool>> UnsupportedFilter() => r => r.Name!.StartsWith("t1");

    protected override Expression<Func<PlainRecord<TKey>, object?>> RankSelector() => r => r.Rank;

    protected override Expression<Func<PlainRecord<TKey>, object?>> TitleSelector() => r => r.Name;

    // The generator on the definition.
    protected override ITextCollection TextCollection(string? folder, LetterEmbeddingGenerator generator)
    {
        var store = new ImageSearchVectorStore(new ImageSearchVectorStoreOptions { Folder = folder });
        var definition = new VectorStoreCollectionDefinition
        {
            EmbeddingGenerator = generator,
            Properties =
            [
                new VectorStoreKeyProperty("Key", typeof(TKey)),
                new VectorStoreDataProperty("Index", typeof(int)),
                new VectorStoreVectorProperty("Body", typeof(string), Row.Dimensions) { DistanceFunction = DistanceFunction.EuclideanSquaredDistance, IndexKind = IndexKind.Flat },
            ],
        };
        return new TextCollection<TKey, PlainText<TKey>>(store, store.GetCollection<TKey, PlainText<TKey>>("texts", definition),
            Key, (key, index, text) => new() { Key = key, Index = index, Body = text }, r => r.Index);
    }
}

public sealed class DefinitionGuidKeys : DefinitionContract<Guid>
{
    protected override Guid Key(int index) => new(index, 9, 9, [8, 7, 6, 5, 4, 3, 2, 1]);
}

public sealed class DefinitionStringKeys : DefinitionContract<string>
{
    protected override string Key(int index) => index.ToString("x");
}

public sealed class DefinitionIntKeys : DefinitionContract<int>
{
    protected override int Key(int index) => index;
}

public sealed class DefinitionLongKeys : DefinitionContract<long>
{
    protected override long Key(int index) => -index - 1L;
}

// ---------------------------------------------------------------- dynamic records

public abstract class DynamicContract<TKeyValue> : CollectionContract<object, Dictionary<string, object?>>
    where TKeyValue : notnull
{
    protected abstract TKeyValue KeyValue(int index);

    protected override object Key(int index) => KeyValue(index);

    public static VectorStoreCollectionDefinition Definition(string? distanceFunction, string? indexKind) => new()
    {
        Properties =
        [
            new VectorStoreKeyProperty("Id", typeof(TKeyValue)),
            new VectorStoreDataProperty("Title", typeof(string)),
            new VectorStoreDataProperty("Rank", typeof(int)),
            new VectorStoreDataProperty("Score", typeof(double?)),
            new VectorStoreDataProperty("Active", typeof(bool)),
            new VectorStoreDataProperty("Tags", typeof(string[])),
            new VectorStoreDataProperty("When", typeof(DateTimeOffset)),
            new VectorStoreDataProperty("Index", typeof(int)),
            new VectorStoreVectorProperty("Vector", typeof(ReadOnlyMemory<float>), Row.Dimensions) { DistanceFunction = distanceFunction, IndexKind = indexKind },
        ],
    };

    protected override Dictionary<string, object?> ToRecord(Row row) => new()
    {
        ["Id"] = KeyValue(row.Index), ["Index"] = row.Index, ["Title"] = row.Title, ["Rank"] = row.Rank, ["Score"] = row.Score,
        ["Active"] = row.Active, ["Tags"] = row.Tags.ToArray(), ["When"] = row.When, ["Vector"] = new ReadOnlyMemory<float>(row.Vector),
    };

    protected override Row FromRecord(Dictionary<string, object?> r, bool withVector)
    {
        Assert.Equal(withVector, r.ContainsKey("Vector"));
        return new((int)r["Index"]!, (string?)r["Title"], (int)r["Rank"]!, (double?)r["Score"], (bool)r["Active"]!, (string[])r["Tags"]!,
            (DateTimeOffset)r["When"]!, withVector ? ((ReadOnlyMemory<float>)r["Vector"]!).ToArray() : []);
    }

    protected override int IndexOf(Dictionary<string, object?> record) => (int)record["Index"]!;

    protected override VectorStoreCollection<object, Dictionary<string, object?>> Collection(VectorStore store, string name, string? distanceFunction = null, string? indexKind = null)
        => store.GetDynamicCollection(name, Definition(distanceFunction, indexKind));

    protected override Expression<Func<Dictionary<string, object?>, bool>> Filter(int filter) => filter switch
    {
        0 => r => (int)r["Rank"]! >= 50 && (bool)r["Active"]!,
        1 => r => (string?)r["Title"] == "t7" || (int)r["Rank"]! < 10,
        2 => r => !(bool)r["Active"]! && r["Score"] != null,
        3 => r => ((string[])r["Tags"]!).Contains("red"),
        4 => r => new[] { 3, 5, 7, 11, 42 }.Contains((int)r["Rank"]!),
        5 => r => r["Score"] == null,
        6 => r => (DateTimeOffset)r["When"]! > Row.Epoch.AddHours(500) && (int)r["Rank"]! != 20,
        7 => r => (double?)r["Score"] > 0.5 && !((string[])r["Tags"]!).Contains("blue"),
        _ => throw new ArgumentOutOfRangeException(nameof(filter)),
    };

    protected override Expression<Func<Dictionary<string, object?>, bool>> UnsupportedFilter() => r => ((string)r["Title"]!).StartsWith("t1");

    protected override Expression<Func<Dictionary<string, object?>, object?>> RankSelector() => r => r["Rank"];

    protected override Expression<Func<Dictionary<string, object?>, object?>> TitleSelector() => r => r["Title"];

    // The generator on the vector property.
    protected override ITextCollection TextCollection(string? folder, LetterEmbeddingGenerator generator)
    {
        var store = new ImageSearchVectorStore(new ImageSearchVectorStoreOptions { Folder = folder });
        var definition = new VectorStoreCollectionDefinition
        {
            Properties =
            [
                new VectorStoreKeyProperty("Id", typeof(TKeyValue)),
                new VectorStoreDataProperty("Index", typeof(int)),
                new VectorStoreVectorProperty("Text", typeof(string), Row.Dimensions)
                {
                    EmbeddingGenerator = generator, DistanceFunction = DistanceFunction.EuclideanSquaredDistance, IndexKind = IndexKind.Flat,
                },
            ],
        };
        return new TextCollection<object, Dictionary<string, object?>>(store, store.GetDynamicCollection("texts", definition),
            Key, (key, index, text) => new() { ["Id"] = key, ["Index"] = index, ["Text"] = text }, r => (int)r["Index"]!);
    }
}

public sealed class DynamicGuidKeys : DynamicContract<Guid>
{
    protected override Guid KeyValue(int index) => new(index, 1, 1, [1, 1, 1, 1, 1, 1, 1, 1]);
}

public sealed class DynamicStringKeys : DynamicContract<string>
{
    protected override string KeyValue(int index) => "d" + index;
}

public sealed class DynamicIntKeys : DynamicContract<int>
{
    protected override int KeyValue(int index) => 1000 - index;
}

public sealed class DynamicLongKeys : DynamicContract<long>
{
    protected override long KeyValue(int index) => index * 1_000_000_007L;
}
