using System.Numerics.Tensors;
using System.Security.Cryptography;

namespace ImageSearch;

/// <summary>
/// Works out how a folder of photos differs from the engine's catalog and embeds what is new or changed (scan, hash,
/// embed); changes nothing itself, so a cancelled sync leaves the engine as it was. The engine applies the result.
/// </summary>
internal static class FolderSync
{
    /// <summary>What a sync found.</summary>
    /// <param name="NewKeys">Fresh keys of the photos embedded (new, or changed and given a new key).</param>
    /// <param name="NewInfos">Their payloads.</param>
    /// <param name="NewVectors">Their embedder output, row after row (the first <c>d</c> elements of a row are the photo vector).</param>
    /// <param name="Dropped">Keys to remove: replaced, deleted, or changed and now failing.</param>
    /// <param name="Touched">Photos whose time changed but whose content did not: new payloads under the same key.</param>
    /// <param name="NextKey">The catalog's next free key after the new ones.</param>
    /// <param name="Added">New photos embedded.</param>
    /// <param name="Updated">Changed photos embedded again.</param>
    /// <param name="Unchanged">Photos left as they were (re-stamped ones included).</param>
    /// <param name="Failures">Files that could not be read or embedded.</param>
    internal sealed record Changes(
        long[] NewKeys, PhotoInfo[] NewInfos, float[] NewVectors, List<long> Dropped, List<(long Key, PhotoInfo Info)> Touched,
        long NextKey, int Added, int Updated, int Unchanged, List<SyncFailure> Failures)
    {
        public int Removed => Dropped.Count - Updated;
    }

    public static async Task<Changes> RunAsync(
        string root, EngineCatalog cat, IEmbedder<ImageInput> embedder, int dimension, ImageSearchEngineOptions options,
        IProgress<SyncProgress>? progress, CancellationToken cancellationToken)
    {
        var failures = new List<SyncFailure>();

        // 1. Scan: compare each file's size and time with the catalog.
        var extensions = new HashSet<string>(options.Extensions, StringComparer.OrdinalIgnoreCase);
        var files = Directory.EnumerateFiles(root, "*", new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            AttributesToSkip = FileAttributes.Hidden | FileAttributes.System,
        }).Where(f => extensions.Contains(Path.GetExtension(f))).Order(StringComparer.Ordinal).ToList();
        var seen = new HashSet<string>(files, StringComparer.Ordinal);
        var describer = options.ReadDescriptions ? new PhotoDescriptions(root, options.Descriptions, options.ReadEmbeddedDescriptions) : null;
        string? Describe(string path)
        {
            try
            {
                return describer?.Get(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                // The photo is still indexed, without a description; the problem is reported.
                failures.Add(new SyncFailure(path, "description: " + e.Message, e));
                return null;
            }
        }

        var touched = new List<(long Key, PhotoInfo Info)>();
        var candidates = new List<(string Path, long? OldKey, long Size, DateTime Time)>();
        int unchanged = 0;
        for (int i = 0; i < files.Count; i++)
        {
            string path = files[i];
            var info = new FileInfo(path);
            long size;
            DateTime time;
            try
            {
                size = info.Length;
                time = info.LastWriteTimeUtc;
            }
            catch (IOException e)
            {
                failures.Add(new SyncFailure(path, e.Message, e));
                continue;
            }

            if (cat.ByPath.TryGetValue(path, out long key))
            {
                PhotoInfo old = cat.Photos[key];
                if (old.Size == size && old.LastWriteUtc == time)
                {
                    // Same photo; its description may have changed (a new or edited sidecar).
                    string? description = describer is null ? old.Description : Describe(path);
                    if (!string.Equals(description, old.Description, StringComparison.Ordinal))
                    {
                        touched.Add((key, old with { Description = description }));
                    }

                    unchanged++;
                    continue;
                }

                candidates.Add((path, key, size, time));
            }
            else
            {
                candidates.Add((path, null, size, time));
            }

            progress?.Report(new SyncProgress(SyncStage.Scanning, i + 1, files.Count, failures.Count));
        }

        // 2. Hash: a file whose time changed but whose bytes did not is only re-stamped.
        var toEmbed = new List<(string Path, long? OldKey, PhotoInfo Info)>();
        var dropped = new List<long>();
        for (int i = 0; i < candidates.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (path, oldKey, size, time) = candidates[i];
            string? hash = null;
            if (options.HashContent)
            {
                try
                {
                    hash = await HashFileAsync(path, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    failures.Add(new SyncFailure(path, e.Message, e));
                    if (oldKey is long k)
                    {
                        dropped.Add(k);
                    }

                    continue;
                }
            }

            var info = new PhotoInfo(path, LabelOf(path), size, time, hash) { Description = Describe(path) };
            if (oldKey is long key && hash is not null && cat.Photos[key] is { } old && old.Size == size && old.ContentHash == hash)
            {
                touched.Add((key, info));
                unchanged++;
            }
            else
            {
                toEmbed.Add((path, oldKey, info));
            }

            progress?.Report(new SyncProgress(SyncStage.Hashing, i + 1, candidates.Count, failures.Count));
        }

        string prefix = root + Path.DirectorySeparatorChar;
        var deleted = cat.Photos.Where(p => p.Value.Path.StartsWith(prefix, StringComparison.Ordinal) && !seen.Contains(p.Value.Path)).Select(p => p.Key);

        // 3. Embed the new and changed files.
        IReadOnlyList<EmbeddingResult> results = [];
        if (toEmbed.Count > 0)
        {
            var embedProgress = progress is null ? null : new InlineProgress<EmbeddingProgress>(p => progress.Report(new SyncProgress(SyncStage.Embedding, p.Completed, p.Total, p.Failed)));
            results = await embedder.EmbedBatchAsync(toEmbed.Select(t => ImageInput.FromFile(t.Path)).ToArray(), embedProgress, cancellationToken).ConfigureAwait(false);
            if (results.Count != toEmbed.Count)
            {
                throw new InvalidOperationException($"The embedder returned {results.Count} results for {toEmbed.Count} inputs.");
            }
        }

        // 4. Collect: fresh keys for the embedded files; replaced keys are dropped.
        long nextKey = cat.NextKey;
        var newKeys = new List<long>();
        var newInfos = new List<PhotoInfo>();
        var newVectors = new List<float>(toEmbed.Count * embedder.Dimension);
        int added = 0, updated = 0;
        foreach (var r in results)
        {
            var (path, oldKey, info) = toEmbed[r.Index];
            string? problem = r.Vector is null ? (r.Error?.Message ?? "embedding failed") : Check(r.Vector, embedder.Dimension, dimension);
            if (problem is not null)
            {
                failures.Add(new SyncFailure(path, problem, r.Error ?? new EmbeddingException(problem)));
                if (oldKey is long k)
                {
                    dropped.Add(k);
                }

                continue;
            }

            if (oldKey is long replaced)
            {
                dropped.Add(replaced);
                updated++;
            }
            else
            {
                added++;
            }

            newKeys.Add(nextKey++);
            newInfos.Add(info);
            newVectors.AddRange(r.Vector!);
        }

        dropped.AddRange(deleted);
        return new Changes([.. newKeys], [.. newInfos], [.. newVectors], dropped, touched, nextKey, added, updated, unchanged, failures);
    }

    // The photo vector is the first `dimension` elements (the rest, when there is more, are other views of the photo).
    private static string? Check(float[] vector, int length, int dimension)
    {
        if (vector.Length != length)
        {
            return $"the embedder returned {vector.Length} elements, not {length}";
        }

        if (!TensorPrimitives.IsFiniteAll<float>(vector))
        {
            return "the embedder returned a NaN or infinite element";
        }

        return TensorPrimitives.MaxMagnitude(vector.AsSpan(0, dimension)) == 0 ? "the embedder returned a zero vector" : null;
    }

    private static string LabelOf(string path) => Path.GetFileName(Path.GetDirectoryName(path)) ?? "";

    private static async Task<string> HashFileAsync(string path, CancellationToken cancellationToken)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
    }
}
