using System.Numerics.Tensors;

namespace ImageSearch;

/// <summary>
/// Wraps a backbone so its vectors come out at unit length: the engine's cosine index stores features normalised, so
/// the DeViSE head is trained on, and applied to, unit-length features. Thread-safe when the backbone is.
/// </summary>
internal sealed class NormalizingEmbedder(IEmbedder<ImageInput> inner) : IEmbedder<ImageInput>
{
    public int Dimension => inner.Dimension;

    public async Task<float[]> EmbedAsync(ImageInput input, CancellationToken cancellationToken = default)
        => Normalize(await inner.EmbedAsync(input, cancellationToken).ConfigureAwait(false), input);

    public async Task<IReadOnlyList<EmbeddingResult>> EmbedBatchAsync(
        IReadOnlyList<ImageInput> inputs, IProgress<EmbeddingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var results = await inner.EmbedBatchAsync(inputs, progress, cancellationToken).ConfigureAwait(false);
        var output = new EmbeddingResult[results.Count];
        for (int i = 0; i < output.Length; i++)
        {
            var r = results[i];
            try
            {
                output[i] = r.Vector is null ? r : r with { Vector = Normalize(r.Vector, inputs[r.Index]) };
            }
            catch (EmbeddingException e)
            {
                output[i] = new EmbeddingResult(r.Index, null, e);
            }
        }

        return output;
    }

    internal static float[] Normalize(float[] v, ImageInput input)
    {
        float norm = TensorPrimitives.Norm(v);
        if (!(norm > 0) || !float.IsFinite(norm))
        {
            throw new EmbeddingException($"'{input}' embedded to a zero or non-finite vector.");
        }

        TensorPrimitives.Divide(v, norm, v);
        return v;
    }
}
