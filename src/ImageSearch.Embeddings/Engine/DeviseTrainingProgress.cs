namespace ImageSearch;

/// <summary>What <see cref="ImageSearchEngine.TrainDeviseAsync"/> is doing.</summary>
public enum DeviseTrainingStage
{
    /// <summary>Embedding photos under the extra views (only photos not embedded by an earlier training).</summary>
    EmbeddingViews = 0,

    /// <summary>Training the head; <see cref="DeviseTrainingProgress.Completed"/> counts epochs.</summary>
    Training = 1,
}

/// <summary>Progress of <see cref="ImageSearchEngine.TrainDeviseAsync"/>.</summary>
/// <param name="Stage">The current stage.</param>
/// <param name="Completed">Photos embedded, or epochs trained, so far.</param>
/// <param name="Total">Photos to embed, or epochs planned (training may stop earlier).</param>
/// <param name="Epoch">The epoch just finished (losses, learning rate) in the <see cref="DeviseTrainingStage.Training"/> stage.</param>
public readonly record struct DeviseTrainingProgress(DeviseTrainingStage Stage, int Completed, int Total, DeviseEpoch? Epoch = null);
