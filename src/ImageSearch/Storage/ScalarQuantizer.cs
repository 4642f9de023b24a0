namespace ImageSearch;

/// <summary>
/// The 8-bit scalar quantiser of <see cref="VectorElementType.Int8"/> rows: per dimension j an offset <c>lo[j]</c> and a
/// step <c>step[j]</c>, trained as the minimum and (maximum - minimum) / 255 of the rows it is trained on. A value x is
/// stored as the code <c>c = clamp(round((x - lo) / step), 0, 255)</c> and read back as <c>lo + step * c</c>; inside the
/// trained range the error is at most step / 2, outside it the value is clamped to the range's end.
/// </summary>
/// <remarks>
/// A dimension whose trained values are all equal gets a small range centred on that value (step
/// <c>max(|value|, 1) / 2^15</c>). Immutable once made: thread-safe.
/// </remarks>
internal sealed class ScalarQuantizer
{
    public ScalarQuantizer(float[] offset, float[] step)
    {
        if (offset.Length != step.Length)
        {
            throw new ArgumentException("Offset and step differ in length.", nameof(step));
        }

        for (int j = 0; j < step.Length; j++)
        {
            if (!float.IsFinite(offset[j]) || !float.IsNormal(step[j]) || step[j] <= 0 || !float.IsFinite(offset[j] + (255f * step[j])))
            {
                throw new InvalidDataException($"Quantiser dimension {j} has offset {offset[j]} and step {step[j]}; the step must be positive and normal and the range finite.");
            }
        }

        Offset = offset;
        Step = step;
    }

    /// <summary>The value of code 0 per dimension.</summary>
    public float[] Offset { get; }

    /// <summary>The value between consecutive codes per dimension (positive).</summary>
    public float[] Step { get; }

    public int Dimension => Step.Length;

    /// <summary>Trains on <paramref name="rows"/> (row after row, at least one row of <paramref name="dimension"/> elements, all finite).</summary>
    public static ScalarQuantizer Train(ReadOnlySpan<float> rows, int dimension)
    {
        var min = new float[dimension];
        var max = new float[dimension];
        rows[..dimension].CopyTo(min);
        rows[..dimension].CopyTo(max);
        for (int start = dimension; start < rows.Length; start += dimension)
        {
            ReadOnlySpan<float> row = rows.Slice(start, dimension);
            System.Numerics.Tensors.TensorPrimitives.Min(min, row, min);
            System.Numerics.Tensors.TensorPrimitives.Max(max, row, max);
        }

        var step = new float[dimension];
        for (int j = 0; j < dimension; j++)
        {
            double width = (double)max[j] - min[j];
            float s = (float)(width / 255);
            if (!(float.IsNormal(s) && s > 0) || !float.IsFinite(min[j] + (255f * s)))
            {
                // All values equal (or a range too small for a normal step): a small range centred on the value.
                s = Math.Max(MathF.Abs(min[j]), 1f) / 32768f;
                min[j] -= 127.5f * s;
            }

            step[j] = s;
        }

        return new ScalarQuantizer(min, step);
    }

    /// <summary>Codes of one row.</summary>
    public void Encode(ReadOnlySpan<float> row, Span<byte> codes)
    {
        float[] lo = Offset, step = Step;
        for (int j = 0; j < row.Length; j++)
        {
            float c = MathF.Round((row[j] - lo[j]) / step[j]);
            codes[j] = c <= 0 ? (byte)0 : c >= 255 ? (byte)255 : (byte)c;
        }
    }

    /// <summary>Reads codes back as floats (<c>lo + step * c</c>, one fused multiply-add, as the kernels do).</summary>
    public void Decode(ReadOnlySpan<byte> codes, Span<float> row)
    {
        float[] lo = Offset, step = Step;
        for (int j = 0; j < codes.Length; j++)
        {
            row[j] = MathF.FusedMultiplyAdd(step[j], codes[j], lo[j]);
        }
    }

    /// <summary>
    /// An upper bound on <c>||x - x̂||_2</c>, where <c>x̂ = lo + step * c</c> in exact (real) arithmetic: computed in double
    /// and rounded up with a margin larger than double's rounding, so it is never below the true value.
    /// </summary>
    public float ResidualNormUpperBound(ReadOnlySpan<float> row, ReadOnlySpan<byte> codes, out double normSquared)
    {
        double sum = 0, xx = 0, hat = 0;
        for (int j = 0; j < row.Length; j++)
        {
            double xh = Offset[j] + ((double)Step[j] * codes[j]); // the product is exact; the sum rounds by at most 2^-53 |xh|
            double e = row[j] - xh;
            sum += e * e;
            xx += (double)row[j] * row[j];
            hat += xh * xh;
        }

        normSquared = xx;
        // Each element's error is below 2^-52 (|x| + |x̂|); their norm below 2^-52 (||x|| + ||x̂||); the sum and root add
        // a relative 2^-50. Both are far inside the margins below.
        double bound = (Math.Sqrt(sum) * (1 + 1e-12)) + (1e-14 * (Math.Sqrt(xx) + Math.Sqrt(hat)));
        return RoundUp(bound);
    }

    /// <summary>The smallest float not below <paramref name="value"/> (non-negative input).</summary>
    public static float RoundUp(double value)
    {
        float f = (float)value;
        return f < value ? MathF.BitIncrement(f) : f;
    }
}
