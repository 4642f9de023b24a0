
namespace ImageSearch;

/// <summary>
/// Built-in model descriptors: ResNet-18 (512-d, from the NuGet package <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>)
/// and the int8 MobileNetV2 (1280-d pooled feature, with its ImageNet class head) built into this assembly. Thread-safe.
/// </summary>
public static class ImageModels
{
    /// <summary>The NuGet package that carries the ResNet-18 ONNX files.</summary>
    public const string ResNet18PackageId = "microsoft.ml.dnnimagefeaturizer.resnet18";

    /// <summary>The package version this library was built against.</summary>
    public const string ResNet18PackageVersion = "0.23.1";

    /// <summary>File name of the int8 MobileNetV2 of the ONNX Model Zoo (the copy built into this assembly has the same bytes).</summary>
    public const string MobileNetV2FileName = "mobilenetv2-12-int8.onnx";

    private static readonly Lazy<byte[]> EmbeddedMobileNetV2 = new(() => ReadResource(MobileNetV2FileName));

    /// <summary>Input size of ML.NET's ResNet-18 graph (and of <see cref="ResNet18(string?, int)"/> by default).</summary>
    public const int ResNet18NativeInputSize = 224;

    /// <summary>
    /// ResNet-18 (ImageNet, CNTK export shipped by ML.NET): input <c>Input247</c> [1,3,224,224] BGR 0-255 minus a
    /// per-pixel mean image, output <c>Pooling395_Output_0</c> [1,512,1,1]. The mean image is read from the package's
    /// <c>ResNetPreprocess.onnx</c> and applied in our own preprocessing (no second model run). The photo is scaled so
    /// its short side is the input size and centre-cropped, as ML.NET's <c>ResizeImages(IsoCrop)</c> does.
    /// </summary>
    /// <param name="modelsDirectory">
    /// The <c>DnnImageModels</c> folder; <see langword="null"/> searches <c>AppContext.BaseDirectory/DnnImageModels</c>
    /// (where the package's build targets copy the files), then the NuGet global packages folder
    /// (<c>NUGET_PACKAGES</c> or <c>~/.nuget/packages</c>).
    /// </param>
    /// <param name="inputSize">
    /// Side of the square input in pixels, 32 to 1024. At 224 (the default) the descriptor is named <c>resnet18</c> and
    /// runs the graph exactly as ML.NET does. Any other size is named <c>resnet18-&lt;size&gt;</c>: the network is fully
    /// convolutional, so the graph's input is resized (<see cref="ImageModelDescriptor.ResizeModelInput"/>), the last
    /// residual block's map (<c>ReLU393_Output_0</c>) is averaged over its positions, and the mean image is resampled
    /// bilinearly. A larger input shows small objects in more detail: 320 scored best on the DeViSE validation folds
    /// (<c>docs/evaluation.md</c>), at about twice the cost per photo.
    /// </param>
    /// <returns>A descriptor with an absolute model path.</returns>
    /// <exception cref="FileNotFoundException">The files were not found; the message lists every place searched.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="inputSize"/> is outside 32 to 1024.</exception>
    public static ImageModelDescriptor ResNet18(string? modelsDirectory = null, int inputSize = ResNet18NativeInputSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 32);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(inputSize, 1024);
        string dir = modelsDirectory ?? ModelLocator.FindResNet18Directory();
        string model = Path.Combine(dir, "ResNet18Onnx", "ResNet18.onnx");
        string prep = Path.Combine(dir, "ResNetPrepOnnx", "ResNetPreprocess.onnx");
        foreach (string f in new[] { model, prep })
        {
            if (!File.Exists(f))
            {
                throw new FileNotFoundException($"ResNet-18 model file '{f}' does not exist.", f);
            }
        }

        const int native = ResNet18NativeInputSize;
        var meanImage = OnnxModelProto.Load(prep).FindInitializer("MeanImage")
            ?? throw new InvalidDataException($"'{prep}' has no 'MeanImage' initializer.");
        if (meanImage.Floats is null || meanImage.Floats.Length != 3 * native * native)
        {
            throw new InvalidDataException($"'{prep}': 'MeanImage' is not a float [1,3,224,224] tensor.");
        }

        var descriptor = new ImageModelDescriptor
        {
            Name = "resnet18",
            ModelPath = model,
            InputName = "Input247",
            OutputName = "Pooling395_Output_0",
            OutputDimension = 512,
            ResizeMode = ImageResizeMode.ResizeShortSideThenCenterCrop,
            ResizeShortSide = native,
            ChannelOrder = ChannelOrder.Bgr,
            Scale = 1f,
            Mean = [0f, 0f, 0f],
            Std = [1f, 1f, 1f],
            MeanImage = meanImage.Floats,
        };
        return inputSize == native ? descriptor : descriptor with
        {
            Name = $"resnet18-{inputSize}",
            OutputName = "ReLU393_Output_0",
            GlobalAveragePool = true,
            ResizeModelInput = true,
            InputWidth = inputSize,
            InputHeight = inputSize,
            ResizeShortSide = inputSize,
            MeanImage = ResampleMeanImage(meanImage.Floats, native, inputSize),
        };
    }

    // Bilinear, pixel centres aligned (the mean image is smooth: per-channel spread about 5 on 0-255).
    private static float[] ResampleMeanImage(float[] source, int from, int to)
    {
        var result = new float[3 * to * to];
        double ratio = (double)from / to;
        for (int c = 0; c < 3; c++)
        {
            ReadOnlySpan<float> plane = source.AsSpan(c * from * from, from * from);
            for (int y = 0; y < to; y++)
            {
                double sy = Math.Clamp(((y + 0.5) * ratio) - 0.5, 0, from - 1);
                int y0 = (int)sy, y1 = Math.Min(y0 + 1, from - 1);
                double fy = sy - y0;
                for (int x = 0; x < to; x++)
                {
                    double sx = Math.Clamp(((x + 0.5) * ratio) - 0.5, 0, from - 1);
                    int x0 = (int)sx, x1 = Math.Min(x0 + 1, from - 1);
                    double fx = sx - x0;
                    double top = ((1 - fx) * plane[(y0 * from) + x0]) + (fx * plane[(y0 * from) + x1]);
                    double bottom = ((1 - fx) * plane[(y1 * from) + x0]) + (fx * plane[(y1 * from) + x1]);
                    result[(c * to * to) + (y * to) + x] = (float)(((1 - fy) * top) + (fy * bottom));
                }
            }
        }

        return result;
    }

    /// <summary>
    /// The int8 MobileNetV2 1.0 of the ONNX Model Zoo, the copy built into this assembly (3.5 MB, Apache-2.0; see the
    /// package's THIRD-PARTY-NOTICES.txt): input <c>input</c> [N,3,224,224] RGB, short side 256, centre crop 224, /255,
    /// ImageNet mean and std; embedding = the 1280-d feature map <c>627</c> averaged over its 7x7 positions (the input
    /// of the classifier head, <see cref="OnnxClassifierHead.MobileNetV2()"/>).
    /// </summary>
    /// <returns>A descriptor whose model is in memory (<see cref="ImageModelDescriptor.ModelBytes"/>).</returns>
    public static ImageModelDescriptor MobileNetV2() => MobileNetV2Descriptor(null, EmbeddedMobileNetV2.Value);

    /// <summary>
    /// <see cref="MobileNetV2()"/> read from your own copy of <c>mobilenetv2-12-int8.onnx</c> (or another build of the
    /// model with the same tensor names).
    /// </summary>
    /// <param name="modelPath">Path of the .onnx file.</param>
    /// <returns>A descriptor.</returns>
    /// <exception cref="ArgumentException"><paramref name="modelPath"/> is empty.</exception>
    public static ImageModelDescriptor MobileNetV2(string modelPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        return MobileNetV2Descriptor(Path.GetFullPath(modelPath), null);
    }

    /// <summary>
    /// The same as the int8 MobileNetV2 descriptor, but returning the 1000 ImageNet logits (<c>output</c>) rather than the
    /// pooled feature; for classification.
    /// </summary>
    /// <param name="modelPath">Path of <c>mobilenetv2-12-int8.onnx</c>; <see langword="null"/> for the built-in copy.</param>
    /// <returns>A descriptor.</returns>
    public static ImageModelDescriptor MobileNetV2Logits(string? modelPath = null)
        => (modelPath is null ? MobileNetV2() : MobileNetV2(modelPath)) with { Name = "mobilenetv2-logits", OutputName = "output", OutputDimension = 1000, GlobalAveragePool = false };

    /// <summary>The ImageNet class names of the built-in MobileNetV2 (1000, in class-index order).</summary>
    /// <returns>A new array.</returns>
    internal static string[] ImageNetLabels()
    {
        using var reader = new StreamReader(new MemoryStream(ReadResource("imagenet-labels.txt")));
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            lines.Add(line);
        }

        return OnnxClassifierHead.ParseLabels(lines, "the built-in imagenet-labels.txt");
    }

    private static ImageModelDescriptor MobileNetV2Descriptor(string? path, byte[]? bytes) => new()
    {
        Name = "mobilenetv2",
        ModelPath = path,
        ModelBytes = bytes is null ? (ReadOnlyMemory<byte>?)null : bytes, // a bare null would convert to an empty memory
        InputName = "input",
        OutputName = "627",
        OutputDimension = 1280,
        GlobalAveragePool = true,
    };

    private static byte[] ReadResource(string fileName)
    {
        using Stream stream = typeof(ImageModels).Assembly.GetManifestResourceStream("ImageSearch.Models." + fileName)
            ?? throw new InvalidOperationException($"The built-in {fileName} is missing from {typeof(ImageModels).Assembly.GetName().Name} (a broken build).");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }
}
