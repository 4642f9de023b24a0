namespace ImageSearch;

/// <summary>
/// A linear classifier's weights per class: for each class a vector of the embedding's dimension (and optionally a
/// bias), so that <c>score_j = dot(embedding, Weights(j)) + Bias[j]</c>. Pass a class's weights as
/// <c>SearchOptions.ElementWeights</c> to search with that class's emphasis. Immutable and thread-safe.
/// </summary>
public sealed class ClassWeights
{
    private readonly float[] _weights; // row-major [classes x dimension]
    private readonly string[] _names;
    private readonly float[]? _bias;

    /// <summary>Creates class weights; the arrays are copied.</summary>
    /// <param name="classNames">One name per class (duplicates allowed, empty not).</param>
    /// <param name="weights">Row-major [classes x <paramref name="dimension"/>] finite values.</param>
    /// <param name="dimension">Embedding dimension.</param>
    /// <param name="bias">Optional per-class bias, one finite value per class.</param>
    /// <exception cref="ArgumentException">Sizes disagree, a name is empty, or a value is NaN or infinite.</exception>
    public ClassWeights(IReadOnlyList<string> classNames, ReadOnlySpan<float> weights, int dimension, ReadOnlySpan<float> bias = default)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (classNames.Count == 0)
        {
            throw new ArgumentException("At least one class is needed.", nameof(classNames));
        }

        if (weights.Length != (long)classNames.Count * dimension)
        {
            throw new ArgumentException($"weights has {weights.Length} values; {classNames.Count} classes x {dimension} = {(long)classNames.Count * dimension} expected.", nameof(weights));
        }

        if (!bias.IsEmpty && bias.Length != classNames.Count)
        {
            throw new ArgumentException($"bias has {bias.Length} values for {classNames.Count} classes.", nameof(bias));
        }

        for (int i = 0; i < classNames.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(classNames[i]))
            {
                throw new ArgumentException($"Class name {i} is empty.", nameof(classNames));
            }
        }

        CheckFinite(weights, nameof(weights));
        CheckFinite(bias, nameof(bias));
        _names = [.. classNames];
        _weights = weights.ToArray();
        _bias = bias.IsEmpty ? null : bias.ToArray();
        Dimension = dimension;
    }

    /// <summary>Number of classes.</summary>
    public int ClassCount => _names.Length;

    /// <summary>Embedding dimension (length of every weight vector).</summary>
    public int Dimension { get; }

    /// <summary>Class names, in class-index order.</summary>
    public IReadOnlyList<string> ClassNames => _names;

    /// <summary>Per-class bias, or empty when the classifier has none.</summary>
    public ReadOnlySpan<float> Bias => _bias;

    /// <summary>All weights, row-major [classes x dimension].</summary>
    public ReadOnlySpan<float> Matrix => _weights;

    /// <summary>The weight vector of a class (no copy).</summary>
    /// <param name="classIndex">0 to <see cref="ClassCount"/> - 1.</param>
    /// <returns><see cref="Dimension"/> values.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The index is out of range.</exception>
    public ReadOnlySpan<float> GetWeights(int classIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(classIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(classIndex, ClassCount);
        return _weights.AsSpan(classIndex * Dimension, Dimension);
    }

    /// <summary>The weight vector of the class found by <see cref="FindClass(string)"/>, as read-only memory (what <c>SearchOptions.ElementWeights</c> takes).</summary>
    /// <param name="className">A class name or part of one.</param>
    /// <returns><see cref="Dimension"/> values.</returns>
    /// <exception cref="KeyNotFoundException">No class matches.</exception>
    public ReadOnlyMemory<float> GetWeights(string className) => GetWeightsMemory(FindClass(className));

    /// <summary>The weight vector of a class as read-only memory (no copy).</summary>
    /// <param name="classIndex">0 to <see cref="ClassCount"/> - 1.</param>
    /// <returns><see cref="Dimension"/> values.</returns>
    public ReadOnlyMemory<float> GetWeightsMemory(int classIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(classIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(classIndex, ClassCount);
        return _weights.AsMemory(classIndex * Dimension, Dimension);
    }

    /// <summary>
    /// Finds a class by name, ignoring case: an exact match of the whole name first, then of one of its
    /// comma-separated synonyms ("Siamese cat, Siamese" matches "siamese"), then the first class whose name contains
    /// <paramref name="name"/>.
    /// </summary>
    /// <param name="name">A name or part of one.</param>
    /// <returns>The class index.</returns>
    /// <exception cref="KeyNotFoundException">No class matches; the message gives the name.</exception>
    public int FindClass(string name)
    {
        if (TryFindClass(name, out int index))
        {
            return index;
        }

        throw new KeyNotFoundException($"No class matches '{name}' (among {ClassCount} classes).");
    }

    /// <summary>Like <see cref="FindClass(string)"/>, returning <see langword="false"/> when nothing matches.</summary>
    /// <param name="name">A name or part of one.</param>
    /// <param name="classIndex">The class index, or -1.</param>
    /// <returns>Whether a class matched.</returns>
    public bool TryFindClass(string name, out int classIndex)
    {
        ArgumentNullException.ThrowIfNull(name);
        string wanted = name.Trim();
        classIndex = -1;
        if (wanted.Length == 0)
        {
            return false;
        }

        for (int i = 0; i < _names.Length; i++)
        {
            if (string.Equals(_names[i], wanted, StringComparison.OrdinalIgnoreCase))
            {
                classIndex = i;
                return true;
            }
        }

        for (int i = 0; i < _names.Length; i++)
        {
            foreach (string synonym in _names[i].Split(','))
            {
                if (string.Equals(synonym.Trim(), wanted, StringComparison.OrdinalIgnoreCase))
                {
                    classIndex = i;
                    return true;
                }
            }
        }

        for (int i = 0; i < _names.Length; i++)
        {
            if (_names[i].Contains(wanted, StringComparison.OrdinalIgnoreCase))
            {
                classIndex = i;
                return true;
            }
        }

        return false;
    }

    /// <summary>Scores of every class for one embedding: <c>W e + b</c>.</summary>
    /// <param name="embedding"><see cref="Dimension"/> values.</param>
    /// <param name="destination"><see cref="ClassCount"/> values receive the scores.</param>
    /// <exception cref="ArgumentException">Wrong lengths.</exception>
    public void Score(ReadOnlySpan<float> embedding, Span<float> destination)
    {
        if (embedding.Length != Dimension)
        {
            throw new ArgumentException($"embedding has {embedding.Length} values; {Dimension} expected.", nameof(embedding));
        }

        if (destination.Length < ClassCount)
        {
            throw new ArgumentException($"destination has {destination.Length} values; {ClassCount} needed.", nameof(destination));
        }

        for (int j = 0; j < ClassCount; j++)
        {
            destination[j] = System.Numerics.Tensors.TensorPrimitives.Dot(embedding, GetWeights(j)) + (_bias is null ? 0f : _bias[j]);
        }
    }

    /// <summary>The index of the highest-scoring class for one embedding.</summary>
    /// <param name="embedding"><see cref="Dimension"/> values.</param>
    /// <returns>The class index.</returns>
    public int Predict(ReadOnlySpan<float> embedding)
    {
        var scores = new float[ClassCount];
        Score(embedding, scores);
        return System.Numerics.Tensors.TensorPrimitives.IndexOfMax(scores);
    }

    private static void CheckFinite(ReadOnlySpan<float> values, string name)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                throw new ArgumentException($"{name}[{i}] is {values[i]}; all values must be finite.", name);
            }
        }
    }
}
