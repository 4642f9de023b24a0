using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.VectorData.ProviderServices;

namespace ImageSearch;

/// <summary>
/// Reads and makes records: for record classes, a constructor and property getters and setters compiled once per
/// process and property (the abstractions' accessors call <see cref="PropertyInfo.GetValue(object)"/>,
/// <see cref="PropertyInfo.SetValue(object, object)"/> and <see cref="Activator"/>, which cost more than the rest of a
/// search hit, and as much as an exact index's whole insert of a row); <c>Dictionary&lt;string, object?&gt;</c>
/// records, and runtimes without compiled code, keep the abstractions' accessors. A <see langword="null"/> value leaves
/// the property's default, as the abstractions' setters do.
/// </summary>
internal sealed class RecordAccessors<TRecord>
    where TRecord : class
{
    private static readonly ConcurrentDictionary<PropertyInfo, Action<TRecord, object?>> Setters = new();

    private static readonly ConcurrentDictionary<PropertyInfo, Func<TRecord, object?>> Getters = new();

    private static readonly ConcurrentDictionary<PropertyInfo, Func<TRecord, ReadOnlyMemory<float>>> MemoryGetters = new();

    private static readonly Func<TRecord>? Constructor = CompileConstructor();

    private readonly CollectionModel _model;

    public RecordAccessors(CollectionModel model)
    {
        _model = model;
        Key = Setter(model.KeyProperty);
        Data = model.DataProperties.Select(Setter).ToArray();
        Vectors = model.VectorProperties.Select(Setter).ToArray();
        GetKey = Getter(model.KeyProperty);
        GetData = model.DataProperties.Select(Getter).ToArray();
        GetVectors = model.VectorProperties.Select(Getter).ToArray();
        GetMemories = model.VectorProperties.Select(MemoryGetter).ToArray();
    }

    /// <summary>Getter of the key property.</summary>
    public Func<TRecord, object?> GetKey { get; }

    /// <summary>Getters of the data properties, in the model's order.</summary>
    public Func<TRecord, object?>[] GetData { get; }

    /// <summary>Getters of the vector properties, in the model's order.</summary>
    public Func<TRecord, object?>[] GetVectors { get; }

    /// <summary>
    /// Per vector property, a getter that returns a <see cref="ReadOnlyMemory{T}"/> property unboxed (the boxing
    /// getter costs an allocation per record); <see langword="null"/> for other types, read through <see cref="GetVectors"/>.
    /// </summary>
    public Func<TRecord, ReadOnlyMemory<float>>?[] GetMemories { get; }

    public Action<TRecord, object?> Key { get; }

    /// <summary>Setters of the data properties, in the model's order.</summary>
    public Action<TRecord, object?>[] Data { get; }

    /// <summary>Setters of the vector properties, in the model's order.</summary>
    public Action<TRecord, object?>[] Vectors { get; }

    public TRecord Create() => Constructor is { } create ? create() : _model.CreateRecord<TRecord>();

    private static bool Compiles => RuntimeFeature.IsDynamicCodeCompiled && typeof(TRecord) != typeof(Dictionary<string, object?>);

    private static Action<TRecord, object?> Setter(PropertyModel property)
    {
        if (!Compiles || property.PropertyInfo is not { CanWrite: true } info || !info.DeclaringType!.IsAssignableFrom(typeof(TRecord)))
        {
            return property.SetValueAsObject;
        }

        return Setters.GetOrAdd(info, static p =>
        {
            ParameterExpression record = Expression.Parameter(typeof(TRecord), "record");
            ParameterExpression value = Expression.Parameter(typeof(object), "value");
            Expression body = Expression.IfThen(
                Expression.NotEqual(value, Expression.Constant(null)),
                Expression.Assign(Expression.Property(record, p), Expression.Convert(value, p.PropertyType)));
            return Expression.Lambda<Action<TRecord, object?>>(body, record, value).Compile();
        });
    }

    private static Func<TRecord, object?> Getter(PropertyModel property)
    {
        if (!Compiles || property.PropertyInfo is not { CanRead: true } info || !info.DeclaringType!.IsAssignableFrom(typeof(TRecord)))
        {
            return property.GetValueAsObject;
        }

        return Getters.GetOrAdd(info, static p =>
        {
            // Boxing a Nullable<T> without a value gives null, as PropertyInfo.GetValue does.
            ParameterExpression record = Expression.Parameter(typeof(TRecord), "record");
            Expression body = Expression.Convert(Expression.Property(record, p), typeof(object));
            return Expression.Lambda<Func<TRecord, object?>>(body, record).Compile();
        });
    }

    private static Func<TRecord, ReadOnlyMemory<float>>? MemoryGetter(PropertyModel property)
    {
        if (!Compiles || property.PropertyInfo is not { CanRead: true } info || info.PropertyType != typeof(ReadOnlyMemory<float>)
            || !info.DeclaringType!.IsAssignableFrom(typeof(TRecord)))
        {
            return null;
        }

        return MemoryGetters.GetOrAdd(info, static p =>
        {
            ParameterExpression record = Expression.Parameter(typeof(TRecord), "record");
            return Expression.Lambda<Func<TRecord, ReadOnlyMemory<float>>>(Expression.Property(record, p), record).Compile();
        });
    }

    private static Func<TRecord>? CompileConstructor()
        => Compiles && typeof(TRecord).GetConstructor(Type.EmptyTypes) is { } constructor
            ? Expression.Lambda<Func<TRecord>>(Expression.New(constructor)).Compile()
            : null;
}
