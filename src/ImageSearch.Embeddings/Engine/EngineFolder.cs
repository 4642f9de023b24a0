using System.Collections.Immutable;

namespace ImageSearch;

/// <summary>
/// An engine's stored folder: <c>manifest.json</c> (written last, so it names only complete files), the photo index,
/// the payloads, the folder-label classifier and the DeViSE files. Every file is written atomically, the data files
/// under names new to each save (<see cref="EngineGeneration"/>), so a killed save never mixes with the previous one.
/// </summary>
internal static class EngineFolder
{
    /// <summary>What a folder holds.</summary>
    internal sealed record Contents(IVectorIndex Index, EngineCatalog Catalog, EngineDevise.State? Devise, ClassWeights? Classes);

    /// <summary>What to save (taken under the engine's write lock).</summary>
    internal sealed record Snapshot(
        string ModelId, string ModelSource, IVectorIndex Index, EngineCatalog Catalog, EngineDevise.State? Devise, ClassWeights? Classes, string WordsId);

    public static async Task<Contents> ReadAsync(string full, EngineManifest manifest, CancellationToken cancellationToken)
    {
        IVectorIndex index = await Task.Run(() => VectorIndex.Load(Path.Combine(full, manifest.Index)), cancellationToken).ConfigureAwait(false);
        if (index.Dimension != manifest.Dimension)
        {
            throw new InvalidDataException($"'{full}': the index holds {index.Dimension}-d vectors but the manifest says {manifest.Dimension}.");
        }

        var doc = await Task.Run(() => PhotoCatalog.Read(Path.Combine(full, manifest.Catalog)), cancellationToken).ConfigureAwait(false);
        var photos = ImmutableDictionary.CreateBuilder<long, PhotoInfo>();
        foreach (var e in doc.Photos)
        {
            if (!index.Contains(e.Key) || photos.ContainsKey(e.Key))
            {
                throw new InvalidDataException($"'{full}': the payload file and the index disagree (key {e.Key}).");
            }

            photos[e.Key] = new PhotoInfo(e.Path, e.Label, e.Size, e.LastWriteUtc, e.Hash) { Description = e.Description };
        }

        if (photos.Count != index.Count)
        {
            throw new InvalidDataException($"'{full}': the index holds {index.Count} photos but the payload file {photos.Count}.");
        }

        EngineDevise.State? devise = manifest.Devise is { } dm
            ? await ReadDeviseAsync(full, manifest, dm, photos, cancellationToken).ConfigureAwait(false)
            : null;
        ClassWeights? classes = manifest.Classes is null ? null
            : await Task.Run(() => ClassWeightsFile.Read(Path.Combine(full, manifest.Classes), manifest.Dimension), cancellationToken).ConfigureAwait(false);
        return new Contents(index, new EngineCatalog(photos.ToImmutable(), doc.NextKey, 0), devise, classes);
    }

    public static async Task WriteAsync(string full, Snapshot s, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(full);
        EngineCatalog cat = s.Catalog;
        var files = new EngineGeneration();
        await Task.Run(() => s.Index.Save(Path.Combine(full, files.Name(EngineManifest.IndexFileName))), cancellationToken).ConfigureAwait(false);
        await Task.Run(() => IndexFile.SaveAtomic(Path.Combine(full, files.Name(EngineManifest.CatalogFileName)), st => PhotoCatalog.Write(st, cat.NextKey, cat.Photos)), cancellationToken).ConfigureAwait(false);
        EngineDevise.State? devise = s.Devise;
        if (devise is not null)
        {
            await Task.Run(() => devise.Head.Save(Path.Combine(full, files.Name(EngineManifest.DeviseHeadFileName))), cancellationToken).ConfigureAwait(false);
            await Task.Run(() => devise.Index.Save(Path.Combine(full, files.Name(EngineManifest.DeviseIndexFileName))), cancellationToken).ConfigureAwait(false);
            if (devise.Features is { } features)
            {
                await Task.Run(() => features.Save(Path.Combine(full, files.Name(EngineManifest.DeviseFeaturesFileName))), cancellationToken).ConfigureAwait(false);
            }
        }

        if (s.Classes is { } classes)
        {
            await Task.Run(() => IndexFile.SaveAtomic(Path.Combine(full, files.Name(EngineManifest.ClassesFileName)), st => ClassWeightsFile.Write(st, classes)), cancellationToken).ConfigureAwait(false);
        }

        var manifest = new EngineManifest
        {
            Classes = s.Classes is null ? null : files.Name(EngineManifest.ClassesFileName),
            ModelId = s.ModelId,
            ModelSource = s.ModelSource,
            Dimension = s.Index.Dimension,
            Metric = s.Index.Metric.ToString(),
            IndexType = s.Index.GetType().Name,
            IndexFormatVersion = IndexFile.FormatVersion,
            Index = files.Name(EngineManifest.IndexFileName),
            Catalog = files.Name(EngineManifest.CatalogFileName),
            Count = cat.Photos.Count,
            Devise = devise is null ? null : new EngineManifest.DeviseManifest(
                files.Name(EngineManifest.DeviseHeadFileName), files.Name(EngineManifest.DeviseIndexFileName), devise.Words?.Id ?? s.WordsId, devise.Head.OutputDimension, devise.Labels)
            {
                WordCount = devise.Words?.Count,
                WordsSha256 = devise.Words?.Sha256,
                Views = devise.Views,
                Features = devise.Features is null ? null : files.Name(EngineManifest.DeviseFeaturesFileName),
                Descriptions = devise.DescribedPhotos == 0 ? null : devise.DescribedPhotos,
            },
        };
        await Task.Run(() => IndexFile.SaveAtomic(Path.Combine(full, EngineManifest.FileName), st => st.Write(manifest.ToUtf8())), cancellationToken).ConfigureAwait(false);
        EngineGeneration.DeleteUnreferenced(full, manifest);
    }

    private static async Task<EngineDevise.State> ReadDeviseAsync(
        string full, EngineManifest manifest, EngineManifest.DeviseManifest dm, IDictionary<long, PhotoInfo> photos, CancellationToken cancellationToken)
    {
        DeviseHead head = await Task.Run(() => DeviseHead.Load(Path.Combine(full, dm.Head)), cancellationToken).ConfigureAwait(false);
        if (manifest.FormatVersion == 1)
        {
            // Version 1 engines trained on, and applied the head to, unit-length features without recording it.
            head = head.WithInputNormalization(DeviseInputNormalization.L2);
        }

        IVectorIndex deviseIndex = await Task.Run(() => VectorIndex.Load(Path.Combine(full, dm.Index)), cancellationToken).ConfigureAwait(false);
        IReadOnlyList<string> views = dm.Views is { Count: > 0 } v ? v : [EngineViews.DefaultNames[0]];
        if (views.Count > 1 && !views.SequenceEqual(EngineViews.DefaultNames))
        {
            throw new InvalidDataException($"'{full}': unknown DeViSE views [{string.Join(", ", views)}].");
        }

        IVectorIndex? features = null;
        if (dm.Features is not null)
        {
            features = await Task.Run(() => VectorIndex.Load(Path.Combine(full, dm.Features)), cancellationToken).ConfigureAwait(false);
            if (features.Dimension != views.Count * manifest.Dimension)
            {
                throw new InvalidDataException($"'{full}': the stored DeViSE features are {features.Dimension}-d, not {views.Count} views x {manifest.Dimension}.");
            }
        }
        else if (views.Count > 1)
        {
            throw new InvalidDataException($"'{full}': the manifest names {views.Count} DeViSE views but no stored features.");
        }

        // A photo that could not be embedded under every view when the head was trained has no DeViSE vector.
        if (head.InputDimension != manifest.Dimension || deviseIndex.Dimension != head.OutputDimension || deviseIndex.Count > photos.Count
            || deviseIndex.GetKeys().Any(k => !photos.ContainsKey(k)))
        {
            throw new InvalidDataException($"'{full}': the DeViSE files do not match the index (train DeViSE again).");
        }

        WordsFingerprint? words = dm.WordCount is int count && dm.WordsSha256 is { } sha ? new WordsFingerprint(dm.Words, count, dm.WordDimension, sha) : null;
        return new EngineDevise.State(head, deviseIndex, dm.Labels, words, views, features) { DescribedPhotos = dm.Descriptions ?? 0 };
    }
}
