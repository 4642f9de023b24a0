using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace ImageSearch;

/// <summary>
/// The engine's word vectors: given in the options, or the GloVe of <see cref="ImageSearchEngineOptions.GloveDirectory"/>
/// loaded on first use (a failed load is not kept, so the next call tries again), their fingerprint (recorded with a DeViSE head and checked against it), and the tag vocabulary.
/// Thread-safe.
/// </summary>
/// <param name="options">The engine's options (<see cref="ImageSearchEngineOptions.Words"/>, <see cref="ImageSearchEngineOptions.TagVocabulary"/>).</param>
/// <param name="load">Loads the word vectors when the options give none; <see langword="null"/> for the GloVe folder of the options.</param>
internal sealed class EngineWords(ImageSearchEngineOptions options, Func<Task<WordVectors>>? load = null)
{
    internal const string GloveId = Glove.PackageName;
    internal const string CustomId = "custom";

    private static readonly ConditionalWeakTable<WordVectors, WordsFingerprint> Fingerprints = new();

    private readonly Lock _gate = new();
    private Task<WordVectors>? _loading;
    private DeviseTagger? _tagger;

    /// <summary>The id recorded for these word vectors: the GloVe package name when the engine loads GloVe itself.</summary>
    public string Id => options.Words is null ? GloveId : CustomId;

    public Task<WordVectors> GetAsync()
    {
        if (options.Words is { } given)
        {
            return Task.FromResult(given);
        }

        lock (_gate)
        {
            // A faulted or cancelled load is dropped: GloVe may have been fetched since.
            if (_loading is null || _loading.IsFaulted || _loading.IsCanceled)
            {
                _loading = load is not null ? load()
                    : options.GloveDirectory is { } dir ? Glove.OpenAsync(dir)
                    : Task.FromException<WordVectors>(new InvalidOperationException(
                        "This engine has no word vectors: set ImageSearchEngineOptions.Words, or ImageSearchEngineOptions.GloveDirectory (see Glove.DownloadAsync)."));
            }

            return _loading;
        }
    }

    /// <summary>The word vectors for <paramref name="devise"/>: same dimension and, when recorded, the same fingerprint.</summary>
    public async Task<WordVectors> ForAsync(EngineDevise.State devise)
    {
        WordVectors words = await GetAsync().ConfigureAwait(false);
        string? problem = Mismatch(devise, words);
        return problem is null ? words : throw new InvalidOperationException(problem);
    }

    /// <summary>Why <paramref name="words"/> do not fit <paramref name="devise"/>, or <see langword="null"/>.</summary>
    public string? Mismatch(EngineDevise.State devise, WordVectors words)
    {
        if (words.Dimension != devise.Head.OutputDimension)
        {
            return $"The DeViSE head outputs {devise.Head.OutputDimension}-d vectors but the word vectors are {words.Dimension}-d: open the engine with the word vectors it was trained with, or train again.";
        }

        if (devise.Words is { } recorded && Fingerprint(words, Id) is var now && !recorded.SameVectors(now))
        {
            return $"The DeViSE head was trained with word vectors {recorded} but the engine was given {now}: open it with the same word vectors (ImageSearchEngineOptions.Words), or train again.";
        }

        return null;
    }

    /// <summary>The tagger over the <see cref="ImageSearchEngineOptions.TagVocabulary"/> most frequent words (built once per word vectors).</summary>
    public DeviseTagger Tagger(WordVectors words)
    {
        lock (_gate)
        {
            if (_tagger is null || !ReferenceEquals(_tagger.Words, words))
            {
                _tagger = new DeviseTagger(words, options.TagVocabulary);
            }

            return _tagger;
        }
    }

    /// <summary>Count, dimension and SHA-256 of the words and vectors (computed once per instance).</summary>
    public static WordsFingerprint Fingerprint(WordVectors words, string id)
        => Fingerprints.GetValue(words, Compute) with { Id = id };

    private static WordsFingerprint Compute(WordVectors words)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> sep = [0];
        foreach (string w in words.Words)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(w));
            sha.AppendData(sep);
        }

        // Little-endian float bytes, as in every ImageSearch file.
        sha.AppendData(MemoryMarshal.AsBytes(words.Vectors.Span));
        return new WordsFingerprint(CustomId, words.Count, words.Dimension, Convert.ToHexStringLower(sha.GetHashAndReset()));
    }
}

/// <summary>Which word vectors a DeViSE head was trained with, as recorded in the engine manifest.</summary>
/// <param name="Id">A readable name (the GloVe package name, or <c>custom</c> for vectors given in the options).</param>
/// <param name="Count">Number of words.</param>
/// <param name="Dimension">Vector length.</param>
/// <param name="Sha256">SHA-256 of the words (UTF-8, each followed by a zero byte) then the vectors (little-endian floats).</param>
internal sealed record WordsFingerprint(string Id, int Count, int Dimension, string Sha256)
{
    public bool SameVectors(WordsFingerprint other) => Count == other.Count && Dimension == other.Dimension && Sha256 == other.Sha256;

    public override string ToString() => $"'{Id}' ({Count} x {Dimension}, SHA-256 {Sha256[..Math.Min(12, Sha256.Length)]})";
}
