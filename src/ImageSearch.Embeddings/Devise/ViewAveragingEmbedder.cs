namespace ImageSearch;

/// <summary>
/// Test-time averaging: embeds an image with several backbones of equal dimension (typically one model under several
/// views, see <see cref="DeviseViews"/>) and returns the element-wise mean. Use it as the backbone of a
/// <see cref="DeviseEmbedder"/> whose head was trained on those views (as the DeViSE evaluation does, see docs/evaluation.md).
/// </summary>
/// <remarks>Thread-safe when the views are. Does not own the views: dispose them yourself. A photo that fails in any
/// view fails as a whole (the first view's error is reported).</remarks>
public sealed class ViewAveragingEmbedder : IEmbedder<ImageInput>
{
    private readonly IEmbedder<ImageInput>[] _views;

    /// <summary>Averages <paramref name="views"/>.</summary>
    /// <param name="views">At least one embedder, all of the same dimension.</param>
    /// <exception cref="ArgumentException">No views, a null view, or dimensions differ.</exception>
    public ViewAveragingEmbedder(IReadOnlyList<IEmbedder<ImageInput>> views)
    {
        ArgumentNullException.ThrowIfNull(views);
        if (views.Count == 0) throw new ArgumentException("At least one view is needed.", nameof(views));
        _views = new IEmbedder<ImageInput>[views.Count];
        for (int i = 0; i < views.Count; i++)
        {
            _views[i] = views[i] ?? throw new ArgumentException($"View {i} is null.", nameof(views));
            if (_views[i].Dimension != _views[0].Dimension)
                throw new ArgumentException($"View {i} gives {_views[i].Dimension}-d vectors, view 0 gives {_views[0].Dimension}-d.", nameof(views));
        }
    }

    /// <inheritdoc/>
    public int Dimension => _views[0].Dimension;

    /// <inheritdoc/>
    public async Task<float[]> EmbedAsync(ImageInput input, CancellationToken cancellationToken = default)
    {
        var sum = new float[Dimension];
        foreach (var view in _views)
        {
            float[] v = await view.EmbedAsync(input, cancellationToken).ConfigureAwait(false);
            System.Numerics.Tensors.TensorPrimitives.Add(sum, v, sum);
        }
        System.Numerics.Tensors.TensorPrimitives.Multiply(sum, 1f / _views.Length, sum);
        return sum;
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<EmbeddingResult>> EmbedBatchAsync(
        IReadOnlyList<ImageInput> inputs,
        IProgress<EmbeddingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var sums = new float[inputs.Count][];
        var errors = new Exception?[inputs.Count];
        for (int k = 0; k < _views.Length; k++)
        {
            // Progress is reported by the first view only (the others take about as long each).
            var results = await _views[k].EmbedBatchAsync(inputs, k == 0 ? progress : null, cancellationToken).ConfigureAwait(false);
            foreach (EmbeddingResult r in results)
            {
                if (errors[r.Index] is not null) continue;
                if (r.Vector is null) { errors[r.Index] = r.Error ?? new EmbeddingException($"View {k} gave no vector for '{inputs[r.Index]}'."); sums[r.Index] = null!; continue; }
                sums[r.Index] ??= new float[Dimension];
                System.Numerics.Tensors.TensorPrimitives.Add(sums[r.Index], r.Vector, sums[r.Index]);
            }
        }
        var output = new EmbeddingResult[inputs.Count];
        for (int i = 0; i < output.Length; i++)
        {
            if (errors[i] is null && sums[i] is { } s)
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(s, 1f / _views.Length, s);
                output[i] = new EmbeddingResult(i, s, null);
            }
            else
            {
                output[i] = new EmbeddingResult(i, null, errors[i] ?? new EmbeddingException($"No vector for '{inputs[i]}'."));
            }
        }
        return output;
    }
}
