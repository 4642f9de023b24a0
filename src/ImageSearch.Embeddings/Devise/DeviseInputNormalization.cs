namespace ImageSearch;

/// <summary>
/// What a <see cref="DeviseHead"/> does to a feature vector before its first layer. Chosen at training
/// (<see cref="DeviseTrainingOptions.InputNormalization"/>), recorded in the head file, and applied by
/// <see cref="DeviseHead.Embed(ReadOnlySpan{float}, bool)"/>, <see cref="DeviseEmbedder"/> and the ONNX export alike.
/// </summary>
public enum DeviseInputNormalization
{
    /// <summary>Features are used as the backbone gives them (the setting the Pascal evaluation measured).</summary>
    None = 0,

    /// <summary>Each feature vector is scaled to unit length first (a zero vector stays zero).</summary>
    L2 = 1,
}
