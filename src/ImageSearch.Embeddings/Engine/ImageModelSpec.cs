using System.Security.Cryptography;

namespace ImageSearch;

/// <summary>
/// Names the image model of an <see cref="ImageSearchEngine"/>: the built-in <c>resnet18</c> (512-d, from NuGet) or
/// <c>mobilenetv2</c> (1280-d, built into this package), or any ONNX image model file. Its <see cref="Id"/> is
/// recorded in the engine folder so the folder is never searched with another model. Immutable, thread-safe.
/// </summary>
public sealed class ImageModelSpec
{
    private readonly Func<ImageModelDescriptor> _descriptor;

    private ImageModelSpec(string id, string source, int? dimension, Func<ImageModelDescriptor> descriptor)
    {
        Id = id;
        Source = source;
        KnownDimension = dimension;
        _descriptor = descriptor;
    }

    /// <summary>ResNet-18 (512-d pooled ImageNet features); the default.</summary>
    public static ImageModelSpec ResNet18 { get; } = new("resnet18", "resnet18", 512, () => ImageModels.ResNet18());

    /// <summary>The built-in int8 MobileNetV2 (1280-d, <see cref="ImageModels.MobileNetV2()"/>), which also has an ImageNet class head.</summary>
    public static ImageModelSpec MobileNetV2 { get; } = new("mobilenetv2", "mobilenetv2", 1280, ImageModels.MobileNetV2);

    /// <summary>
    /// Identity of the model: <c>resnet18</c>, <c>mobilenetv2</c>, or <c>onnx:&lt;file name&gt;:&lt;first 16 hex digits of
    /// its SHA-256&gt;</c> for a model file, so a changed file counts as another model.
    /// </summary>
    public string Id { get; }

    /// <summary>What reopens the model: the built-in name, or the file's absolute path.</summary>
    public string Source { get; }

    /// <summary>The output dimension when known without loading the model (the built-in ones).</summary>
    public int? KnownDimension { get; }

    /// <summary>Whether this is the built-in MobileNetV2, whose ImageNet head gives class weights.</summary>
    public bool HasImageNetHead => ReferenceEquals(this, MobileNetV2);

    /// <summary>
    /// Parses <c>resnet18</c>, <c>mobilenetv2</c> (any case) or the path of an <c>.onnx</c> file.
    /// </summary>
    /// <param name="text">The model name or file.</param>
    /// <returns>The spec.</returns>
    /// <exception cref="ArgumentException">Not a known name and not an existing <c>.onnx</c> file.</exception>
    public static ImageModelSpec Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        string t = text.Trim();
        if (t.Equals("resnet18", StringComparison.OrdinalIgnoreCase) || t.Equals("resnet-18", StringComparison.OrdinalIgnoreCase))
        {
            return ResNet18;
        }

        if (t.Equals("mobilenetv2", StringComparison.OrdinalIgnoreCase) || t.Equals("mobilenet-v2", StringComparison.OrdinalIgnoreCase))
        {
            return MobileNetV2;
        }

        if (!t.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"Unknown model '{t}': use resnet18, mobilenetv2 or the path of an .onnx file.", nameof(text));
        }

        string path = Path.GetFullPath(t);
        if (!File.Exists(path))
        {
            throw new ArgumentException($"Model file '{path}' does not exist.", nameof(text));
        }

        string hash;
        using (var stream = File.OpenRead(path))
        {
            hash = Convert.ToHexStringLower(SHA256.HashData(stream))[..16];
        }

        return new ImageModelSpec($"onnx:{Path.GetFileName(path)}:{hash}", path, null, () => DescribeOnnx(path));
    }

    /// <summary>The model's descriptor (locates the model files).</summary>
    /// <returns>A descriptor.</returns>
    /// <exception cref="FileNotFoundException">The model files are missing.</exception>
    public ImageModelDescriptor CreateDescriptor() => _descriptor();

    /// <summary>Loads the model.</summary>
    /// <param name="options">Batching and threads; <see langword="null"/> for defaults.</param>
    /// <returns>A new embedder, owned by the caller.</returns>
    public OnnxImageEmbedder CreateEmbedder(OnnxImageEmbedderOptions? options = null) => new(CreateDescriptor(), options);

    /// <inheritdoc/>
    public override string ToString() => Id;

    // A user's model: first input, first output; [N,D] or [N,D,H,W] (averaged over H x W); ImageNet preprocessing.
    private static ImageModelDescriptor DescribeOnnx(string path)
    {
        var proto = OnnxModelProto.Load(path);
        if (proto.Inputs.Count == 0 || proto.Outputs.Count == 0)
        {
            throw new ArgumentException($"Model '{path}' has no graph input or output.", nameof(path));
        }

        var input = proto.Inputs[0];
        var output = proto.Outputs[0];
        long?[] dims = output.Dims ?? [];
        if (dims.Length is not (2 or 4) || dims[1] is not > 0)
        {
            throw new ArgumentException(
                $"Model '{path}': output '{output.Name}' has shape [{string.Join(',', dims.Select(d => d?.ToString() ?? "?"))}]; expected [N,D] or [N,D,H,W] with a fixed D.",
                nameof(path));
        }

        bool pool = dims.Length == 4 && !(dims[2] == 1 && dims[3] == 1);
        long?[] inDims = input.Dims ?? [];
        int h = inDims.Length == 4 && inDims[2] is > 0 ? (int)inDims[2]!.Value : 224;
        int w = inDims.Length == 4 && inDims[3] is > 0 ? (int)inDims[3]!.Value : 224;
        return new ImageModelDescriptor
        {
            Name = Path.GetFileNameWithoutExtension(path),
            ModelPath = path,
            InputName = input.Name,
            OutputName = output.Name,
            OutputDimension = (int)dims[1]!.Value,
            InputWidth = w,
            InputHeight = h,
            ResizeShortSide = Math.Max(w, h) * 8 / 7,
            GlobalAveragePool = pool,
        };
    }
}
