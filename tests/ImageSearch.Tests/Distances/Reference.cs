namespace ImageSearch.Tests.Distances;

/// <summary>Double-precision references and test data (fixed seed).</summary>
internal static class Reference
{
    /// <summary>Relative tolerance against the scale of the sum (sum of |terms|): f32 rounding over up to ~1100 terms.</summary>
    public const double RelativeTolerance = 1e-5;

    public static float[] RandomFloats(Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return values;
    }

    public static Half[] RandomHalves(Random random, int length)
    {
        var values = new Half[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (Half)((random.NextDouble() * 2) - 1);
        }

        return values;
    }

    public static double Value<T>(T value)
        where T : unmanaged => value switch
        {
            float f => f,
            Half h => (double)(float)h,
            _ => throw new NotSupportedException(),
        };

    /// <summary>Returns the dot product and sum |x_i y_i|.</summary>
    public static (double Value, double Scale) Dot<T>(ReadOnlySpan<float> x, ReadOnlySpan<T> y)
        where T : unmanaged
    {
        double sum = 0, scale = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double p = x[i] * Value(y[i]);
            sum += p;
            scale += Math.Abs(p);
        }

        return (sum, scale);
    }

    public static double SquaredL2<T>(ReadOnlySpan<float> x, ReadOnlySpan<T> y)
        where T : unmanaged
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double d = x[i] - Value(y[i]);
            sum += d * d;
        }

        return sum;
    }

    public static void AssertClose(double expected, double scale, float actual, string context)
    {
        double tolerance = (RelativeTolerance * scale) + 1e-30;
        Assert.True(
            Math.Abs(actual - expected) <= tolerance,
            $"{context}: expected {expected:R}, got {actual:R} (|diff| {Math.Abs(actual - expected):E3} > tolerance {tolerance:E3})");
    }
}
