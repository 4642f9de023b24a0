
namespace ImageSearch;

/// <summary>What <see cref="ImageSearchEngine.TrainDeviseAsync"/> did.</summary>
/// <param name="History">The trainer's epochs, best epoch and time.</param>
/// <param name="Labels">Each folder label used, with the words its target vector was made of.</param>
/// <param name="UnmappedLabels">Folder labels with no word vector; their photos were not used for training (they are
/// still searchable by words).</param>
/// <param name="TrainingPhotos">Photos the head was trained on.</param>
public sealed record DeviseTrainingSummary(
    DeviseTrainingHistory History, IReadOnlyList<MappedLabel> Labels, IReadOnlyList<string> UnmappedLabels, int TrainingPhotos)
{
    /// <summary>
    /// Photos whose description words were part of their target (0 when the head was trained on the folder labels
    /// alone: no photo had a description, or <see cref="ImageSearchEngineOptions.TrainOnDescriptions"/> was off).
    /// </summary>
    public int DescribedPhotos { get; init; }

    /// <summary>Distinct description words the head was trained toward (0 without descriptions).</summary>
    public int DescriptionWords { get; init; }
}

/// <summary>A class chosen for class-weighted search.</summary>
/// <param name="Index">The class index in its classifier.</param>
/// <param name="Name">The class name.</param>
/// <param name="Weights">The class's weight vector (the index's dimension).</param>
/// <param name="Source">Where the classifier came from: <c>imagenet</c> (MobileNetV2's head) or <c>folder labels</c>
/// (a logistic regression trained on the index's folder labels).</param>
public sealed record ClassChoice(int Index, string Name, ReadOnlyMemory<float> Weights, string Source);
