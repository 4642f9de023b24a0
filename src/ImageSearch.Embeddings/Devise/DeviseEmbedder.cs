namespace ImageSearch;

/// <summary>
/// DeViSE image embedder: an image backbone (for example ResNet-18's pooled features) followed by a trained
/// <see cref="DeviseHead"/>, giving L2-normalised vectors in the word space, directly comparable (cosine) with word
/// vectors. The head applies the input normalisation it was trained with (<see cref="DeviseHead.InputNormalization"/>),
/// so this embedder gives the vectors the trainer (or <see cref="ImageSearchEngine"/>) meant, given the same backbone.
/// </summary>
/// <remarks>Thread-safe when the backbone is (the ImageSearch.Embeddings backbones are); the head is immutable.
/// The embedder does not own the backbone: dispose that yourself.</remarks>
public sealed class DeviseEmbedder : IEmbedder<ImageInput>
{
    /// <summary>Joins a backbone and a head.</summary>
    /// <param name="backbone">Embeds an image into <see cref="DeviseHead.InputDimension"/> features.</param>
    /// <param name="head">The trained head.</param>
    /// <exception cref="ArgumentException">The backbone's dimension is not the head's input dimension.</exception>
    public DeviseEmbedder(IEmbedder<ImageInput> backbone, DeviseHead head)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentNullException.ThrowIfNull(head);
        if (backbone.Dimension != head.InputDimension)
            throw new ArgumentException($"The backbone gives {backbone.Dimension}-d features but the head takes {head.InputDimension}.", nameof(head));
        Backbone = backbone;
        Head = head;
    }

    /// <summary>The image backbone.</summary>
    public IEmbedder<ImageInput> Backbone { get; }

    /// <summary>The DeViSE head.</summary>
    public DeviseHead Head { get; }

    /// <summary>The word-space dimension (<see cref="DeviseHead.OutputDimension"/>).</summary>
    public int Dimension => Head.OutputDimension;

    /// <inheritdoc/>
    public async Task<float[]> EmbedAsync(ImageInput input, CancellationToken cancellationToken = default)
    {
        float[] features = await Backbone.EmbedAsync(input, cancellationToken).ConfigureAwait(false);
        return Project(features, input);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<EmbeddingResult>> EmbedBatchAsync(
        IReadOnlyList<ImageInput> inputs,
        IProgress<EmbeddingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        IReadOnlyList<EmbeddingResult> features = await Backbone.EmbedBatchAsync(inputs, progress, cancellationToken).ConfigureAwait(false);
        var results = new EmbeddingResult[features.Count];
        for (int i = 0; i < features.Count; i++)
        {
            EmbeddingResult f = features[i];
            if (f.Vector is null) { results[i] = f; continue; }
            try { results[i] = new EmbeddingResult(f.Index, Project(f.Vector, inputs[f.Index]), null); }
            catch (EmbeddingException e) { results[i] = new EmbeddingResult(f.Index, null, e); }
        }
        return results;
    }

    /// <summary>
    /// Exports backbone and head as one ONNX model with L2-normalised outputs, like this embedder's vectors (see
    /// <see cref="DeviseOnnxExport"/> for the graph, and for the preprocessing that stays outside the model).
    /// </summary>
    /// <param name="path">The .onnx file to create or replace (written atomically).</param>
    /// <param name="options">Output name, verification; <see langword="null"/> for defaults (normalised output).</param>
    /// <exception cref="NotSupportedException">The backbone is not an <see cref="OnnxImageEmbedder"/> (for example a
    /// <see cref="ViewAveragingEmbedder"/>: test-time view averaging is not part of an exported model).</exception>
    /// <exception cref="ArgumentException">See <see cref="DeviseOnnxExport.Export(ImageModelDescriptor, DeviseHead, string, DeviseOnnxExportOptions?)"/>.</exception>
    public void ExportOnnx(string path, DeviseOnnxExportOptions? options = null)
        => DeviseOnnxExport.Export(OnnxBackbone(), Head, path, options);

    /// <summary>Writes the exported ONNX model to a stream; see <see cref="ExportOnnx(string, DeviseOnnxExportOptions?)"/>.</summary>
    /// <param name="stream">A writable stream, left open.</param>
    /// <param name="options">Output name, verification; <see langword="null"/> for defaults (normalised output).</param>
    public void ExportOnnx(Stream stream, DeviseOnnxExportOptions? options = null)
        => DeviseOnnxExport.Export(OnnxBackbone(), Head, stream, options);

    private ImageModelDescriptor OnnxBackbone()
        => Backbone is OnnxImageEmbedder onnx
            ? onnx.Descriptor
            : throw new NotSupportedException(
                $"Only an OnnxImageEmbedder backbone can be exported to ONNX; this embedder's backbone is a {Backbone.GetType().Name}. " +
                "Call DeviseOnnxExport.Export with the backbone's ImageModelDescriptor instead.");

    private float[] Project(float[] features, ImageInput input)
    {
        if (features.Length != Head.InputDimension)
            throw new EmbeddingException($"Backbone returned {features.Length} features for '{input}', the head takes {Head.InputDimension}.");
        foreach (float v in features)
            if (!float.IsFinite(v)) throw new EmbeddingException($"Backbone returned a NaN or infinite feature for '{input}'.");
        float[] r = Head.Embed(features);
        foreach (float v in r)
            if (v != 0f) return r;
        throw new EmbeddingException($"The DeViSE head gave a zero vector for '{input}' (no direction in word space).");
    }
}
