namespace ImageSearch;

/// <summary>
/// Inverted dropout: in training each element is kept with probability <c>1 - rate</c> and scaled by
/// <c>1/(1 - rate)</c>, so evaluation is the identity. The mask comes from a seeded <see cref="DeviseRandom"/>.
/// Not thread-safe.
/// </summary>
internal sealed class DropoutLayer
{
    private float[] _mask = [];

    public DropoutLayer(float rate)
    {
        if (!(rate >= 0f && rate < 1f)) throw new ArgumentOutOfRangeException(nameof(rate), rate, "Dropout rate must be in [0, 1).");
        Rate = rate;
    }

    public float Rate { get; }

    /// <summary>Training-mode forward (may run in place); draws a new mask.</summary>
    public void ForwardTrain(ReadOnlySpan<float> x, Span<float> y, DeviseRandom rng)
    {
        if (_mask.Length < x.Length) _mask = new float[x.Length];
        float keep = 1f - Rate, scale = 1f / keep;
        for (int i = 0; i < x.Length; i++)
        {
            float m = Rate == 0f || rng.NextFloat() < keep ? scale : 0f;
            _mask[i] = m;
            y[i] = x[i] * m;
        }
    }

    /// <summary>Backward of the last training forward (may run in place).</summary>
    public void Backward(ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < dy.Length; i++) dx[i] = dy[i] * _mask[i];
    }
}
