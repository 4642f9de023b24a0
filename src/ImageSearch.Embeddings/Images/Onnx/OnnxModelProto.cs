using System.Buffers.Binary;
using System.Runtime.InteropServices;
using static ImageSearch.OnnxGraphBuilder;

namespace ImageSearch;

/// <summary>ONNX tensor element types we read (TensorProto.DataType).</summary>
internal enum OnnxDataType
{
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    Int32 = 6,
    Int64 = 7,
    Double = 11,
}

/// <summary>A graph input or output: its name, element type and dimensions (a dimension is null when symbolic or unknown).</summary>
internal sealed record OnnxValueInfo(string Name, int ElementType, long?[]? Dims);

/// <summary>A graph node (only what we need to inspect a model).</summary>
internal sealed record OnnxNode(string OpType, string Name, string[] Inputs, string[] Outputs);

/// <summary>An initializer (weight tensor) decoded to one of float, sbyte, byte or long arrays.</summary>
internal sealed class OnnxTensor
{
    public required string Name { get; init; }

    public required long[] Dims { get; init; }

    public required OnnxDataType DataType { get; init; }

    public float[]? Floats { get; init; }

    public sbyte[]? SBytes { get; init; }

    public byte[]? Bytes { get; init; }

    public long[]? Int64s { get; init; }

    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (long d in Dims)
            {
                n *= d;
            }

            return n;
        }
    }

    /// <summary>Reads element <paramref name="i"/> as a double, whatever the stored type.</summary>
    public double this[long i] => DataType switch
    {
        OnnxDataType.Float or OnnxDataType.Double => Floats![i],
        OnnxDataType.Int8 => SBytes![i],
        OnnxDataType.UInt8 => Bytes![i],
        _ => Int64s![i],
    };
}

/// <summary>
/// Reads and rewrites an ONNX ModelProto in memory: lists inputs, outputs, nodes and initializers, and produces a
/// modified copy with a symbolic batch dimension or extra graph outputs. Only the fields it changes are rebuilt; all
/// others are copied byte for byte. Not thread-safe; instances are short-lived.
/// </summary>
internal sealed class OnnxModelProto
{
    private readonly List<ProtoField> _model;
    private readonly List<ProtoField> _graph;

    private OnnxModelProto(byte[] bytes, string source)
    {
        Source = source;
        try
        {
            _model = Proto.Parse(bytes);
            var graph = Proto.GetMessage(_model, ModelGraph)
                ?? throw new InvalidDataException($"ONNX model '{source}' has no graph.");
            _graph = Proto.Parse(graph.Bytes);
        }
        catch (InvalidDataException ex) when (!ex.Message.Contains(source, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"'{source}' is not a readable ONNX model: {ex.Message}", ex);
        }
    }

    /// <summary>Where the model came from (for error messages).</summary>
    public string Source { get; }

    /// <summary>The ModelProto's top-level fields as read (for writers that rebuild the model).</summary>
    public List<ProtoField> ModelFields => _model;

    /// <summary>The GraphProto's fields as read.</summary>
    public List<ProtoField> GraphFields => _graph;

    public static OnnxModelProto Load(string path) => new(File.ReadAllBytes(path), path);

    public static OnnxModelProto FromBytes(byte[] bytes, string source) => new(bytes, source);

    public IReadOnlyList<OnnxValueInfo> Inputs => ReadValueInfos(GraphInput);

    public IReadOnlyList<OnnxValueInfo> Outputs => ReadValueInfos(GraphOutput);

    public IEnumerable<OnnxNode> Nodes
    {
        get
        {
            foreach (var f in _graph)
            {
                if (f.Number != GraphNode || f.Type != WireType.LengthDelimited)
                {
                    continue;
                }

                var node = Proto.Parse(f.Bytes);
                var inputs = new List<string>();
                var outputs = new List<string>();
                foreach (var nf in node)
                {
                    if (nf.Number == 1)
                    {
                        inputs.Add(nf.AsString());
                    }
                    else if (nf.Number == 2)
                    {
                        outputs.Add(nf.AsString());
                    }
                }

                yield return new OnnxNode(Proto.GetString(node, 4) ?? "", Proto.GetString(node, 3) ?? "", [.. inputs], [.. outputs]);
            }
        }
    }

    public IEnumerable<string> InitializerNames
    {
        get
        {
            foreach (var f in _graph)
            {
                if (f.Number == GraphInitializer && f.Type == WireType.LengthDelimited)
                {
                    yield return Proto.GetString(Proto.Parse(f.Bytes), 8) ?? "";
                }
            }
        }
    }

    /// <summary>Decodes the initializer called <paramref name="name"/>, or returns null when there is none.</summary>
    public OnnxTensor? FindInitializer(string name)
    {
        foreach (var f in _graph)
        {
            if (f.Number != GraphInitializer || f.Type != WireType.LengthDelimited)
            {
                continue;
            }

            var t = Proto.Parse(f.Bytes);
            if (Proto.GetString(t, 8) == name)
            {
                return DecodeTensor(t, name);
            }
        }

        return null;
    }

    /// <summary>
    /// Returns model bytes in which every graph input and output has a symbolic first dimension named
    /// <paramref name="symbol"/>, extra outputs are appended (float tensors of unknown shape), and intermediate
    /// value_info shape hints are dropped (they would pin the batch to its old size). With <paramref name="inputSize"/>,
    /// every 4-d graph input gets that height and width and the graph outputs lose their declared shapes (they change
    /// with the input size); for fully convolutional models only.
    /// </summary>
    public byte[] Rewrite(bool symbolicBatch, IReadOnlyList<string> extraOutputs, string symbol = "N", (int Height, int Width)? inputSize = null)
    {
        var graph = new List<ProtoField>(_graph.Count + extraOutputs.Count);
        foreach (var f in _graph)
        {
            if ((symbolicBatch || inputSize is not null) && f.Number == GraphValueInfo)
            {
                continue;
            }

            if ((f.Number == GraphInput || f.Number == GraphOutput) && f.Type == WireType.LengthDelimited && !IsInitializerInput(f))
            {
                ReadOnlyMemory<byte> bytes = f.Bytes;
                if (inputSize is { } size)
                {
                    bytes = f.Number == GraphInput ? SetSpatialDims(bytes, size.Height, size.Width) : DropShape(bytes);
                }

                if (symbolicBatch && !(inputSize is not null && f.Number == GraphOutput))
                {
                    bytes = SetFirstDim(bytes, symbol);
                }

                graph.Add(Proto.Bytes(f.Number, bytes.ToArray()));
            }
            else
            {
                graph.Add(f);
            }
        }

        foreach (string name in extraOutputs)
        {
            // ValueInfoProto { name = 1, type = 2 { tensor_type = 1 { elem_type = 1 (float) } } }
            byte[] tensorType = Proto.Write([Proto.Varint(1, (ulong)OnnxDataType.Float)]);
            byte[] type = Proto.Write([Proto.Bytes(1, tensorType)]);
            graph.Add(Proto.Bytes(GraphOutput, Proto.Write([Proto.String(1, name), Proto.Bytes(2, type)])));
        }

        var model = new List<ProtoField>(_model.Count);
        foreach (var f in _model)
        {
            model.Add(f.Number == ModelGraph ? Proto.Bytes(ModelGraph, Proto.Write(graph)) : f);
        }

        return Proto.Write(model);
    }

    private bool IsInitializerInput(ProtoField valueInfo)
    {
        // Old models list initializers among the inputs; their shapes must stay as they are.
        string? name = Proto.GetString(Proto.Parse(valueInfo.Bytes), 1);
        if (name is null)
        {
            return false;
        }

        foreach (var f in _graph)
        {
            if (f.Number == GraphInitializer && f.Type == WireType.LengthDelimited
                && Proto.GetString(Proto.Parse(f.Bytes), 8) == name)
            {
                return true;
            }
        }

        return false;
    }

    // ValueInfoProto.type (2) -> TypeProto.tensor_type (1) -> Tensor.shape (2) -> dim (1): edits the shape message.
    private static byte[] EditShape(ReadOnlyMemory<byte> valueInfo, Func<List<ProtoField>, List<ProtoField>?> edit)
    {
        var vi = Proto.Parse(valueInfo);
        for (int i = 0; i < vi.Count; i++)
        {
            if (vi[i].Number != 2)
            {
                continue;
            }

            var type = Proto.Parse(vi[i].Bytes);
            for (int j = 0; j < type.Count; j++)
            {
                if (type[j].Number != 1)
                {
                    continue;
                }

                var tensor = Proto.Parse(type[j].Bytes);
                for (int k = tensor.Count - 1; k >= 0; k--)
                {
                    if (tensor[k].Number != 2)
                    {
                        continue;
                    }

                    if (edit(Proto.Parse(tensor[k].Bytes)) is { } shape)
                    {
                        tensor[k] = Proto.Bytes(2, Proto.Write(shape));
                    }
                    else
                    {
                        tensor.RemoveAt(k);
                    }
                }

                type[j] = Proto.Bytes(1, Proto.Write(tensor));
            }

            vi[i] = Proto.Bytes(2, Proto.Write(type));
        }

        return Proto.Write(vi);
    }

    private static byte[] SetSpatialDims(ReadOnlyMemory<byte> valueInfo, int height, int width)
        => EditShape(valueInfo, shape =>
        {
            var dims = new List<int>();
            for (int i = 0; i < shape.Count; i++)
            {
                if (shape[i].Number == 1)
                {
                    dims.Add(i);
                }
            }

            if (dims.Count == 4)
            {
                shape[dims[2]] = Proto.Bytes(1, Proto.Write([Proto.Varint(1, (ulong)height)]));
                shape[dims[3]] = Proto.Bytes(1, Proto.Write([Proto.Varint(1, (ulong)width)]));
            }

            return shape;
        });

    private static byte[] DropShape(ReadOnlyMemory<byte> valueInfo) => EditShape(valueInfo, _ => null);

    private static byte[] SetFirstDim(ReadOnlyMemory<byte> valueInfo, string symbol)
        => EditShape(valueInfo, shape =>
        {
            int firstDim = shape.FindIndex(d => d.Number == 1);
            if (firstDim >= 0)
            {
                shape[firstDim] = Proto.Bytes(1, Proto.Write([Proto.String(2, symbol)]));
            }

            return shape;
        });

    private List<OnnxValueInfo> ReadValueInfos(int fieldNumber)
    {
        var result = new List<OnnxValueInfo>();
        foreach (var f in _graph)
        {
            if (f.Number != fieldNumber || f.Type != WireType.LengthDelimited)
            {
                continue;
            }

            var vi = Proto.Parse(f.Bytes);
            string name = Proto.GetString(vi, 1) ?? "";
            int elemType = 0;
            long?[]? dims = null;
            if (Proto.GetMessage(vi, 2) is { } typeField && Proto.GetMessage(Proto.Parse(typeField.Bytes), 1) is { } tensorField)
            {
                var tensor = Proto.Parse(tensorField.Bytes);
                elemType = (int)(Proto.GetVarint(tensor, 1) ?? 0);
                if (Proto.GetMessage(tensor, 2) is { } shapeField)
                {
                    var dimList = new List<long?>();
                    foreach (var d in Proto.Parse(shapeField.Bytes))
                    {
                        if (d.Number == 1)
                        {
                            var dim = Proto.Parse(d.Bytes);
                            ulong? v = Proto.GetVarint(dim, 1);
                            dimList.Add(v is null ? null : (long)v.Value);
                        }
                    }

                    dims = [.. dimList];
                }
            }

            result.Add(new OnnxValueInfo(name, elemType, dims));
        }

        return result;
    }

    private OnnxTensor DecodeTensor(List<ProtoField> t, string name)
    {
        var dimList = new List<long>();
        Proto.ReadInt64s(t, 1, dimList);
        long[] dims = [.. dimList];
        var dataType = (OnnxDataType)(int)(Proto.GetVarint(t, 2) ?? 0);
        if (Proto.GetVarint(t, 14) == 1)
        {
            throw new NotSupportedException($"Initializer '{name}' of '{Source}' is stored in an external file, which is not supported.");
        }

        long count = 1;
        foreach (long d in dims)
        {
            count *= d;
        }

        ReadOnlySpan<byte> raw = Proto.GetMessage(t, 9) is { } r ? r.Bytes.Span : default;
        bool hasRaw = Proto.GetMessage(t, 9) is not null;

        void CheckCount(long actual)
        {
            if (actual != count)
            {
                throw new InvalidDataException(
                    $"Initializer '{name}' of '{Source}' holds {actual} elements but its shape [{string.Join(",", dims)}] needs {count}.");
            }
        }

        switch (dataType)
        {
            case OnnxDataType.Float:
            {
                float[] values;
                if (hasRaw)
                {
                    CheckCount(raw.Length / 4);
                    values = MemoryMarshal.Cast<byte, float>(raw).ToArray();
                    if (!BitConverter.IsLittleEndian)
                    {
                        throw new PlatformNotSupportedException("Big-endian hosts are not supported.");
                    }
                }
                else
                {
                    var list = new List<float>();
                    foreach (var f in t)
                    {
                        if (f.Number != 4)
                        {
                            continue;
                        }

                        if (f.Type == WireType.Fixed32)
                        {
                            list.Add(BitConverter.UInt32BitsToSingle((uint)f.Value));
                        }
                        else if (f.Type == WireType.LengthDelimited)
                        {
                            list.AddRange(MemoryMarshal.Cast<byte, float>(f.Bytes.Span).ToArray());
                        }
                    }

                    CheckCount(list.Count);
                    values = [.. list];
                }

                return new OnnxTensor { Name = name, Dims = dims, DataType = dataType, Floats = values };
            }

            case OnnxDataType.Double:
            {
                float[] values;
                if (hasRaw)
                {
                    CheckCount(raw.Length / 8);
                    values = new float[count];
                    for (int i = 0; i < values.Length; i++)
                    {
                        values[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(raw[(i * 8)..]);
                    }
                }
                else
                {
                    var list = new List<float>();
                    foreach (var f in t)
                    {
                        if (f.Number == 10 && f.Type == WireType.LengthDelimited)
                        {
                            foreach (double d in MemoryMarshal.Cast<byte, double>(f.Bytes.Span))
                            {
                                list.Add((float)d);
                            }
                        }
                        else if (f.Number == 10 && f.Type == WireType.Fixed64)
                        {
                            list.Add((float)BitConverter.UInt64BitsToDouble(f.Value));
                        }
                    }

                    CheckCount(list.Count);
                    values = [.. list];
                }

                return new OnnxTensor { Name = name, Dims = dims, DataType = OnnxDataType.Float, Floats = values };
            }

            case OnnxDataType.Int8:
            case OnnxDataType.UInt8:
            {
                byte[] values;
                if (hasRaw)
                {
                    CheckCount(raw.Length);
                    values = raw.ToArray();
                }
                else
                {
                    // Non-raw 8-bit tensors are stored one value per int32_data varint.
                    var list = new List<long>();
                    Proto.ReadInt64s(t, 5, list);
                    CheckCount(list.Count);
                    values = new byte[list.Count];
                    for (int i = 0; i < values.Length; i++)
                    {
                        values[i] = unchecked((byte)list[i]);
                    }
                }

                return dataType == OnnxDataType.Int8
                    ? new OnnxTensor { Name = name, Dims = dims, DataType = dataType, SBytes = MemoryMarshal.Cast<byte, sbyte>(values).ToArray() }
                    : new OnnxTensor { Name = name, Dims = dims, DataType = dataType, Bytes = values };
            }

            case OnnxDataType.Int32:
            case OnnxDataType.Int64:
            {
                long[] values;
                if (hasRaw)
                {
                    int size = dataType == OnnxDataType.Int32 ? 4 : 8;
                    CheckCount(raw.Length / size);
                    values = new long[count];
                    for (int i = 0; i < values.Length; i++)
                    {
                        values[i] = size == 4
                            ? BinaryPrimitives.ReadInt32LittleEndian(raw[(i * 4)..])
                            : BinaryPrimitives.ReadInt64LittleEndian(raw[(i * 8)..]);
                    }
                }
                else
                {
                    var list = new List<long>();
                    Proto.ReadInt64s(t, dataType == OnnxDataType.Int32 ? 5 : 7, list);
                    CheckCount(list.Count);
                    values = [.. list];
                    if (dataType == OnnxDataType.Int32)
                    {
                        for (int i = 0; i < values.Length; i++)
                        {
                            values[i] = unchecked((int)values[i]); // int32 varints are sign-extended to 64 bits
                        }
                    }
                }

                return new OnnxTensor { Name = name, Dims = dims, DataType = OnnxDataType.Int64, Int64s = values };
            }

            default:
                throw new NotSupportedException(
                    $"Initializer '{name}' of '{Source}' has ONNX data type {(int)dataType}; only float, double, int8, uint8, int32 and int64 are supported.");
        }
    }
}
