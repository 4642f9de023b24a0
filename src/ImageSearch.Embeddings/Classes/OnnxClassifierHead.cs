
namespace ImageSearch;

/// <summary>How a classifier weight initializer is laid out.</summary>
public enum WeightLayout
{
    /// <summary>Decide from the shapes: the axis whose length is the number of labels is the class axis (square matrices need an explicit layout).</summary>
    Auto,

    /// <summary>[dimension, classes], as the B input of a MatMul (<c>y = x W</c>).</summary>
    DimensionByClasses,

    /// <summary>[classes, dimension], as the B input of a Gemm with <c>transB = 1</c> (PyTorch's <c>Linear.weight</c>).</summary>
    ClassesByDimension,
}

/// <summary>
/// Reads a classifier head (the last linear layer) out of an ONNX model's initializers into <see cref="ClassWeights"/>:
/// float weights as they are, int8/uint8 weights dequantised as <c>W = (q - zero_point) * scale</c> with a per-tensor
/// or per-class scale and zero point. Thread-safe (stateless).
/// </summary>
public static class OnnxClassifierHead
{
    /// <summary>Reads a head.</summary>
    /// <param name="modelPath">The .onnx file.</param>
    /// <param name="weightInitializerName">The weight initializer (float, double, int8 or uint8).</param>
    /// <param name="labelsPath">Text file with one class name per line, in class-index order (blank lines at the end are ignored).</param>
    /// <param name="scaleName">Scale initializer for quantised weights (one value, or one per class); null for float weights.</param>
    /// <param name="zeroPointName">Zero-point initializer for quantised weights (one value or one per class); null means 0.</param>
    /// <param name="biasName">Optional bias initializer (float, or quantised with <paramref name="biasScaleName"/>).</param>
    /// <param name="biasScaleName">Scale of a quantised bias.</param>
    /// <param name="biasZeroPointName">Zero point of a quantised bias.</param>
    /// <param name="layout">Weight layout; <see cref="WeightLayout.Auto"/> by default.</param>
    /// <returns>Class weights [classes x dimension] with the labels' names.</returns>
    /// <exception cref="ArgumentException">An initializer is missing or shapes disagree (the label count with the
    /// class axis, a scale's length with the class count); the message names the initializer.</exception>
    /// <remarks>Limits: the model is read whole (under 2 GB) by this library's ONNX reader: a malformed file raises
    /// <see cref="InvalidDataException"/>, weights in external files <see cref="NotSupportedException"/>.</remarks>
    public static ClassWeights Read(
        string modelPath,
        string weightInitializerName,
        string labelsPath,
        string? scaleName = null,
        string? zeroPointName = null,
        string? biasName = null,
        string? biasScaleName = null,
        string? biasZeroPointName = null,
        WeightLayout layout = WeightLayout.Auto)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(weightInitializerName);
        ArgumentException.ThrowIfNullOrWhiteSpace(labelsPath);
        return Read(OnnxModelProto.Load(modelPath), ReadLabels(labelsPath), labelsPath, weightInitializerName, scaleName, zeroPointName, biasName, biasScaleName, biasZeroPointName, layout);
    }

    /// <summary>
    /// The 1000-class ImageNet head of the built-in int8 MobileNetV2 (<c>classifier.1.weight_quantized</c> [1280,1000]
    /// with per-class scale and zero point, and its quantised bias), named from the built-in ImageNet labels. Its
    /// weights apply to the 1280-d pooled feature of <see cref="ImageModels.MobileNetV2()"/>.
    /// </summary>
    /// <returns>1000 x 1280 class weights with bias.</returns>
    public static ClassWeights MobileNetV2()
    {
        var d = ImageModels.MobileNetV2();
        return MobileNetV2(d.LoadModel(), ImageModels.ImageNetLabels(), "the built-in imagenet-labels.txt");
    }

    /// <summary>
    /// <see cref="MobileNetV2()"/> read from your own copies of the model and the label file.
    /// </summary>
    /// <param name="modelPath">The <c>mobilenetv2-12-int8.onnx</c> file.</param>
    /// <param name="labelsPath">The labels, one per line in class-index order.</param>
    /// <returns>1000 x 1280 class weights with bias.</returns>
    public static ClassWeights MobileNetV2(string modelPath, string labelsPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(labelsPath);
        return MobileNetV2(OnnxModelProto.Load(modelPath), ReadLabels(labelsPath), labelsPath);
    }

    private static ClassWeights MobileNetV2(OnnxModelProto model, string[] labels, string labelsSource)
        => Read(
            model,
            labels,
            labelsSource,
            "classifier.1.weight_quantized",
            "classifier.1.weight_scale",
            "classifier.1.weight_zero_point",
            "classifier.1.bias_quantized",
            "classifier.1.bias_scale",
            "classifier.1.bias_zero_point",
            WeightLayout.DimensionByClasses);

    private static ClassWeights Read(
        OnnxModelProto model,
        string[] labels,
        string labelsPath,
        string weightInitializerName,
        string? scaleName,
        string? zeroPointName,
        string? biasName,
        string? biasScaleName,
        string? biasZeroPointName,
        WeightLayout layout)
    {
        string modelPath = model.Source;

        var w = Require(model, weightInitializerName, nameof(weightInitializerName));
        if (w.Dims.Length != 2)
        {
            throw new ArgumentException($"Initializer '{weightInitializerName}' of '{modelPath}' has shape [{string.Join(",", w.Dims)}]; a matrix is needed.", nameof(weightInitializerName));
        }

        int classes = labels.Length;
        bool classesFirst = layout switch
        {
            WeightLayout.ClassesByDimension => true,
            WeightLayout.DimensionByClasses => false,
            _ when w.Dims[0] == classes && w.Dims[1] != classes => true,
            _ when w.Dims[1] == classes && w.Dims[0] != classes => false,
            _ => throw new ArgumentException(
                $"Cannot tell the class axis of '{weightInitializerName}' [{string.Join(",", w.Dims)}] from {classes} labels in '{labelsPath}'; pass a WeightLayout.", nameof(layout)),
        };
        if (w.Dims[classesFirst ? 0 : 1] != classes)
        {
            throw new ArgumentException(
                $"Initializer '{weightInitializerName}' [{string.Join(",", w.Dims)}] has {w.Dims[classesFirst ? 0 : 1]} classes but '{labelsPath}' has {classes} labels.", nameof(labelsPath));
        }

        int dim = (int)w.Dims[classesFirst ? 1 : 0];
        bool quantised = w.DataType is OnnxDataType.Int8 or OnnxDataType.UInt8;
        if (quantised && scaleName is null)
        {
            throw new ArgumentException($"Initializer '{weightInitializerName}' is {w.DataType}; its scale initializer name is needed.", nameof(scaleName));
        }

        var scale = scaleName is null ? null : PerClass(Require(model, scaleName, nameof(scaleName)), classes, nameof(scaleName));
        var zero = zeroPointName is null ? null : PerClass(Require(model, zeroPointName, nameof(zeroPointName)), classes, nameof(zeroPointName));

        var matrix = new float[(long)classes * dim];
        for (int j = 0; j < classes; j++)
        {
            double s = scale?[j] ?? 1, z = zero?[j] ?? 0;
            for (int k = 0; k < dim; k++)
            {
                long src = classesFirst ? ((long)j * dim) + k : ((long)k * classes) + j;
                matrix[((long)j * dim) + k] = (float)((w[src] - z) * s);
            }
        }

        float[] bias = [];
        if (biasName is not null)
        {
            var b = Require(model, biasName, nameof(biasName));
            if (b.ElementCount != classes)
            {
                throw new ArgumentException($"Bias '{biasName}' has {b.ElementCount} values for {classes} classes.", nameof(biasName));
            }

            var bs = biasScaleName is null ? null : PerClass(Require(model, biasScaleName, nameof(biasScaleName)), classes, nameof(biasScaleName));
            var bz = biasZeroPointName is null ? null : PerClass(Require(model, biasZeroPointName, nameof(biasZeroPointName)), classes, nameof(biasZeroPointName));
            bias = new float[classes];
            for (int j = 0; j < classes; j++)
            {
                bias[j] = (float)((b[j] - (bz?[j] ?? 0)) * (bs?[j] ?? 1));
            }
        }

        return new ClassWeights(labels, matrix, dim, bias);
    }

    /// <summary>Reads a label file: one name per line, trailing blank lines dropped.</summary>
    /// <param name="labelsPath">The file.</param>
    /// <returns>The names.</returns>
    /// <exception cref="ArgumentException">The file has no labels or a blank line in the middle.</exception>
    public static string[] ReadLabels(string labelsPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(labelsPath);
        return ParseLabels(File.ReadAllLines(labelsPath), labelsPath);
    }

    /// <summary>The labels of a label file's lines (see <see cref="ReadLabels"/>).</summary>
    internal static string[] ParseLabels(IEnumerable<string> fileLines, string labelsPath)
    {
        var lines = new List<string>(fileLines);
        while (lines.Count > 0 && string.IsNullOrWhiteSpace(lines[^1]))
        {
            lines.RemoveAt(lines.Count - 1);
        }

        if (lines.Count == 0)
        {
            throw new ArgumentException($"Label file '{labelsPath}' is empty.", nameof(labelsPath));
        }

        for (int i = 0; i < lines.Count; i++)
        {
            lines[i] = lines[i].Trim();
            if (lines[i].Length == 0)
            {
                throw new ArgumentException($"Label file '{labelsPath}' has a blank line {i + 1}.", nameof(labelsPath));
            }
        }

        return [.. lines];
    }

    private static OnnxTensor Require(OnnxModelProto model, string name, string argument)
        => model.FindInitializer(name) ?? throw new ArgumentException($"Model '{model.Source}' has no initializer '{name}'.", argument);

    private static double[] PerClass(OnnxTensor t, int classes, string argument)
    {
        long n = t.ElementCount;
        if (n != 1 && n != classes)
        {
            throw new ArgumentException($"Initializer '{t.Name}' has {n} values; 1 or {classes} (one per class) expected.", argument);
        }

        var values = new double[classes];
        for (int j = 0; j < classes; j++)
        {
            values[j] = t[n == 1 ? 0 : j];
        }

        return values;
    }
}
