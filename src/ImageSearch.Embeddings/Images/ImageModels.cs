
namespace ImageSearch;

/// <summary>
/// Built-in model descriptors: ResNet-18 (512-d, from the NuGet package <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>)
/// and the int8 MobileNetV2 (1280-d pooled feature) from the project's shared models folder. Thread-safe.
/// </summary>
public static class ImageModels
{
    /// <summary>The NuGet package that carries the ResNet-18 ONNX files.</summary>
    public const string ResNet18PackageId = "microsoft.ml.dnnimagefeaturizer.resnet18";

    /// <summary>The package version this library was built against.</summary>
    public const string ResNet18PackageVersion = "0.23.1";

    /// <summary>Environment variable naming the shared folder (the one holding <c>models/</c> and <c>datasets/</c>).</summary>
    public const string SharedFolderVariable = "IMAGESEARCH_SHARED";

    /// <summary>File name of the int8 MobileNetV2 in the shared models folder.</summary>
    public const string MobileNetV2FileName = "mobilenetv2-12-int8.onnx";

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
    /// The int8 MobileNetV2 1.0 of the ONNX Model Zoo: input <c>input</c> [N,3,224,224] RGB, short side 256, centre
    /// crop 224, /255, ImageNet mean and std; embedding = the 1280-d feature map <c>627</c> averaged over its 7x7
    /// positions (the input of the classifier head).
    /// </summary>
    /// <param name="modelPath">Path of <c>mobilenetv2-12-int8.onnx</c>.</param>
    /// <returns>A descriptor.</returns>
    /// <exception cref="ArgumentException"><paramref name="modelPath"/> is empty.</exception>
    public static ImageModelDescriptor MobileNetV2(string modelPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        return new ImageModelDescriptor
        {
            Name = "mobilenetv2",
            ModelPath = Path.GetFullPath(modelPath),
            InputName = "input",
            OutputName = "627",
            OutputDimension = 1280,
            GlobalAveragePool = true,
        };
    }

    /// <summary>
    /// The same as the int8 MobileNetV2 descriptor, but returning the 1000 ImageNet logits (<c>output</c>) rather than the
    /// pooled feature; for classification.
    /// </summary>
    /// <param name="modelPath">Path of <c>mobilenetv2-12-int8.onnx</c>.</param>
    /// <returns>A descriptor.</returns>
    public static ImageModelDescriptor MobileNetV2Logits(string modelPath)
        => MobileNetV2(modelPath) with { Name = "mobilenetv2-logits", OutputName = "output", OutputDimension = 1000, GlobalAveragePool = false };

    /// <summary><see cref="MobileNetV2(string)"/> with the model found in the shared models folder (see <see cref="FindSharedFolder"/>).</summary>
    /// <returns>A descriptor.</returns>
    /// <exception cref="DirectoryNotFoundException">No shared folder was found; the message lists every place searched.</exception>
    public static ImageModelDescriptor MobileNetV2Shared()
        => MobileNetV2(Path.Combine(FindSharedFolder(), "models", MobileNetV2FileName));

    /// <summary>
    /// Finds the shared data folder: <c>IMAGESEARCH_SHARED</c> if set, else the first <c>shared</c> folder holding
    /// <c>models/</c> found walking up from the current directory and from <c>AppContext.BaseDirectory</c>
    /// (each directory's <c>shared/</c> child is tried, so a checkout beside <c>shared/</c> finds it).
    /// </summary>
    /// <returns>The absolute path of the folder.</returns>
    /// <exception cref="DirectoryNotFoundException">Not found; the message lists where it looked.</exception>
    public static string FindSharedFolder()
        => TryFindSharedFolder(out string? folder, out string searched)
            ? folder
            : throw new DirectoryNotFoundException($"The shared data folder (with models/) was not found. Set {SharedFolderVariable} or run from a checkout beside 'shared/'. Looked in: {searched}");

    /// <summary>Like <see cref="FindSharedFolder"/> but returns <see langword="false"/> instead of throwing.</summary>
    /// <param name="folder">The folder found, or <see langword="null"/>.</param>
    /// <param name="searched">The places looked in, for messages.</param>
    /// <returns>Whether it was found.</returns>
    public static bool TryFindSharedFolder([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? folder, out string searched)
        => ModelLocator.TryFindShared(out folder, out searched);
}
