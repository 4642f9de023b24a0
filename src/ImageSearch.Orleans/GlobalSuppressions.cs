using System.Diagnostics.CodeAnalysis;

// Analyzer findings kept on purpose, each with its reason (rules and their settings: .editorconfig).
[assembly: SuppressMessage("Reliability", "CA2007:Consider calling ConfigureAwait on the awaited task", Scope = "type", Target = "~T:ImageSearch.IndexShardGrain",
    Justification = "Grain code must resume on its activation's scheduler (Orleans' ORLEANS0014 forbids ConfigureAwait(false) there).")]
[assembly: SuppressMessage("Reliability", "CA2007:Consider calling ConfigureAwait on the awaited task", Scope = "type", Target = "~T:ImageSearch.IndexCatalogGrain",
    Justification = "Grain code must resume on its activation's scheduler (Orleans' ORLEANS0014 forbids ConfigureAwait(false) there).")]
[assembly: SuppressMessage("Performance", "CA1849:Call async methods when in an async method", Scope = "member", Target = "~M:ImageSearch.FolderShardStorage.Appender.AppendAsync(System.ReadOnlyMemory{System.Byte},System.Threading.CancellationToken)~System.Threading.Tasks.Task",
    Justification = "Flush(true) is the fsync; FlushAsync does not reach the disk.")]
