namespace ImageSearch;

/// <summary>How a decoded photo is brought to the model's input size.</summary>
public enum ImageResizeMode
{
    /// <summary>
    /// Scale so the short side becomes <see cref="ImageModelDescriptor.ResizeShortSide"/> (keeping the aspect ratio),
    /// then cut the centre <see cref="ImageModelDescriptor.InputWidth"/> x <see cref="ImageModelDescriptor.InputHeight"/>
    /// (torchvision's <c>Resize(256)</c> + <c>CenterCrop(224)</c>, ML.NET's <c>IsoCrop</c> when the two sizes are equal).
    /// </summary>
    ResizeShortSideThenCenterCrop,

    /// <summary>Scale each axis independently to the input size (the aspect ratio is not kept).</summary>
    Stretch,
}

/// <summary>Order of the three colour planes the model expects.</summary>
public enum ChannelOrder
{
    /// <summary>Red, green, blue.</summary>
    Rgb,

    /// <summary>Blue, green, red (Caffe / CNTK models).</summary>
    Bgr,
}

/// <summary>
/// Everything needed to turn a photo into a model input and the model's output into an embedding: the ONNX model
/// (a file, or bytes in memory), tensor names, geometry, colour order and normalisation. Immutable and thread-safe.
/// </summary>
/// <remarks>
/// Each input value is <c>(pixel * Scale - Mean[c] - MeanImage[c, y, x]) / Std[c]</c>, where <c>pixel</c> is the
/// 0-255 channel value and <c>c</c> counts in <see cref="ChannelOrder"/>; the tensor is NCHW float.
/// The model must take one float input of shape [N or 1, 3, <see cref="InputHeight"/>, <see cref="InputWidth"/>].
/// A batch dimension fixed at 1 is made symbolic when the model is loaded, and an output that is an intermediate
/// tensor (not a graph output) is added as one, so ONNX Runtime can return it.
/// </remarks>
public sealed record ImageModelDescriptor
{
    /// <summary>Short name used in messages and cache file names (for example <c>resnet18</c>).</summary>
    public required string Name { get; init; }

    /// <summary>Path of the .onnx file; <see langword="null"/> when the model is given as <see cref="ModelBytes"/>. Exactly one of the two is set.</summary>
    public string? ModelPath { get; init; }

    /// <summary>
    /// The .onnx model itself, for a model held in memory (such as the MobileNetV2 built into this package, see
    /// <see cref="ImageModels.MobileNetV2()"/>); <see langword="null"/> when the model is the file <see cref="ModelPath"/>.
    /// The bytes must not change while a descriptor refers to them.
    /// </summary>
    public ReadOnlyMemory<byte>? ModelBytes { get; init; }

    /// <summary>The model's file path, or a name for an in-memory model (for messages).</summary>
    internal string ModelSource => ModelPath ?? $"{Name} (in memory)";

    /// <summary>Reads the model: the file, or a copy of <see cref="ModelBytes"/>.</summary>
    /// <exception cref="FileNotFoundException">The model file does not exist.</exception>
    internal OnnxModelProto LoadModel()
    {
        if (ModelBytes is { } bytes)
        {
            return OnnxModelProto.FromBytes(bytes.ToArray(), ModelSource);
        }

        return File.Exists(ModelPath)
            ? OnnxModelProto.Load(ModelPath)
            : throw new FileNotFoundException($"Model file '{ModelPath}' of '{Name}' does not exist.", ModelPath);
    }

    /// <summary>The model's bytes as stored (file or memory), for a session that needs no rewrite.</summary>
    internal byte[] ReadModelBytes() => ModelBytes is { } bytes ? bytes.ToArray() : File.ReadAllBytes(ModelPath!);

    /// <summary>Name of the image input tensor.</summary>
    public required string InputName { get; init; }

    /// <summary>Name of the tensor read as the embedding: [N, D], [N, D, 1, 1] or [N, D, H, W] with <see cref="GlobalAveragePool"/>.</summary>
    public required string OutputName { get; init; }

    /// <summary>Number of elements of the embedding (D).</summary>
    public required int OutputDimension { get; init; }

    /// <summary>Model input width in pixels.</summary>
    public int InputWidth { get; init; } = 224;

    /// <summary>Model input height in pixels.</summary>
    public int InputHeight { get; init; } = 224;

    /// <summary>How the photo is fitted to the input size.</summary>
    public ImageResizeMode ResizeMode { get; init; } = ImageResizeMode.ResizeShortSideThenCenterCrop;

    /// <summary>
    /// Mirror the photo left-to-right before it reaches the model (after EXIF orientation, before the per-pixel mean
    /// image); <see langword="false"/> by default. Used for flip augmentation and test-time averaging; give such a
    /// descriptor its own <see cref="Name"/> so cached features of the two views do not mix.
    /// </summary>
    public bool MirrorHorizontally { get; init; }

    /// <summary>Short side after resizing, before the centre crop (used by <see cref="ImageResizeMode.ResizeShortSideThenCenterCrop"/>).</summary>
    public int ResizeShortSide { get; init; } = 256;

    /// <summary>Colour plane order of the input.</summary>
    public ChannelOrder ChannelOrder { get; init; } = ChannelOrder.Rgb;

    /// <summary>Factor applied to the 0-255 pixel values first (1/255 for models trained on 0-1 inputs).</summary>
    public float Scale { get; init; } = 1f / 255f;

    /// <summary>Per-channel mean subtracted after scaling, in <see cref="ChannelOrder"/> (three values).</summary>
    public IReadOnlyList<float> Mean { get; init; } = [0.485f, 0.456f, 0.406f];

    /// <summary>Per-channel standard deviation divided by last, in <see cref="ChannelOrder"/> (three non-zero values).</summary>
    public IReadOnlyList<float> Std { get; init; } = [0.229f, 0.224f, 0.225f];

    /// <summary>
    /// Optional per-pixel mean image subtracted after scaling, [3, <see cref="InputHeight"/>, <see cref="InputWidth"/>]
    /// in <see cref="ChannelOrder"/> (the "mean image" of Caffe-era models such as ML.NET's ResNet-18); <see langword="null"/> for none.
    /// </summary>
    public IReadOnlyList<float>? MeanImage { get; init; }

    /// <summary>Average the output over its spatial dimensions (for [N, D, H, W] feature maps).</summary>
    public bool GlobalAveragePool { get; init; }

    /// <summary>
    /// Run the model at <see cref="InputHeight"/> x <see cref="InputWidth"/> even when its graph declares another fixed
    /// input size: the declared height and width are rewritten when the model is loaded. Valid only for fully
    /// convolutional backbones whose feature is a spatial map averaged by <see cref="GlobalAveragePool"/> (a fixed-size
    /// pooling or reshape inside the graph would then fail when the embedder probes the model). <see langword="false"/> by default.
    /// </summary>
    public bool ResizeModelInput { get; init; }

    /// <summary>Scale every embedding to unit length (a zero vector stays zero).</summary>
    public bool L2Normalize { get; init; }

    /// <summary>
    /// Whether a graph input of these dimensions ([N,3,H,W], unknown ones <see langword="null"/>) can take this
    /// descriptor's tensors: three channels, and the descriptor's height and width unless <see cref="ResizeModelInput"/>.
    /// </summary>
    internal bool AcceptsInputShape(long?[] dims)
        => dims.Length == 4 && (dims[1] is null or 3)
            && (ResizeModelInput || ((dims[2] is null || dims[2] == InputHeight) && (dims[3] is null || dims[3] == InputWidth)));

    /// <summary>Checks the descriptor's own consistency (not the model file).</summary>
    /// <exception cref="ArgumentException">A field is out of range; the message names it.</exception>
    public void Validate()
    {
        const string arg = "descriptor";
        if (string.IsNullOrWhiteSpace(Name) || string.IsNullOrWhiteSpace(InputName) || string.IsNullOrWhiteSpace(OutputName))
        {
            throw new ArgumentException("Name, InputName and OutputName must be non-empty.", arg);
        }

        if ((ModelBytes is null) == string.IsNullOrWhiteSpace(ModelPath) || ModelBytes is { IsEmpty: true })
        {
            throw new ArgumentException("Exactly one of ModelPath and ModelBytes must be set (and not empty).", arg);
        }

        if (OutputDimension <= 0 || InputWidth <= 0 || InputHeight <= 0 || ResizeShortSide <= 0)
        {
            throw new ArgumentException(
                $"OutputDimension ({OutputDimension}), InputWidth ({InputWidth}), InputHeight ({InputHeight}) and ResizeShortSide ({ResizeShortSide}) must be positive.", arg);
        }

        if (ResizeMode == ImageResizeMode.ResizeShortSideThenCenterCrop && ResizeShortSide < Math.Max(InputWidth, InputHeight))
        {
            throw new ArgumentException($"ResizeShortSide ({ResizeShortSide}) must be at least the input size for a centre crop.", arg);
        }

        if (Mean is null || Mean.Count != 3 || Std is null || Std.Count != 3)
        {
            throw new ArgumentException("Mean and Std must have three values each.", arg);
        }

        for (int c = 0; c < 3; c++)
        {
            if (!float.IsFinite(Mean[c]) || !float.IsFinite(Std[c]) || Std[c] == 0)
            {
                throw new ArgumentException($"Mean[{c}] and Std[{c}] must be finite and Std non-zero.", arg);
            }
        }

        if (!float.IsFinite(Scale) || Scale == 0)
        {
            throw new ArgumentException("Scale must be finite and non-zero.", arg);
        }

        if (ResizeModelInput && !GlobalAveragePool)
        {
            throw new ArgumentException("ResizeModelInput needs GlobalAveragePool: the feature of a resized model is a spatial map.", arg);
        }

        if (MeanImage is not null && MeanImage.Count != 3 * InputWidth * InputHeight)
        {
            throw new ArgumentException($"MeanImage has {MeanImage.Count} values; 3 x {InputHeight} x {InputWidth} = {3 * InputWidth * InputHeight} expected.", arg);
        }
    }
}
