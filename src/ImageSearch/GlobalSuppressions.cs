using System.Diagnostics.CodeAnalysis;

// Analyzer findings kept on purpose, each with its reason (rules and their settings: .editorconfig).
[assembly: SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Scope = "type", Target = "~T:ImageSearch.ExactIndex",
    Justification = "Its ReaderWriterLockSlim holds no unmanaged resource unless waited on through a wait handle, which it never is; a disposable index would add a Dispose every caller must remember for nothing.")]
[assembly: SuppressMessage("Design", "CA1036:Override methods on comparable types", Scope = "type", Target = "~T:ImageSearch.SearchResult",
    Justification = "CompareTo is the ranking order (distance, then key) used for sorting; < and > on results would read as comparing distances only.")]
