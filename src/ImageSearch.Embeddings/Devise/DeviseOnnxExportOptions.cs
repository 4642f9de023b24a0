namespace ImageSearch;

/// <summary>Options of <see cref="DeviseOnnxExport"/>. Immutable and thread-safe.</summary>
public sealed record DeviseOnnxExportOptions
{
    /// <summary>Name of the exported model's output tensor, <c>devise_embedding</c>.</summary>
    public const string DefaultOutputName = "devise_embedding";

    /// <summary>
    /// End the model with an <c>LpNormalization</c> (p = 2) so every row has unit length, as
    /// <see cref="DeviseHead.Embed(ReadOnlySpan{float}, bool)"/> with <c>normalize: true</c> and <see cref="DeviseEmbedder"/>
    /// give. <see langword="true"/> by default. A zero row stays zero in ONNX Runtime, as in <see cref="DeviseHead"/>.
    /// </summary>
    public bool Normalize { get; init; } = true;

    /// <summary>Name of the output tensor ([N, <see cref="DeviseHead.OutputDimension"/>] float); <see cref="DefaultOutputName"/> by default.</summary>
    public string OutputName { get; init; } = DefaultOutputName;

    /// <summary>
    /// Before writing, load the exported model in ONNX Runtime and run it on a zero batch of two, checking that it
    /// accepts a batch larger than one and returns [2, <see cref="DeviseHead.OutputDimension"/>]. <see langword="true"/> by
    /// default; costs one model load and run (well under a second for ResNet-18 on a CPU).
    /// </summary>
    public bool Verify { get; init; } = true;
}
