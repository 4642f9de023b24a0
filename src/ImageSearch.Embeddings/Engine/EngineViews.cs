using System.Numerics.Tensors;

namespace ImageSearch;

/// <summary>
/// The views the engine's DeViSE head sees, as measured in <c>docs/evaluation.md</c>: the photo as the engine's ONNX
/// embedder gives it plus <see cref="DeviseViews.Default"/> (mirrored, stretched, stretched and mirrored). Training uses
/// every view of a photo as a sample; a photo's DeViSE vector is the head applied to the mean of its views.
/// Owns the extra views' embedders, not the first one. Thread-safe.
/// </summary>
internal sealed class EngineViews : IDisposable
{
    /// <summary>The names recorded in the manifest, in order.</summary>
    public static readonly IReadOnlyList<string> DefaultNames = ["original", "mirror", "stretch", "stretch-mirror"];

    private readonly IEmbedder<ImageInput>[] _views;

    private EngineViews(IEmbedder<ImageInput>[] views)
    {
        _views = views;
        Stacked = new StackEmbedder(views);
        Averaged = new ViewAveragingEmbedder(views);
    }

    /// <summary>Number of views.</summary>
    public int Count => _views.Length;

    /// <summary>Every view's features one after another (raw, <c>Count * d</c> elements): what the engine stores.</summary>
    public IEmbedder<ImageInput> Stacked { get; }

    /// <summary>The mean of the views' features: the backbone of the engine's <see cref="DeviseEmbedder"/>.</summary>
    public IEmbedder<ImageInput> Averaged { get; }

    /// <summary>The default views of an ONNX embedder, or <see langword="null"/> for another embedder (no descriptor to vary).</summary>
    public static EngineViews? TryCreate(IEmbedder<ImageInput> embedder, OnnxImageEmbedderOptions? options)
    {
        if (embedder is not OnnxImageEmbedder onnx)
        {
            return null;
        }

        var extra = new List<IEmbedder<ImageInput>>();
        try
        {
            foreach (ImageModelDescriptor d in DeviseViews.Default(onnx.Descriptor))
            {
                extra.Add(new OnnxImageEmbedder(d, options));
            }
        }
        catch
        {
            foreach (var e in extra)
            {
                ((IDisposable)e).Dispose();
            }

            throw;
        }

        return new EngineViews([embedder, .. extra]);
    }

    /// <summary>The mean of the <see cref="Count"/> views stacked in <paramref name="stacked"/>, into <paramref name="destination"/>.</summary>
    public static void Mean(ReadOnlySpan<float> stacked, int views, Span<float> destination)
    {
        int d = destination.Length;
        stacked[..d].CopyTo(destination);
        for (int v = 1; v < views; v++)
        {
            TensorPrimitives.Add(destination, stacked.Slice(v * d, d), destination);
        }

        TensorPrimitives.Multiply(destination, 1f / views, destination);
    }

    public void Dispose()
    {
        for (int i = 1; i < _views.Length; i++)
        {
            ((IDisposable)_views[i]).Dispose();
        }
    }

    // Concatenates the views; a photo that fails in any view fails as a whole.
    private sealed class StackEmbedder(IEmbedder<ImageInput>[] views) : IEmbedder<ImageInput>
    {
        private readonly int _d = views[0].Dimension;

        public int Dimension => _d * views.Length;

        public async Task<float[]> EmbedAsync(ImageInput input, CancellationToken cancellationToken = default)
        {
            var r = new float[Dimension];
            for (int v = 0; v < views.Length; v++)
            {
                float[] x = await views[v].EmbedAsync(input, cancellationToken).ConfigureAwait(false);
                Copy(x, r, v, input);
            }

            return r;
        }

        public async Task<IReadOnlyList<EmbeddingResult>> EmbedBatchAsync(
            IReadOnlyList<ImageInput> inputs, IProgress<EmbeddingProgress>? progress = null, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(inputs);
            int n = inputs.Count;
            var rows = new float[n][];
            var errors = new Exception?[n];
            for (int v = 0; v < views.Length; v++)
            {
                int done = v * n, failedBefore = errors.Count(e => e is not null);
                var viewProgress = progress is null ? null
                    : new InlineProgress<EmbeddingProgress>(p => progress.Report(new EmbeddingProgress(done + p.Completed, failedBefore + p.Failed, n * views.Length)));
                var results = await views[v].EmbedBatchAsync(inputs, viewProgress, cancellationToken).ConfigureAwait(false);
                foreach (EmbeddingResult r in results)
                {
                    if (errors[r.Index] is not null)
                    {
                        continue;
                    }

                    try
                    {
                        Copy(r.Vector ?? throw (r.Error ?? new EmbeddingException($"View {v} gave no vector for '{inputs[r.Index]}'.")), rows[r.Index] ??= new float[Dimension], v, inputs[r.Index]);
                    }
                    catch (Exception e)
                    {
                        errors[r.Index] = e;
                    }
                }
            }

            var output = new EmbeddingResult[n];
            for (int i = 0; i < n; i++)
            {
                output[i] = errors[i] is null && rows[i] is { } row
                    ? new EmbeddingResult(i, row, null)
                    : new EmbeddingResult(i, null, errors[i] ?? new EmbeddingException($"No vector for '{inputs[i]}'."));
            }

            return output;
        }

        private void Copy(float[] x, float[] row, int view, ImageInput input)
        {
            if (x.Length != _d)
            {
                throw new EmbeddingException($"View {view} gave {x.Length} elements for '{input}', not {_d}.");
            }

            x.CopyTo(row.AsSpan(view * _d));
        }
    }
}

/// <summary>Reports on the reporting thread (<see cref="Progress{T}"/> would post to the thread pool, out of order).</summary>
internal sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
