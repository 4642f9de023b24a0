namespace ImageSearch;

/// <summary>The property types a collection stores, as written in its records file (values are part of the format).</summary>
internal enum StoredType : byte
{
    String = 1,
    Boolean = 2,
    Int32 = 3,
    Int64 = 4,
    Single = 5,
    Double = 6,
    Decimal = 7,
    Guid = 8,
    DateTime = 9,
    DateTimeOffset = 10,
    DateOnly = 11,
    TimeOnly = 12,

    /// <summary>Tags: <c>string[]</c> or <c>List&lt;string&gt;</c> on the record, <c>string[]</c> in memory.</summary>
    StringList = 13,
}

/// <summary>Maps CLR property types to <see cref="StoredType"/>, converts values to and from their stored form, and (de)serialises them.</summary>
internal static class StoredTypes
{
    public const string SupportedData = "string, bool, int, long, float, double, decimal, Guid, DateTime, DateTimeOffset, DateOnly, TimeOnly (nullable or not), string[] and List<string>";

    public const string SupportedKeys = "Guid, string, int, long";

    public static bool TryGet(Type clrType, out StoredType type)
    {
        Type t = Nullable.GetUnderlyingType(clrType) ?? clrType;
        type = t switch
        {
            _ when t == typeof(string) => StoredType.String,
            _ when t == typeof(bool) => StoredType.Boolean,
            _ when t == typeof(int) => StoredType.Int32,
            _ when t == typeof(long) => StoredType.Int64,
            _ when t == typeof(float) => StoredType.Single,
            _ when t == typeof(double) => StoredType.Double,
            _ when t == typeof(decimal) => StoredType.Decimal,
            _ when t == typeof(Guid) => StoredType.Guid,
            _ when t == typeof(DateTime) => StoredType.DateTime,
            _ when t == typeof(DateTimeOffset) => StoredType.DateTimeOffset,
            _ when t == typeof(DateOnly) => StoredType.DateOnly,
            _ when t == typeof(TimeOnly) => StoredType.TimeOnly,
            _ when t == typeof(string[]) || t == typeof(List<string>) => StoredType.StringList,
            _ => 0,
        };
        return type != 0;
    }

    public static bool IsKey(StoredType type) => type is StoredType.Guid or StoredType.String or StoredType.Int32 or StoredType.Int64;

    /// <summary>The CLR type values of <paramref name="type"/> have in memory (what filters compare with).</summary>
    public static Type ClrType(StoredType type) => type switch
    {
        StoredType.String => typeof(string),
        StoredType.Boolean => typeof(bool),
        StoredType.Int32 => typeof(int),
        StoredType.Int64 => typeof(long),
        StoredType.Single => typeof(float),
        StoredType.Double => typeof(double),
        StoredType.Decimal => typeof(decimal),
        StoredType.Guid => typeof(Guid),
        StoredType.DateTime => typeof(DateTime),
        StoredType.DateTimeOffset => typeof(DateTimeOffset),
        StoredType.DateOnly => typeof(DateOnly),
        StoredType.TimeOnly => typeof(TimeOnly),
        StoredType.StringList => typeof(string[]),
        _ => throw new InvalidDataException($"Unknown stored type {(byte)type}."),
    };

    /// <summary>The in-memory form of a record's value: tags are copied to a <c>string[]</c> so later changes to the caller's list do not reach the store.</summary>
    public static object? ToStored(object? value, StoredType type, string property)
    {
        if (value is null)
        {
            return null;
        }

        if (type == StoredType.StringList)
        {
            return value switch
            {
                string[] a => a.ToArray(),
                IEnumerable<string> e => e.ToArray(),
                _ => throw new ArgumentException($"Property '{property}' holds a {value.GetType().Name}; a list of strings was expected."),
            };
        }

        if (value.GetType() != ClrType(type))
        {
            throw new ArgumentException($"Property '{property}' holds a {value.GetType().Name}; a {ClrType(type).Name} was expected.");
        }

        return value;
    }

    /// <summary>The value to set on a record property of CLR type <paramref name="propertyType"/>.</summary>
    public static object? FromStored(object? stored, Type propertyType)
    {
        if (stored is string[] tags)
        {
            Type t = Nullable.GetUnderlyingType(propertyType) ?? propertyType;
            return t == typeof(List<string>) ? new List<string>(tags) : tags.ToArray();
        }

        return stored;
    }

    public static void Write(BinaryWriter w, StoredType type, object? value)
    {
        if (value is null)
        {
            w.Write((byte)0);
            return;
        }

        w.Write((byte)1);
        switch (type)
        {
            case StoredType.String: w.Write((string)value); break;
            case StoredType.Boolean: w.Write((bool)value); break;
            case StoredType.Int32: w.Write((int)value); break;
            case StoredType.Int64: w.Write((long)value); break;
            case StoredType.Single: w.Write((float)value); break;
            case StoredType.Double: w.Write((double)value); break;
            case StoredType.Decimal: w.Write((decimal)value); break;
            case StoredType.Guid: w.Write(((Guid)value).ToByteArray()); break;
            case StoredType.DateTime: w.Write(((DateTime)value).ToBinary()); break;
            case StoredType.DateTimeOffset:
                var dto = (DateTimeOffset)value;
                w.Write(dto.Ticks);
                w.Write((short)dto.Offset.TotalMinutes);
                break;
            case StoredType.DateOnly: w.Write(((DateOnly)value).DayNumber); break;
            case StoredType.TimeOnly: w.Write(((TimeOnly)value).Ticks); break;
            case StoredType.StringList:
                var tags = (string[])value;
                w.Write(tags.Length);
                foreach (string? tag in tags)
                {
                    w.Write(tag is not null);
                    if (tag is not null)
                    {
                        w.Write(tag);
                    }
                }

                break;
            default: throw new InvalidOperationException($"Unknown stored type {type}.");
        }
    }

    public static object? Read(BinaryReader r, StoredType type)
    {
        byte present = r.ReadByte();
        if (present == 0)
        {
            return null;
        }

        if (present != 1)
        {
            throw new InvalidDataException($"Bad value marker {present}.");
        }

        switch (type)
        {
            case StoredType.String: return r.ReadString();
            case StoredType.Boolean: return r.ReadBoolean();
            case StoredType.Int32: return r.ReadInt32();
            case StoredType.Int64: return r.ReadInt64();
            case StoredType.Single: return r.ReadSingle();
            case StoredType.Double: return r.ReadDouble();
            case StoredType.Decimal: return r.ReadDecimal();
            case StoredType.Guid: return new Guid(r.ReadBytes(16));
            case StoredType.DateTime: return DateTime.FromBinary(r.ReadInt64());
            case StoredType.DateTimeOffset:
                long ticks = r.ReadInt64();
                return new DateTimeOffset(ticks, TimeSpan.FromMinutes(r.ReadInt16()));
            case StoredType.DateOnly: return DateOnly.FromDayNumber(r.ReadInt32());
            case StoredType.TimeOnly: return new TimeOnly(r.ReadInt64());
            case StoredType.StringList:
                int n = r.ReadInt32();
                if (n < 0 || n > r.BaseStream.Length)
                {
                    throw new InvalidDataException($"Bad tag count {n}.");
                }

                var tags = new string[n];
                for (int i = 0; i < n; i++)
                {
                    tags[i] = r.ReadBoolean() ? r.ReadString() : null!;
                }

                return tags;
            default: throw new InvalidDataException($"Unknown stored type {(byte)type}.");
        }
    }
}
