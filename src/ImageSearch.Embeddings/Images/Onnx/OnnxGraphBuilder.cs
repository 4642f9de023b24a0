using System.Runtime.InteropServices;

namespace ImageSearch;

/// <summary>
/// Encodes the few ONNX protobuf messages needed to append nodes to an existing graph: nodes with integer
/// attributes, float initializers (little-endian <c>raw_data</c>), tensor value infos with fixed or symbolic
/// dimensions, and string metadata entries. Field numbers follow <c>onnx.proto</c>. Stateless and thread-safe.
/// </summary>
internal static class OnnxGraphBuilder
{
    // GraphProto fields.
    public const int GraphNode = 1;
    public const int GraphInitializer = 5;
    public const int GraphInput = 11;
    public const int GraphOutput = 12;
    public const int GraphValueInfo = 13;

    // ModelProto fields.
    public const int ModelIrVersion = 1;
    public const int ModelGraph = 7;
    public const int ModelOpsetImport = 8;
    public const int ModelMetadata = 14;

    private const int AttributeTypeInt = 2; // AttributeProto.AttributeType.INT

    /// <summary>A NodeProto as a graph <c>node</c> field.</summary>
    public static ProtoField Node(string opType, string name, string[] inputs, string[] outputs, params ProtoField[] attributes)
    {
        var fields = new List<ProtoField>(inputs.Length + outputs.Length + attributes.Length + 2);
        foreach (string i in inputs)
        {
            fields.Add(Proto.String(1, i));
        }

        foreach (string o in outputs)
        {
            fields.Add(Proto.String(2, o));
        }

        fields.Add(Proto.String(3, name));
        fields.Add(Proto.String(4, opType));
        foreach (var a in attributes)
        {
            fields.Add(a);
        }

        return Proto.Bytes(GraphNode, Proto.Write(fields));
    }

    /// <summary>An INT AttributeProto as a node <c>attribute</c> field.</summary>
    public static ProtoField IntAttribute(string name, long value)
        => Proto.Bytes(5, Proto.Write([Proto.String(1, name), Proto.Varint(3, unchecked((ulong)value)), Proto.Varint(20, AttributeTypeInt)]));

    /// <summary>A float TensorProto with <c>raw_data</c> as a graph <c>initializer</c> field.</summary>
    public static ProtoField FloatInitializer(string name, long[] dims, ReadOnlySpan<float> values)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Big-endian hosts are not supported.");
        }

        var fields = new List<ProtoField>(dims.Length + 3);
        foreach (long d in dims)
        {
            fields.Add(Proto.Varint(1, (ulong)d));
        }

        fields.Add(Proto.Varint(2, (ulong)OnnxDataType.Float));
        fields.Add(Proto.String(8, name));
        fields.Add(Proto.Bytes(9, MemoryMarshal.AsBytes(values).ToArray()));
        return Proto.Bytes(GraphInitializer, Proto.Write(fields));
    }

    /// <summary>
    /// A float tensor ValueInfoProto as graph field <paramref name="fieldNumber"/> (input or output); each dimension is
    /// a <see cref="long"/> (fixed) or a <see cref="string"/> (symbolic).
    /// </summary>
    public static ProtoField FloatValueInfo(int fieldNumber, string name, params object[] dims)
    {
        var shape = new List<ProtoField>(dims.Length);
        foreach (object d in dims)
        {
            ProtoField dim = d switch
            {
                long v => Proto.Varint(1, (ulong)v),
                int v => Proto.Varint(1, (ulong)v),
                string s => Proto.String(2, s),
                _ => throw new ArgumentException($"Dimension {d} is neither a number nor a symbol.", nameof(dims)),
            };
            shape.Add(Proto.Bytes(1, Proto.Write([dim])));
        }

        byte[] tensorType = Proto.Write([Proto.Varint(1, (ulong)OnnxDataType.Float), Proto.Bytes(2, Proto.Write(shape))]);
        byte[] type = Proto.Write([Proto.Bytes(1, tensorType)]);
        return Proto.Bytes(fieldNumber, Proto.Write([Proto.String(1, name), Proto.Bytes(2, type)]));
    }

    /// <summary>A StringStringEntryProto (model <c>metadata_props</c>).</summary>
    public static ProtoField MetadataEntry(string key, string value)
        => Proto.Bytes(ModelMetadata, Proto.Write([Proto.String(1, key), Proto.String(2, value)]));

    /// <summary>An OperatorSetIdProto (model <c>opset_import</c>) for the default domain.</summary>
    public static ProtoField DefaultOpset(long version)
        => Proto.Bytes(ModelOpsetImport, Proto.Write([Proto.String(1, ""), Proto.Varint(2, (ulong)version)]));

    /// <summary>The dimensions of a tensor ValueInfoProto (null for a symbolic or unknown one), or null without a shape.</summary>
    public static long?[]? ReadDims(ReadOnlyMemory<byte> valueInfo)
    {
        if (Proto.GetMessage(Proto.Parse(valueInfo), 2) is not { } type
            || Proto.GetMessage(Proto.Parse(type.Bytes), 1) is not { } tensor
            || Proto.GetMessage(Proto.Parse(tensor.Bytes), 2) is not { } shape)
        {
            return null;
        }

        var dims = new List<long?>();
        foreach (var d in Proto.Parse(shape.Bytes))
        {
            if (d.Number == 1 && d.Type == WireType.LengthDelimited)
            {
                ulong? v = Proto.GetVarint(Proto.Parse(d.Bytes), 1);
                dims.Add(v is null ? null : (long)v.Value);
            }
        }

        return [.. dims];
    }

    /// <summary>Whether a NodeProto (its bytes) has a graph-valued attribute (If, Loop, Scan bodies).</summary>
    public static bool HasSubgraph(List<ProtoField> node)
    {
        foreach (var f in node)
        {
            if (f.Number != 5 || f.Type != WireType.LengthDelimited)
            {
                continue;
            }

            foreach (var a in Proto.Parse(f.Bytes))
            {
                // AttributeProto: g = 6, graphs = 11.
                if ((a.Number == 6 || a.Number == 11) && a.Type == WireType.LengthDelimited)
                {
                    return true;
                }
            }
        }

        return false;
    }
}
