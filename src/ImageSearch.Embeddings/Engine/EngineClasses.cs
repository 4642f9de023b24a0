namespace ImageSearch;

/// <summary>
/// The classifier behind class-weighted search: MobileNetV2's ImageNet head for that model, otherwise a logistic
/// regression on the photo vectors and folder labels, trained on first use and kept (and saved) while the photos are
/// unchanged. Thread-safe.
/// </summary>
internal sealed class EngineClasses(ImageModelSpec? model, ClassWeights? loaded, long loadedVersion)
{
    private volatile Tuple<long, ClassWeights>? _folder = loaded is null ? null : Tuple.Create(loadedVersion, loaded); // (catalog version, classifier)
    private ClassWeights? _imageNet;

    public bool HasImageNetHead => model?.HasImageNetHead == true;

    public string Source => HasImageNetHead ? "imagenet" : "folder labels";

    /// <summary>The folder-label classifier when it was trained on exactly this catalog version, else <see langword="null"/>.</summary>
    public ClassWeights? ForVersion(long version) => _folder is { } f && f.Item1 == version ? f.Item2 : null;

    public async Task<ClassWeights> GetAsync(EngineCatalog cat, IReadOnlyVectorIndex index, CancellationToken cancellationToken)
    {
        if (HasImageNetHead)
        {
            if (_imageNet is null)
            {
                _imageNet = await Task.Run(OnnxClassifierHead.MobileNetV2, cancellationToken).ConfigureAwait(false);
            }

            return _imageNet;
        }

        if (ForVersion(cat.Version) is { } cached)
        {
            return cached;
        }

        string[] names = cat.Labels.ToArray();
        if (names.Length < 2)
        {
            throw new InvalidOperationException($"Class weighting needs photos in at least two folders (labels); this index has {names.Length}.");
        }

        var weights = await Task.Run(
            () =>
            {
                int d = index.Dimension;
                long[] keys = cat.Photos.Keys.Order().ToArray();
                var features = new float[keys.Length * d];
                for (int i = 0; i < keys.Length; i++)
                {
                    if (!index.TryGetVector(keys[i], features.AsSpan(i * d, d)))
                    {
                        throw new InvalidOperationException($"Photo key {keys[i]} is missing from the index.");
                    }

                    DeviseHead.Normalize(features.AsSpan(i * d, d)); // unit length even when stored in half precision
                }

                var byName = names.Select((n, i) => (n, i)).ToDictionary(t => t.n, t => t.i, StringComparer.Ordinal);
                var labels = keys.Select(key => byName[cat.Photos[key].Label]).ToArray();
                return LogisticRegressionHead.Train(features, d, labels, names);
            },
            cancellationToken).ConfigureAwait(false);
        _folder = Tuple.Create(cat.Version, weights);
        return weights;
    }
}
