using System.Text;
using Microsoft.Extensions.VectorData.ProviderServices;

namespace ImageSearch;

/// <summary>A vector property as stored: its name, length, distance function and index kind (defaults resolved).</summary>
internal sealed record VectorSchema(string StorageName, int Dimensions, string DistanceFunction, string IndexKind);

/// <summary>A data property as stored.</summary>
internal sealed record DataSchema(string StorageName, StoredType Type);

/// <summary>
/// What a collection stores, by storage name: the key, the data properties and the vector properties. Saved at the head
/// of the records file and compared with the record definition of every collection object that opens it.
/// </summary>
internal sealed class CollectionSchema
{
    public CollectionSchema(string keyName, StoredType keyType, DataSchema[] data, VectorSchema[] vectors)
    {
        KeyName = keyName;
        KeyType = keyType;
        Data = data;
        Vectors = vectors;
    }

    public string KeyName { get; }

    public StoredType KeyType { get; }

    public DataSchema[] Data { get; }

    public VectorSchema[] Vectors { get; }

    /// <summary>The schema of a validated model (the model builder has checked every type and setting).</summary>
    public static CollectionSchema FromModel(CollectionModel model)
    {
        KeyPropertyModel key = model.KeyProperty;
        StoredTypes.TryGet(key.Type, out StoredType keyType);
        var data = model.DataProperties.Select(p =>
        {
            StoredTypes.TryGet(p.Type, out StoredType t);
            return new DataSchema(p.StorageName, t);
        }).ToArray();
        var vectors = model.VectorProperties.Select(p => new VectorSchema(p.StorageName, p.Dimensions,
            p.DistanceFunction ?? VectorScoring.DefaultDistanceFunction, p.IndexKind ?? VectorScoring.DefaultIndexKind)).ToArray();
        return new CollectionSchema(key.StorageName, keyType, data, vectors);
    }

    /// <summary>How <paramref name="other"/> (a record definition) differs from this (stored) schema; <see langword="null"/> when they agree. Order does not matter.</summary>
    public string? Difference(CollectionSchema other)
    {
        var problems = new List<string>();
        if (KeyName != other.KeyName || KeyType != other.KeyType)
        {
            problems.Add($"the key is '{KeyName}' ({KeyType}) in the store but '{other.KeyName}' ({other.KeyType}) in the record definition");
        }

        foreach (DataSchema d in Data)
        {
            DataSchema? o = other.Data.FirstOrDefault(x => x.StorageName == d.StorageName);
            if (o is null)
            {
                problems.Add($"data property '{d.StorageName}' ({d.Type}) is stored but not in the record definition");
            }
            else if (o.Type != d.Type)
            {
                problems.Add($"data property '{d.StorageName}' is stored as {d.Type} but defined as {o.Type}");
            }
        }

        foreach (DataSchema o in other.Data.Where(o => Data.All(d => d.StorageName != o.StorageName)))
        {
            problems.Add($"data property '{o.StorageName}' ({o.Type}) is defined but not stored");
        }

        foreach (VectorSchema v in Vectors)
        {
            VectorSchema? o = other.Vectors.FirstOrDefault(x => x.StorageName == v.StorageName);
            if (o is null)
            {
                problems.Add($"vector property '{v.StorageName}' is stored but not in the record definition");
            }
            else if (o != v)
            {
                problems.Add($"vector property '{v.StorageName}' is stored as {v.Dimensions} dimensions, {v.DistanceFunction}, {v.IndexKind} but defined as {o.Dimensions} dimensions, {o.DistanceFunction}, {o.IndexKind}");
            }
        }

        foreach (VectorSchema o in other.Vectors.Where(o => Vectors.All(v => v.StorageName != o.StorageName)))
        {
            problems.Add($"vector property '{o.StorageName}' is defined but not stored");
        }

        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    public void Write(BinaryWriter w)
    {
        w.Write(KeyName);
        w.Write((byte)KeyType);
        w.Write(Data.Length);
        foreach (DataSchema d in Data)
        {
            w.Write(d.StorageName);
            w.Write((byte)d.Type);
        }

        w.Write(Vectors.Length);
        foreach (VectorSchema v in Vectors)
        {
            w.Write(v.StorageName);
            w.Write(v.Dimensions);
            w.Write(v.DistanceFunction);
            w.Write(v.IndexKind);
        }
    }

    public static CollectionSchema Read(BinaryReader r)
    {
        string keyName = r.ReadString();
        var keyType = (StoredType)r.ReadByte();
        if (!StoredTypes.IsKey(keyType))
        {
            throw new InvalidDataException($"Unknown key type {(byte)keyType}.");
        }

        var data = new DataSchema[ReadCount(r, 10_000)];
        for (int i = 0; i < data.Length; i++)
        {
            string name = r.ReadString();
            var type = (StoredType)r.ReadByte();
            StoredTypes.ClrType(type); // throws on an unknown type
            data[i] = new DataSchema(name, type);
        }

        var vectors = new VectorSchema[ReadCount(r, 10_000)];
        for (int i = 0; i < vectors.Length; i++)
        {
            string name = r.ReadString();
            int dims = r.ReadInt32();
            string function = r.ReadString();
            string kind = r.ReadString();
            if (dims <= 0 || !VectorScoring.IsSupportedDistance(function) || !VectorScoring.IsSupportedIndexKind(kind))
            {
                throw new InvalidDataException($"Vector property '{name}' has an unsupported setting ({dims} dimensions, {function}, {kind}).");
            }

            vectors[i] = new VectorSchema(name, dims, function, kind);
        }

        return new CollectionSchema(keyName, keyType, data, vectors);
    }

    internal static int ReadCount(BinaryReader r, int max)
    {
        int n = r.ReadInt32();
        if (n < 0 || n > max)
        {
            throw new InvalidDataException($"Bad count {n}.");
        }

        return n;
    }

    public override string ToString()
    {
        var sb = new StringBuilder($"key {KeyName} ({KeyType})");
        foreach (DataSchema d in Data)
        {
            sb.Append($", {d.StorageName} ({d.Type})");
        }

        foreach (VectorSchema v in Vectors)
        {
            sb.Append($", {v.StorageName} ({v.Dimensions}, {v.DistanceFunction}, {v.IndexKind})");
        }

        return sb.ToString();
    }
}
