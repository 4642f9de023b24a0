namespace ImageSearch;

/// <summary>What <see cref="ImageSearchEngine.SyncFolderAsync"/> did.</summary>
/// <param name="Folder">The folder synchronised (absolute).</param>
/// <param name="Added">Photos new to the index.</param>
/// <param name="Updated">Photos whose content changed and were embedded again.</param>
/// <param name="Removed">Photos no longer on disk (or changed and now unreadable) and taken out of the index.</param>
/// <param name="Unchanged">Photos left as they were (not embedded again), including those whose time changed but
/// whose content hash did not.</param>
/// <param name="Failures">Files that could not be embedded, each with the reason; they are not in the index and are
/// tried again by the next sync.</param>
public sealed record SyncReport(
    string Folder, int Added, int Updated, int Removed, int Unchanged, IReadOnlyList<SyncFailure> Failures)
{
    /// <summary>Whether the sync changed the index.</summary>
    public bool Changed => Added + Updated + Removed > 0;
}

/// <summary>A file a sync could not embed.</summary>
/// <param name="Path">The file.</param>
/// <param name="Message">Why (one line).</param>
/// <param name="Error">The underlying exception.</param>
public sealed record SyncFailure(string Path, string Message, Exception Error);

/// <summary>The step a sync is in.</summary>
public enum SyncStage
{
    /// <summary>Listing files and comparing sizes and times.</summary>
    Scanning = 0,

    /// <summary>Hashing new and possibly changed files.</summary>
    Hashing = 1,

    /// <summary>Embedding new and changed files.</summary>
    Embedding = 2,

    /// <summary>Applying the changes to the index.</summary>
    Updating = 3,
}

/// <summary>Progress of a sync.</summary>
/// <param name="Stage">The current step.</param>
/// <param name="Completed">Items of this step done (failures included).</param>
/// <param name="Total">Items in this step.</param>
/// <param name="Failed">Items of this step that failed so far.</param>
public readonly record struct SyncProgress(SyncStage Stage, int Completed, int Total, int Failed);
