using System.Diagnostics.CodeAnalysis;

// Analyzer findings kept on purpose, each with its reason (rules and their settings: .editorconfig).
[assembly: SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Scope = "type", Target = "~T:ImageSearch.ImageSearchCollection`2",
    Justification = "It is a VectorStoreCollection; every Microsoft.Extensions.VectorData connector names its collection type <Store>Collection.")]
[assembly: SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Scope = "type", Target = "~T:ImageSearch.CollectionState",
    Justification = "Its ReaderWriterLockSlim holds no unmanaged resource unless waited on through a wait handle, which it never is; the state lives as long as its store (as ExactIndex's lock does).")]
