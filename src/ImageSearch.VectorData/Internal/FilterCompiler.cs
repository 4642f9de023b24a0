using System.Collections;
using System.Linq.Expressions;
using System.Reflection;
using Microsoft.Extensions.VectorData.ProviderServices;
using Microsoft.Extensions.VectorData.ProviderServices.Filter;

namespace ImageSearch;

/// <summary>
/// Turns a LINQ filter into a predicate over stored records, once per query: a tree of small typed closures (no
/// <c>Expression.Compile</c>, which costs far more than a search), so HNSW can call it for every node it visits.
/// Supported: <c>==</c>, <c>!=</c>, <c>&lt;</c>, <c>&lt;=</c>, <c>&gt;</c>, <c>&gt;=</c> between a property and a value,
/// <c>&amp;&amp;</c>, <c>||</c>, <c>!</c>, a bool property on its own, <c>Contains</c> on a tag property (value in tags)
/// and on a value list (property in list), and null checks. Comparisons follow C#'s lifted semantics: a null value
/// is equal only to null and fails every ordering comparison. Anything else throws <see cref="NotSupportedException"/>
/// naming the part.
/// </summary>
internal sealed class FilterCompiler : FilterTranslatorBase
{
    private static readonly MethodInfo CompareMethod = typeof(FilterCompiler).GetMethod(nameof(Compare), BindingFlags.NonPublic | BindingFlags.Static)!;

    private readonly Func<PropertyModel, Func<StoredRecord, object?>> _accessor;

    private FilterCompiler(Func<PropertyModel, Func<StoredRecord, object?>> accessor) => _accessor = accessor;

    /// <summary>Compiles <paramref name="filter"/>; <paramref name="accessor"/> reads a key or data property from a stored record.</summary>
    public static Func<StoredRecord, bool> Compile(LambdaExpression filter, CollectionModel model, Func<PropertyModel, Func<StoredRecord, object?>> accessor)
    {
        var compiler = new FilterCompiler(accessor);
        Expression body = compiler.PreprocessFilter(filter, model, new FilterPreprocessingOptions { SupportsParameterization = false });
        return compiler.Predicate(body);
    }

    private Func<StoredRecord, bool> Predicate(Expression e)
    {
        switch (e)
        {
            case BinaryExpression { NodeType: ExpressionType.AndAlso } and:
                {
                    var left = Predicate(and.Left);
                    var right = Predicate(and.Right);
                    return r => left(r) && right(r);
                }

            case BinaryExpression { NodeType: ExpressionType.OrElse } or:
                {
                    var left = Predicate(or.Left);
                    var right = Predicate(or.Right);
                    return r => left(r) || right(r);
                }

            case UnaryExpression { NodeType: ExpressionType.Not } not when not.Type == typeof(bool):
                {
                    var operand = Predicate(not.Operand);
                    return r => !operand(r);
                }

            case BinaryExpression { NodeType: ExpressionType.Equal or ExpressionType.NotEqual or ExpressionType.LessThan
                or ExpressionType.LessThanOrEqual or ExpressionType.GreaterThan or ExpressionType.GreaterThanOrEqual } comparison:
                return Comparison(comparison);

            case MethodCallExpression call when TryMatchContains(call, out Expression? source, out Expression? item):
                return Contains(call, source, item);

            case ConstantExpression { Value: bool constant }:
                return _ => constant;

            default:
                if (e.Type == typeof(bool) && TryBindProperty(e, out PropertyModel? property))
                {
                    var get = Accessor(property, e);
                    return r => get(r) is true;
                }

                throw Unsupported(e, "only comparisons, &&, ||, !, Contains and bool properties are supported");
        }
    }

    private Func<StoredRecord, bool> Comparison(BinaryExpression b)
    {
        ExpressionType op = b.NodeType;
        Expression valueSide;
        PropertyModel? property;
        if (TryBindProperty(b.Left, out property))
        {
            valueSide = b.Right;
        }
        else if (TryBindProperty(b.Right, out property))
        {
            valueSide = b.Left;
            op = op switch
            {
                ExpressionType.LessThan => ExpressionType.GreaterThan,
                ExpressionType.LessThanOrEqual => ExpressionType.GreaterThanOrEqual,
                ExpressionType.GreaterThan => ExpressionType.LessThan,
                ExpressionType.GreaterThanOrEqual => ExpressionType.LessThanOrEqual,
                _ => op,
            };
        }
        else
        {
            throw Unsupported(b, "a comparison needs a record property on one side and a value on the other");
        }

        var get = Accessor(property, b);
        object? value = Evaluate(valueSide, b);
        if (value is null)
        {
            return op switch
            {
                ExpressionType.Equal => r => get(r) is null,
                ExpressionType.NotEqual => r => get(r) is not null,
                _ => _ => false, // C#: an ordering comparison with null is false
            };
        }

        Type type = Nullable.GetUnderlyingType(property.Type) ?? property.Type;
        if (!typeof(IComparable<>).MakeGenericType(type).IsAssignableFrom(type) || type == typeof(string) && op is not (ExpressionType.Equal or ExpressionType.NotEqual))
        {
            throw Unsupported(b, $"properties of type {type.Name} support {(type == typeof(string) ? "only == and !=" : "no comparison")}");
        }

        object typed = ConvertValue(value, type, b);
        return (Func<StoredRecord, bool>)CompareMethod.MakeGenericMethod(type).Invoke(null, [get, op, typed])!;
    }

    private static Func<StoredRecord, bool> Compare<T>(Func<StoredRecord, object?> get, ExpressionType op, T value)
        where T : IComparable<T>
        => op switch
        {
            ExpressionType.Equal => r => get(r) is T v && EqualityComparer<T>.Default.Equals(v, value),
            ExpressionType.NotEqual => r => !(get(r) is T v && EqualityComparer<T>.Default.Equals(v, value)),
            ExpressionType.LessThan => r => get(r) is T v && v.CompareTo(value) < 0,
            ExpressionType.LessThanOrEqual => r => get(r) is T v && v.CompareTo(value) <= 0,
            ExpressionType.GreaterThan => r => get(r) is T v && v.CompareTo(value) > 0,
            ExpressionType.GreaterThanOrEqual => r => get(r) is T v && v.CompareTo(value) >= 0,
            _ => throw new NotSupportedException($"Operator {op} is not supported."),
        };

    private Func<StoredRecord, bool> Contains(MethodCallExpression call, Expression source, Expression item)
    {
        // Tags contain a value: r.Tags.Contains("x").
        if (TryBindProperty(source, out PropertyModel? tags))
        {
            if (!StoredTypes.TryGet(tags.Type, out StoredType t) || t != StoredType.StringList)
            {
                throw Unsupported(call, $"Contains on property '{tags.ModelName}' needs a string[] or List<string> property");
            }

            var get = Accessor(tags, call);
            if (Evaluate(item, call) is not string tag)
            {
                throw Unsupported(call, "the value looked for in tags must be a non-null string");
            }

            return r => get(r) is string[] a && Array.IndexOf(a, tag) >= 0;
        }

        // A value list contains the property: new[] { 1, 2 }.Contains(r.Rank).
        if (TryBindProperty(item, out PropertyModel? property))
        {
            var get = Accessor(property, call);
            Type type = Nullable.GetUnderlyingType(property.Type) ?? property.Type;
            if (Evaluate(source, call) is not IEnumerable values)
            {
                throw Unsupported(call, "Contains needs a list of values");
            }

            var set = new HashSet<object>();
            bool hasNull = false;
            foreach (object? v in values)
            {
                if (v is null)
                {
                    hasNull = true;
                }
                else
                {
                    set.Add(ConvertValue(v, type, call));
                }
            }

            return r => get(r) is { } v ? set.Contains(v) : hasNull;
        }

        throw Unsupported(call, "Contains needs a tag property with a value, or a list of values with a property");
    }

    private Func<StoredRecord, object?> Accessor(PropertyModel property, Expression part)
        => property is VectorPropertyModel
            ? throw Unsupported(part, $"vector property '{property.ModelName}' cannot be filtered on")
            : _accessor(property);

    /// <summary>The value of a part that does not read the record (captured variables are constants after preprocessing).</summary>
    private object? Evaluate(Expression e, Expression part)
    {
        while (e is UnaryExpression { NodeType: ExpressionType.Convert or ExpressionType.ConvertChecked } convert
            && (Nullable.GetUnderlyingType(convert.Type) ?? convert.Type) == (Nullable.GetUnderlyingType(convert.Operand.Type) ?? convert.Operand.Type))
        {
            e = convert.Operand;
        }

        if (e is ConstantExpression c)
        {
            return c.Value;
        }

        if (ReadsRecord.Check(e, RecordParameter))
        {
            throw Unsupported(part, $"'{e}' reads the record where a value is expected");
        }

        try
        {
            return Expression.Lambda<Func<object?>>(Expression.Convert(e, typeof(object))).Compile(preferInterpretation: true)();
        }
        catch (Exception ex) when (ex is not NotSupportedException)
        {
            throw new NotSupportedException($"The filter part '{part}' could not be evaluated: {ex.Message}", ex);
        }
    }

    private static object ConvertValue(object value, Type type, Expression part)
    {
        if (value.GetType() == type)
        {
            return value;
        }

        try
        {
            if (value is IConvertible && type.IsPrimitive || type == typeof(decimal))
            {
                return System.Convert.ChangeType(value, type, System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        catch (Exception e) when (e is InvalidCastException or OverflowException or FormatException)
        {
            throw new NotSupportedException($"The filter part '{part}' compares a {type.Name} property with a {value.GetType().Name} value.", e);
        }

        throw new NotSupportedException($"The filter part '{part}' compares a {type.Name} property with a {value.GetType().Name} value.");
    }

    private static NotSupportedException Unsupported(Expression part, string why)
        => new($"The filter part '{part}' is not supported by ImageSearch.VectorData: {why}.");

    private sealed class ReadsRecord(ParameterExpression parameter) : ExpressionVisitor
    {
        private bool _found;

        public static bool Check(Expression e, ParameterExpression parameter)
        {
            var visitor = new ReadsRecord(parameter);
            visitor.Visit(e);
            return visitor._found;
        }

        protected override Expression VisitParameter(ParameterExpression node)
        {
            _found |= node == parameter;
            return node;
        }
    }
}
