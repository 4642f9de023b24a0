using System.Buffers;
using System.Numerics.Tensors;

namespace ImageSearch;

/// <summary>
/// A trained DeViSE head: maps a frozen CNN feature vector (for example ResNet-18's 512-d pooled output) into the
/// word-vector space. Inference only (evaluation mode: batch normalisation uses the running statistics, dropout is
/// off); both batch normalisations are folded into per-feature scale and shift at construction. The head applies its
/// recorded <see cref="InputNormalization"/> to every input itself, so the same head gives the same vectors wherever it
/// is used (the engine, <see cref="DeviseEmbedder"/>, the ONNX export).
/// </summary>
/// <remarks>
/// <para>Thread-safety: immutable; every member may be called from several threads at once.</para>
/// <para>NaN behaviour: inputs are not checked element by element (a hot path); a NaN or infinite feature gives NaN
/// outputs. Use <see cref="DeviseEmbedder"/> for checked, normalised vectors.</para>
/// <para>Saved with <see cref="Save(string)"/> in a versioned, CRC-32C-checksummed file (see <c>docs/evaluation.md</c>).</para>
/// </remarks>
public sealed class DeviseHead
{
    private readonly float[][] _state;
    private readonly float[] _scale1, _shift1, _scale2, _shift2;

    internal DeviseHead(int inputs, int hidden, int outputs, float epsilon, float[][] state, DeviseInputNormalization inputNormalization = DeviseInputNormalization.None)
    {
        InputNormalization = inputNormalization;
        InputDimension = inputs;
        HiddenDimension = hidden;
        OutputDimension = outputs;
        BatchNormEpsilon = epsilon;
        _state = state;
        _scale1 = new float[hidden]; _shift1 = new float[hidden];
        _scale2 = new float[outputs]; _shift2 = new float[outputs];
        // Fold dense bias + eval-mode batch norm: y = (x*W + b)*s + t = x*W*s + (b*s + t).
        BatchNormLayer.FoldInto(state[2], state[3], state[4], state[5], epsilon, _scale1, _shift1);
        TensorPrimitives.FusedMultiplyAdd(state[1], _scale1, _shift1, _shift1);
        BatchNormLayer.FoldInto(state[8], state[9], state[10], state[11], epsilon, _scale2, _shift2);
        TensorPrimitives.FusedMultiplyAdd(state[7], _scale2, _shift2, _shift2);
    }

    /// <summary>Length of the feature vectors the head takes (the backbone's dimension).</summary>
    public int InputDimension { get; }

    /// <summary>Width of the hidden layer.</summary>
    public int HiddenDimension { get; }

    /// <summary>Length of the word-space vectors the head returns (the word vectors' dimension).</summary>
    public int OutputDimension { get; }

    /// <summary>Epsilon of both batch normalisations.</summary>
    public float BatchNormEpsilon { get; }

    /// <summary>What the head does to each feature vector before its first layer (recorded at training, saved with the head).</summary>
    public DeviseInputNormalization InputNormalization { get; }

    internal float[][] State => _state;

    /// <summary>The same weights with another recorded input normalisation (for files that predate the record).</summary>
    internal DeviseHead WithInputNormalization(DeviseInputNormalization inputNormalization)
        => new(InputDimension, HiddenDimension, OutputDimension, BatchNormEpsilon, _state, inputNormalization);

    /// <summary>Embeds one feature vector into word space.</summary>
    /// <param name="features"><see cref="InputDimension"/> elements.</param>
    /// <param name="destination">Receives <see cref="OutputDimension"/> elements.</param>
    /// <param name="normalize">L2-normalise the result (a zero result stays zero).</param>
    /// <exception cref="ArgumentException">A span has the wrong length.</exception>
    public void Embed(ReadOnlySpan<float> features, Span<float> destination, bool normalize = true)
    {
        if (features.Length != InputDimension)
            throw new ArgumentException($"Expected {InputDimension} features, got {features.Length}.", nameof(features));
        if (destination.Length < OutputDimension)
            throw new ArgumentException($"Destination needs {OutputDimension} elements, has {destination.Length}.", nameof(destination));
        int h = HiddenDimension, o = OutputDimension;
        bool unit = InputNormalization == DeviseInputNormalization.L2;
        float[] rented = ArrayPool<float>.Shared.Rent(h + (unit ? features.Length : 0));
        try
        {
            if (unit)
            {
                Span<float> copy = rented.AsSpan(h, features.Length);
                features.CopyTo(copy);
                Normalize(copy);
                features = copy;
            }

            Span<float> hid = rented.AsSpan(0, h);
            hid.Clear();
            float[] w1 = _state[0];
            // Row-major W: the vector-matrix product is a sum of scaled rows (vectorised axpy).
            for (int p = 0; p < features.Length; p++)
            {
                float x = features[p];
                if (x != 0f) TensorPrimitives.MultiplyAdd(w1.AsSpan(p * h, h), x, hid, hid);
            }
            TensorPrimitives.FusedMultiplyAdd(hid, _scale1, _shift1, hid);
            TensorPrimitives.Max(hid, 0f, hid);
            Span<float> dst = destination[..o];
            dst.Clear();
            float[] w2 = _state[6];
            for (int p = 0; p < h; p++)
            {
                float x = hid[p];
                if (x != 0f) TensorPrimitives.MultiplyAdd(w2.AsSpan(p * o, o), x, dst, dst);
            }
            TensorPrimitives.FusedMultiplyAdd(dst, _scale2, _shift2, dst);
            if (normalize) Normalize(dst);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>Embeds one feature vector into a new array.</summary>
    /// <param name="features"><see cref="InputDimension"/> elements.</param>
    /// <param name="normalize">L2-normalise the result.</param>
    /// <returns>A new vector of <see cref="OutputDimension"/> elements.</returns>
    public float[] Embed(ReadOnlySpan<float> features, bool normalize = true)
    {
        var r = new float[OutputDimension];
        Embed(features, r, normalize);
        return r;
    }

    /// <summary>
    /// Embeds many feature vectors (row after row) with blocked, multi-threaded matrix products. Results equal
    /// <see cref="Embed(ReadOnlySpan{float}, Span{float}, bool)"/> up to float rounding.
    /// </summary>
    /// <param name="features"><c>count * InputDimension</c> elements.</param>
    /// <param name="count">Number of rows.</param>
    /// <param name="destination"><c>count * OutputDimension</c> elements.</param>
    /// <param name="normalize">L2-normalise each row.</param>
    /// <param name="maxDegreeOfParallelism">Threads to use; -1 for all cores.</param>
    public void EmbedBatch(ReadOnlySpan<float> features, int count, Span<float> destination, bool normalize = true, int maxDegreeOfParallelism = -1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (features.Length != (long)count * InputDimension)
            throw new ArgumentException($"Expected {count} x {InputDimension} features, got {features.Length} elements.", nameof(features));
        if (destination.Length < (long)count * OutputDimension)
            throw new ArgumentException($"Destination needs {count} x {OutputDimension} elements.", nameof(destination));
        int h = HiddenDimension, o = OutputDimension;
        const int Chunk = 256; // bounds the hidden buffer
        bool unit = InputNormalization == DeviseInputNormalization.L2;
        float[] hidden = ArrayPool<float>.Shared.Rent(Math.Min(count, Chunk) * h);
        float[]? inputs = unit ? ArrayPool<float>.Shared.Rent(Math.Min(count, Chunk) * InputDimension) : null;
        try
        {
            for (int start = 0; start < count; start += Chunk)
            {
                int n = Math.Min(Chunk, count - start);
                Span<float> hid = hidden.AsSpan(0, n * h);
                ReadOnlySpan<float> x = features.Slice(start * InputDimension, n * InputDimension);
                if (inputs is not null)
                {
                    Span<float> copy = inputs.AsSpan(0, x.Length);
                    x.CopyTo(copy);
                    for (int r = 0; r < n; r++) Normalize(copy.Slice(r * InputDimension, InputDimension));
                    x = copy;
                }
                Gemm.MatMul(x, _state[0], hid, n, InputDimension, h, maxDegreeOfParallelism);
                for (int r = 0; r < n; r++)
                {
                    Span<float> row = hid.Slice(r * h, h);
                    TensorPrimitives.FusedMultiplyAdd(row, _scale1, _shift1, row);
                    TensorPrimitives.Max(row, 0f, row);
                }
                Span<float> dst = destination.Slice(start * o, n * o);
                Gemm.MatMul(hid, _state[6], dst, n, h, o, maxDegreeOfParallelism);
                for (int r = 0; r < n; r++)
                {
                    Span<float> row = dst.Slice(r * o, o);
                    TensorPrimitives.FusedMultiplyAdd(row, _scale2, _shift2, row);
                    if (normalize) Normalize(row);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(hidden);
            if (inputs is not null) ArrayPool<float>.Shared.Return(inputs);
        }
    }

    internal static void Normalize(Span<float> v)
    {
        float norm = TensorPrimitives.Norm(v);
        if (norm > 0f && float.IsFinite(norm)) TensorPrimitives.Divide(v, norm, v);
    }

    /// <summary>A copy of <paramref name="rows"/> with every row of <paramref name="dimension"/> elements at unit length.</summary>
    internal static float[] NormalizeRows(ReadOnlySpan<float> rows, int dimension)
    {
        float[] r = rows.ToArray();
        for (int i = 0; i < r.Length; i += dimension) Normalize(r.AsSpan(i, dimension));
        return r;
    }

    /// <summary>Saves the head atomically (temporary file, flush to disk, rename over <paramref name="path"/>).</summary>
    /// <param name="path">The file to create or replace.</param>
    public void Save(string path) => DeviseHeadFile.SaveAtomic(this, path);

    /// <summary>Writes the head to a stream in the DeViSE head format.</summary>
    /// <param name="stream">A writable stream; left open.</param>
    public void Save(Stream stream) => DeviseHeadFile.Write(this, stream);

    /// <summary>Loads a head saved with <see cref="Save(string)"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The head.</returns>
    /// <exception cref="InvalidDataException">The file is not a DeViSE head, has an unsupported version, is truncated,
    /// or fails its checksum (the message says which).</exception>
    /// <remarks>Limits: input, hidden and output dimensions up to 65,536 each, each weight matrix up to
    /// <see cref="Array.MaxLength"/> elements; the tensors must fit in the file. Past them:
    /// <see cref="InvalidDataException"/> before allocating.</remarks>
    public static DeviseHead Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return DeviseHeadFile.Read(fs);
    }

    /// <summary>Reads a head from a stream (from its current position).</summary>
    /// <param name="stream">A readable stream; left open.</param>
    /// <returns>The head.</returns>
    /// <exception cref="InvalidDataException">See <see cref="Load(string)"/>.</exception>
    /// <remarks>Limits: those of <see cref="Load(string)"/>. From a seekable stream the tensors must fit in the bytes
    /// that remain; from another one each tensor's array grows as its bytes arrive, so memory stays within about twice
    /// the bytes read.</remarks>
    public static DeviseHead Load(Stream stream) => DeviseHeadFile.Read(stream);
}
