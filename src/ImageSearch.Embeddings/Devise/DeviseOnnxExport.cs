using System.Globalization;
using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;

namespace ImageSearch;

/// <summary>
/// Writes an image backbone and a trained <see cref="DeviseHead"/> as ONE ONNX model that maps a preprocessed image
/// batch straight to word-space vectors, for use outside this library (any ONNX Runtime, other languages).
/// </summary>
/// <remarks>
/// <para>The exported graph is the backbone's graph cut at <see cref="ImageModelDescriptor.OutputName"/> (nodes that
/// the feature does not depend on, such as a classifier, are dropped), followed by
/// <c>GlobalAveragePool</c> (only when <see cref="ImageModelDescriptor.GlobalAveragePool"/> is set) → <c>Flatten</c>
/// → <c>LpNormalization</c> (when <see cref="ImageModelDescriptor.L2Normalize"/> is set or the head's
/// <see cref="DeviseHead.InputNormalization"/> is <see cref="DeviseInputNormalization.L2"/>) → <c>MatMul</c> →
/// <c>Mul</c> → <c>Add</c> → <c>Relu</c> → <c>MatMul</c> → <c>Mul</c> → <c>Add</c> → <c>LpNormalization</c> (when
/// <see cref="DeviseOnnxExportOptions.Normalize"/>). Each dense layer's bias and evaluation-mode batch normalisation
/// are folded into the per-feature scale and shift that <see cref="DeviseHead"/> itself uses, so the model computes
/// the same arithmetic as <see cref="DeviseHead.Embed(ReadOnlySpan{float}, bool)"/>; dropout does not appear.
/// The backbone's opset is kept (7 or later is required; every added operator exists since opset 1).</para>
/// <para>Input: the backbone's input tensor, float [N, 3, <see cref="ImageModelDescriptor.InputHeight"/>,
/// <see cref="ImageModelDescriptor.InputWidth"/>], with a symbolic batch dimension <c>N</c> (a graph declaring another
/// fixed size is refused unless <see cref="ImageModelDescriptor.ResizeModelInput"/> is set). Output:
/// <see cref="DeviseOnnxExportOptions.OutputName"/>, float [N, <see cref="DeviseHead.OutputDimension"/>].</para>
/// <para>Preprocessing is NOT in the model: callers must decode, orient, resize and crop the photo, order the channels
/// and normalise the pixels exactly as the descriptor says (<see cref="ImageModelDescriptor.ResizeMode"/>,
/// <see cref="ImageModelDescriptor.ChannelOrder"/>, <see cref="ImageModelDescriptor.Scale"/>,
/// <see cref="ImageModelDescriptor.Mean"/>, <see cref="ImageModelDescriptor.Std"/> and, for ResNet-18, the per-pixel
/// <see cref="ImageModelDescriptor.MeanImage"/>, which is not embedded). The model's metadata
/// (<c>imagesearch.*</c> keys) records these settings in words.</para>
/// <para>Differences from <see cref="DeviseEmbedder"/>: no NaN or zero-vector checks (a NaN input gives NaN outputs,
/// a zero result stays zero) and no test-time view averaging.</para>
/// <para>Thread-safety: all members are thread-safe (nothing is shared between calls). A failed export leaves no file
/// and an existing file at the path unchanged.</para>
/// </remarks>
public static class DeviseOnnxExport
{
    private const string BatchSymbol = "N";
    private const long MinimumOpset = 7;

    /// <summary>Exports backbone and head as one ONNX model, written atomically (temporary file, flush, rename).</summary>
    /// <param name="backbone">The image model the head was trained on (its file is read).</param>
    /// <param name="head">The trained head; its <see cref="DeviseHead.InputDimension"/> must equal
    /// <see cref="ImageModelDescriptor.OutputDimension"/> of <paramref name="backbone"/>.</param>
    /// <param name="path">The .onnx file to create or replace.</param>
    /// <param name="options">Normalisation, output name, verification; <see langword="null"/> for defaults.</param>
    /// <exception cref="ArgumentException">The descriptor is invalid; the head's input dimension differs from the
    /// backbone's output dimension; the graph's input has another shape; the graph has no input <see cref="ImageModelDescriptor.InputName"/> or no tensor
    /// <see cref="ImageModelDescriptor.OutputName"/>; the output name is empty or already used in the graph; or the
    /// verification run failed (the message gives ONNX Runtime's error).</exception>
    /// <exception cref="FileNotFoundException">The backbone's model file does not exist.</exception>
    /// <exception cref="InvalidDataException">The model file is not a readable ONNX model.</exception>
    /// <exception cref="NotSupportedException">The backbone's default-domain opset is older than 7.</exception>
    public static void Export(ImageModelDescriptor backbone, DeviseHead head, string path, DeviseOnnxExportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] model = Build(backbone, head, options);
        IndexFile.SaveAtomic(path, s => s.Write(model));
    }

    /// <summary>Writes the exported model to a stream; see <see cref="Export(ImageModelDescriptor, DeviseHead, string, DeviseOnnxExportOptions?)"/>.</summary>
    /// <param name="backbone">The image model the head was trained on.</param>
    /// <param name="head">The trained head.</param>
    /// <param name="stream">A writable stream, left open; nothing is written when the export fails.</param>
    /// <param name="options">Normalisation, output name, verification; <see langword="null"/> for defaults.</param>
    public static void Export(ImageModelDescriptor backbone, DeviseHead head, Stream stream, DeviseOnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("The stream is not writable.", nameof(stream));
        }

        byte[] model = Build(backbone, head, options);
        stream.Write(model);
    }

    /// <summary>
    /// <see cref="Export(ImageModelDescriptor, DeviseHead, string, DeviseOnnxExportOptions?)"/> on a thread-pool thread.
    /// </summary>
    /// <param name="backbone">The image model the head was trained on.</param>
    /// <param name="head">The trained head.</param>
    /// <param name="path">The .onnx file to create or replace.</param>
    /// <param name="options">Normalisation, output name, verification; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Checked before building, before writing and before the rename; a cancelled
    /// export leaves no file (and an existing one unchanged).</param>
    /// <returns>A task that completes when the file is in place.</returns>
    public static Task ExportAsync(ImageModelDescriptor backbone, DeviseHead head, string path, DeviseOnnxExportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentNullException.ThrowIfNull(head);
        return Task.Run(
            () =>
            {
                cancellationToken.ThrowIfCancellationRequested();
                byte[] model = Build(backbone, head, options);
                IndexFile.SaveAtomic(path, s =>
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    s.Write(model);
                    cancellationToken.ThrowIfCancellationRequested();
                });
            },
            cancellationToken);
    }

    /// <summary>Builds (and by default verifies) the exported model's bytes.</summary>
    internal static byte[] Build(ImageModelDescriptor backbone, DeviseHead head, DeviseOnnxExportOptions? options)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentNullException.ThrowIfNull(head);
        options ??= new DeviseOnnxExportOptions();
        if (string.IsNullOrWhiteSpace(options.OutputName))
        {
            throw new ArgumentException("OutputName must be non-empty.", nameof(options));
        }

        try
        {
            backbone.Validate();
        }
        catch (ArgumentException ex) when (ex.ParamName != nameof(backbone))
        {
            string message = ex.ParamName is null ? ex.Message : ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal);
            throw new ArgumentException(message, nameof(backbone), ex);
        }

        if (head.InputDimension != backbone.OutputDimension)
        {
            throw new ArgumentException(
                $"The head takes {head.InputDimension}-d features but backbone '{backbone.Name}' gives {backbone.OutputDimension}-d ones " +
                $"(head.InputDimension must equal backbone.OutputDimension).",
                nameof(head));
        }

        var proto = backbone.LoadModel();
        List<ProtoField> model = proto.ModelFields, graph = proto.GraphFields;

        long opset = DefaultOpset(model, backbone.ModelSource);
        byte[] newGraph = BuildGraph(graph, backbone, head, options);

        var fields = new List<ProtoField>(model.Count + 6);
        var metadata = Metadata(backbone, head, options, opset);
        foreach (var f in model)
        {
            if (f.Number == OnnxGraphBuilder.ModelIrVersion && f.Type == WireType.Varint && f.Value < 4)
            {
                // IR 3 wants every initializer listed as a graph input; IR 4 (same operators) does not.
                fields.Add(Proto.Varint(OnnxGraphBuilder.ModelIrVersion, 4));
            }
            else if (f.Number == OnnxGraphBuilder.ModelGraph)
            {
                fields.Add(Proto.Bytes(OnnxGraphBuilder.ModelGraph, newGraph));
            }
            else if (f.Number == OnnxGraphBuilder.ModelMetadata && f.Type == WireType.LengthDelimited
                && metadata.ContainsKey(Proto.GetString(Proto.Parse(f.Bytes), 1) ?? ""))
            {
                continue; // replaced below; duplicate keys are an error in ONNX Runtime
            }
            else
            {
                fields.Add(f);
            }
        }

        foreach (var (key, value) in metadata)
        {
            fields.Add(OnnxGraphBuilder.MetadataEntry(key, value));
        }

        byte[] result = Proto.Write(fields);
        if (options.Verify)
        {
            Verify(result, backbone, head, options);
        }

        return result;
    }

    private static long DefaultOpset(List<ProtoField> model, string source)
    {
        long? version = null;
        foreach (var f in model)
        {
            if (f.Number != OnnxGraphBuilder.ModelOpsetImport || f.Type != WireType.LengthDelimited)
            {
                continue;
            }

            var opset = Proto.Parse(f.Bytes);
            string domain = Proto.GetString(opset, 1) ?? "";
            if (domain.Length == 0 || domain == "ai.onnx")
            {
                version = (long)(Proto.GetVarint(opset, 2) ?? 0);
            }
        }

        if (version is null)
        {
            throw new InvalidDataException($"'{source}' imports no default-domain (ai.onnx) opset.");
        }

        if (version < MinimumOpset)
        {
            throw new NotSupportedException(
                $"'{source}' uses ai.onnx opset {version}; exporting needs opset {MinimumOpset} or later (broadcasting Mul and Add, and ONNX Runtime's support).");
        }

        return version.Value;
    }

    private static byte[] BuildGraph(List<ProtoField> graph, ImageModelDescriptor d, DeviseHead head, DeviseOnnxExportOptions options)
    {
        // Read the nodes once: what each consumes and produces.
        var nodes = new List<(ProtoField Raw, string[] Inputs, string[] Outputs)>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        var nodeNames = new HashSet<string>(StringComparer.Ordinal);
        var graphInputs = new List<string>();
        bool subgraphs = false;
        foreach (var f in graph)
        {
            if (f.Type != WireType.LengthDelimited)
            {
                continue;
            }

            if (f.Number == OnnxGraphBuilder.GraphNode)
            {
                var node = Proto.Parse(f.Bytes);
                var inputs = new List<string>();
                var outputs = new List<string>();
                foreach (var nf in node)
                {
                    if (nf.Number == 1 && nf.Type == WireType.LengthDelimited)
                    {
                        inputs.Add(nf.AsString());
                    }
                    else if (nf.Number == 2 && nf.Type == WireType.LengthDelimited)
                    {
                        outputs.Add(nf.AsString());
                    }
                }

                subgraphs |= OnnxGraphBuilder.HasSubgraph(node);
                nodeNames.Add(Proto.GetString(node, 3) ?? "");
                used.UnionWith(inputs);
                used.UnionWith(outputs);
                nodes.Add((f, [.. inputs], [.. outputs]));
            }
            else if (f.Number is OnnxGraphBuilder.GraphInitializer)
            {
                used.Add(Proto.GetString(Proto.Parse(f.Bytes), 8) ?? "");
            }
            else if (f.Number is OnnxGraphBuilder.GraphInput or OnnxGraphBuilder.GraphOutput)
            {
                string name = Proto.GetString(Proto.Parse(f.Bytes), 1) ?? "";
                used.Add(name);
                if (f.Number == OnnxGraphBuilder.GraphInput)
                {
                    graphInputs.Add(name);
                }
            }
        }

        if (!graphInputs.Contains(d.InputName))
        {
            throw new ArgumentException(
                $"Model '{d.ModelSource}' has no input '{d.InputName}'; its inputs are: {string.Join(", ", graphInputs)}.", "backbone");
        }

        bool produced = false;
        foreach (var n in nodes)
        {
            produced |= Array.IndexOf(n.Outputs, d.OutputName) >= 0;
        }

        if (!produced)
        {
            throw new ArgumentException(
                $"Model '{d.ModelSource}' has no tensor '{d.OutputName}' (backbone.OutputName): no node produces it.", "backbone");
        }

        if (used.Contains(options.OutputName))
        {
            throw new ArgumentException($"The output name '{options.OutputName}' is already a tensor of '{d.ModelSource}'; choose another.", nameof(options));
        }

        used.Add(options.OutputName);

        // Keep only what the feature depends on (drops a classifier head); with subgraphs, whose outer-scope inputs
        // are not listed on their node, keep everything.
        var needed = new HashSet<string>(StringComparer.Ordinal) { d.OutputName };
        var keep = new bool[nodes.Count];
        for (int i = nodes.Count - 1; i >= 0; i--)
        {
            bool need = subgraphs;
            foreach (string o in nodes[i].Outputs)
            {
                need |= needed.Contains(o);
            }

            if (need)
            {
                keep[i] = true;
                foreach (string x in nodes[i].Inputs)
                {
                    if (x.Length > 0)
                    {
                        needed.Add(x);
                    }
                }
            }
        }

        if (!subgraphs && !needed.Contains(d.InputName))
        {
            throw new ArgumentException($"Tensor '{d.OutputName}' of '{d.ModelSource}' does not depend on input '{d.InputName}'.", "backbone");
        }

        var result = new List<ProtoField>(graph.Count + 24);
        int nodeIndex = 0;
        foreach (var f in graph)
        {
            switch (f.Number)
            {
                case OnnxGraphBuilder.GraphNode when f.Type == WireType.LengthDelimited:
                    if (keep[nodeIndex++])
                    {
                        result.Add(f);
                    }

                    break;
                case OnnxGraphBuilder.GraphInitializer when f.Type == WireType.LengthDelimited:
                    if (subgraphs || needed.Contains(Proto.GetString(Proto.Parse(f.Bytes), 8) ?? ""))
                    {
                        result.Add(f);
                    }

                    break;
                case OnnxGraphBuilder.GraphInput when f.Type == WireType.LengthDelimited:
                {
                    string name = Proto.GetString(Proto.Parse(f.Bytes), 1) ?? "";
                    if (name == d.InputName)
                    {
                        CheckInputShape(OnnxGraphBuilder.ReadDims(f.Bytes), d);
                        // Symbolic batch; height and width as the descriptor says (they differ with ResizeModelInput).
                        result.Add(OnnxGraphBuilder.FloatValueInfo(OnnxGraphBuilder.GraphInput, name, BatchSymbol, 3L, (long)d.InputHeight, (long)d.InputWidth));
                    }
                    else if (subgraphs || needed.Contains(name))
                    {
                        result.Add(f); // old models list their initializers among the inputs
                    }

                    break;
                }

                case OnnxGraphBuilder.GraphOutput:
                case 13: // value_info: shape hints would pin the batch (and size) to the old values
                    break;
                case 14 when f.Type == WireType.LengthDelimited: // quantization_annotation of a tensor
                    if (subgraphs || needed.Contains(Proto.GetString(Proto.Parse(f.Bytes), 1) ?? ""))
                    {
                        result.Add(f);
                    }

                    break;
                default:
                    result.Add(f);
                    break;
            }
        }

        AppendHead(result, d, head, options, new Names(used, nodeNames));
        result.Add(OnnxGraphBuilder.FloatValueInfo(OnnxGraphBuilder.GraphOutput, options.OutputName, BatchSymbol, (long)head.OutputDimension));
        return Proto.Write(result);
    }

    private static void CheckInputShape(long?[]? dims, ImageModelDescriptor d)
    {
        if (dims is null)
        {
            return;
        }

        if (!d.AcceptsInputShape(dims))
        {
            string shown = string.Join(",", dims.Select(x => x?.ToString(CultureInfo.InvariantCulture) ?? "?"));
            throw new ArgumentException(
                $"Input '{d.InputName}' of '{d.ModelSource}' has shape [{shown}], but the descriptor gives [N,3,{d.InputHeight},{d.InputWidth}]" +
                (d.ResizeModelInput ? "." : " (set ResizeModelInput to run a fully convolutional model at another size)."),
                "backbone");
        }
    }

    private static void AppendHead(List<ProtoField> g, ImageModelDescriptor d, DeviseHead head, DeviseOnnxExportOptions options, Names names)
    {
        int inputs = head.InputDimension, hidden = head.HiddenDimension, outputs = head.OutputDimension;
        float[][] state = head.State;

        // The same folding as DeviseHead's constructor, so both compute x*W*scale + shift with identical constants.
        var scale1 = new float[hidden];
        var shift1 = new float[hidden];
        var scale2 = new float[outputs];
        var shift2 = new float[outputs];
        BatchNormLayer.FoldInto(state[2], state[3], state[4], state[5], head.BatchNormEpsilon, scale1, shift1);
        TensorPrimitives.FusedMultiplyAdd(state[1], scale1, shift1, shift1);
        BatchNormLayer.FoldInto(state[8], state[9], state[10], state[11], head.BatchNormEpsilon, scale2, shift2);
        TensorPrimitives.FusedMultiplyAdd(state[7], scale2, shift2, shift2);

        string w1 = names.Tensor("devise_dense1_weight"), s1 = names.Tensor("devise_bn1_scale"), t1 = names.Tensor("devise_bn1_shift");
        string w2 = names.Tensor("devise_dense2_weight"), s2 = names.Tensor("devise_bn2_scale"), t2 = names.Tensor("devise_bn2_shift");
        g.Add(OnnxGraphBuilder.FloatInitializer(w1, [inputs, hidden], state[0]));
        g.Add(OnnxGraphBuilder.FloatInitializer(s1, [hidden], scale1));
        g.Add(OnnxGraphBuilder.FloatInitializer(t1, [hidden], shift1));
        g.Add(OnnxGraphBuilder.FloatInitializer(w2, [hidden, outputs], state[6]));
        g.Add(OnnxGraphBuilder.FloatInitializer(s2, [outputs], scale2));
        g.Add(OnnxGraphBuilder.FloatInitializer(t2, [outputs], shift2));

        string x = d.OutputName;
        string Step(string op, string baseName, string[] extraInputs, string? output = null, params ProtoField[] attributes)
        {
            string y = output ?? names.Tensor(baseName);
            g.Add(OnnxGraphBuilder.Node(op, names.Node(baseName), [x, .. extraInputs], [y], attributes));
            x = y;
            return y;
        }

        if (d.GlobalAveragePool)
        {
            Step("GlobalAveragePool", "devise_feature_pool", []);
        }

        Step("Flatten", "devise_feature", [], null, OnnxGraphBuilder.IntAttribute("axis", 1));
        if (d.L2Normalize || head.InputNormalization == DeviseInputNormalization.L2)
        {
            // OnnxImageEmbedder hands the head unit-length features for such a descriptor; a head trained on
            // unit-length features normalises its input itself (normalising twice changes nothing).
            Step("LpNormalization", "devise_feature_l2", [], null, OnnxGraphBuilder.IntAttribute("axis", 1), OnnxGraphBuilder.IntAttribute("p", 2));
        }

        Step("MatMul", "devise_dense1", [w1]);
        Step("Mul", "devise_bn1_mul", [s1]);
        Step("Add", "devise_bn1", [t1]);
        Step("Relu", "devise_relu", []);
        Step("MatMul", "devise_dense2", [w2]);
        Step("Mul", "devise_bn2_mul", [s2]);
        if (options.Normalize)
        {
            Step("Add", "devise_bn2", [t2]);
            Step("LpNormalization", "devise_l2", [], options.OutputName, OnnxGraphBuilder.IntAttribute("axis", 1), OnnxGraphBuilder.IntAttribute("p", 2));
        }
        else
        {
            Step("Add", "devise_bn2", [t2], options.OutputName);
        }
    }

    private static Dictionary<string, string> Metadata(ImageModelDescriptor d, DeviseHead head, DeviseOnnxExportOptions options, long opset)
    {
        var c = CultureInfo.InvariantCulture;
        string Floats(IReadOnlyList<float> v) => "[" + string.Join(", ", v.Select(x => x.ToString("R", c))) + "]";
        string resize = d.ResizeMode == ImageResizeMode.ResizeShortSideThenCenterCrop
            ? string.Create(c, $"scale the short side to {d.ResizeShortSide} keeping the aspect ratio, then cut the centre {d.InputWidth}x{d.InputHeight}")
            : string.Create(c, $"stretch to {d.InputWidth}x{d.InputHeight}");
        string meanImage = d.MeanImage is null
            ? "none"
            : string.Create(c, $"a per-pixel mean image [3,{d.InputHeight},{d.InputWidth}] (in {d.ChannelOrder} order) is subtracted after scaling; it is NOT in this model (for ResNet-18 it is the MeanImage initializer of ResNetPreprocess.onnx)");
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["imagesearch.backbone"] = d.Name,
            ["imagesearch.input"] = string.Create(c, $"{d.InputName}: float [N,3,{d.InputHeight},{d.InputWidth}], NCHW, {d.ChannelOrder} planes"),
            ["imagesearch.preprocessing"] = string.Create(c,
                $"apply EXIF orientation; {resize}; {(d.MirrorHorizontally ? "mirror left-right; " : "")}value = (pixel0to255 * {d.Scale.ToString("R", c)} - mean[c] - meanImage[c,y,x]) / std[c] with mean {Floats(d.Mean)}, std {Floats(d.Std)}; mean image: {meanImage}"),
            ["imagesearch.head"] = string.Create(c,
                $"DeViSE {head.InputDimension} -> {head.HiddenDimension} -> {head.OutputDimension}, evaluation mode (batch norm folded into scale and shift, no dropout); features {(d.GlobalAveragePool ? "global-average-pooled, " : "")}{(d.L2Normalize || head.InputNormalization == DeviseInputNormalization.L2 ? "L2-normalised, " : "")}flattened"),
            ["imagesearch.output"] = string.Create(c,
                $"{options.OutputName}: float [N,{head.OutputDimension}] word-space vectors, {(options.Normalize ? "L2-normalised" : "not normalised")}; ai.onnx opset {opset}"),
        };
    }

    private static void Verify(byte[] model, ImageModelDescriptor d, DeviseHead head, DeviseOnnxExportOptions options)
    {
        const int Batch = 2;
        try
        {
            using var so = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC };
            using var session = new InferenceSession(model, so);
            var zeros = new float[Batch * 3 * d.InputHeight * d.InputWidth];
            using var input = OrtValue.CreateTensorValueFromMemory(zeros, [Batch, 3, d.InputHeight, d.InputWidth]);
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, [d.InputName], [input], [options.OutputName]);
            long[] shape = outputs[0].GetTensorTypeAndShape().Shape;
            if (shape.Length != 2 || shape[0] != Batch || shape[1] != head.OutputDimension)
            {
                throw new ArgumentException(
                    $"The exported model returns [{string.Join(",", shape)}] for a batch of {Batch}; [{Batch},{head.OutputDimension}] was expected. " +
                    $"Check backbone.OutputName '{d.OutputName}' and backbone.GlobalAveragePool.",
                    "backbone");
            }
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ArgumentException(
                $"The model exported from '{d.ModelSource}' fails in ONNX Runtime on a zero batch of {Batch}: {ex.Message} " +
                $"Tensor '{d.OutputName}' must be [N,{d.OutputDimension}] or [N,{d.OutputDimension},1,1] (or [N,{d.OutputDimension},H,W] with GlobalAveragePool set), " +
                "and the backbone must accept a batch larger than one.",
                "backbone",
                ex);
        }
    }

    /// <summary>Hands out tensor and node names not used in the backbone's graph.</summary>
    private sealed class Names(HashSet<string> tensors, HashSet<string> nodes)
    {
        public string Tensor(string baseName) => Unique(tensors, baseName);

        public string Node(string baseName) => Unique(nodes, baseName);

        private static string Unique(HashSet<string> taken, string baseName)
        {
            string name = baseName;
            for (int i = 1; !taken.Add(name); i++)
            {
                name = string.Create(CultureInfo.InvariantCulture, $"{baseName}_{i}");
            }

            return name;
        }
    }
}
