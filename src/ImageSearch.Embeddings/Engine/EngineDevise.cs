using System.Numerics.Tensors;

namespace ImageSearch;

/// <summary>
/// The engine's DeViSE part: training a head on the photos' folder labels, the photos' vectors in word space, and
/// keeping both in step with syncs. Two modes, recorded in the manifest:
/// <list type="bullet">
/// <item>views (the default for an ONNX model, the setting the README's numbers were measured with): every photo's
/// raw features under <see cref="EngineViews"/> are stored (<c>devise.features.&lt;save&gt;.isindex</c>, half precision); training uses
/// each view as a sample; a photo's vector is the head applied to the mean of its views;</item>
/// <item>single view (another embedder, or <see cref="ImageSearchEngineOptions.UseDeviseViews"/> off): the head is trained on
/// the unit-length features the photo index holds, with <see cref="DeviseInputNormalization.L2"/> recorded in it.</item>
/// </list>
/// </summary>
internal static class EngineDevise
{
    /// <summary>A trained head with its photo index (same keys as the photo index) and, in views mode, the stored features.</summary>
    internal sealed record State(
        DeviseHead Head, IVectorIndex Index, IReadOnlyDictionary<string, string[]> Labels, WordsFingerprint? Words,
        IReadOnlyList<string> Views, IVectorIndex? Features)
    {
        /// <summary>Photos whose descriptions were in their targets (0: labels only).</summary>
        public int DescribedPhotos { get; init; }

        public bool UsesViews => Views.Count > 1;
    }

    /// <summary>Epochs when the caller gives no options: the evaluation's 20 with views (each epoch sees every view), the trainer's own default without.</summary>
    public static DeviseTrainingOptions DefaultOptions(bool views, bool descriptions)
        => (views ? new DeviseTrainingOptions { Epochs = 20 } : new DeviseTrainingOptions()) with { Loss = descriptions ? DeviseLoss.WordSoftmax : DeviseLoss.Cosine };

    public static async Task<(State State, DeviseTrainingSummary Summary)> TrainAsync(
        EngineCatalog cat, IReadOnlyVectorIndex photoIndex, EngineViews? views, State? previous, WordVectors words, WordsFingerprint fingerprint,
        DeviseTrainingOptions? options, LabelWordMap labelWords, bool useDescriptions, IProgress<DeviseTrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var mapped = new Dictionary<string, MappedLabel>(StringComparer.Ordinal);
        var unmapped = new List<string>();
        foreach (string label in cat.Labels)
        {
            try
            {
                mapped[label] = labelWords.Map(label, words);
            }
            catch (ArgumentException)
            {
                unmapped.Add(label);
            }
        }

        // Descriptions: every photo's text counts for the document frequencies; a photo trains when its label maps or its text has words.
        bool described = useDescriptions && cat.Photos.Values.Any(p => p.Description is not null);
        DescriptionTargets? texts = described ? new DescriptionTargets(words, cat.Photos.Values.Select(p => p.Description)) : null;
        if (mapped.Count < 2 && texts is null)
        {
            throw new InvalidOperationException(
                $"DeViSE training needs photos in at least two folders whose names are words; {mapped.Count} of the {mapped.Count + unmapped.Count} folder labels have word vectors.");
        }

        int d = photoIndex.Dimension, wd = words.Dimension;
        int v = views?.Count ?? 1;
        options ??= DefaultOptions(views is not null, texts is not null);
        if (views is null)
        {
            // The index holds unit-length features, and so must every later input: the head records it.
            options = options with { InputNormalization = DeviseInputNormalization.L2 };
        }

        // Features: stacked raw views (stored, embedding only photos not stored yet), or the index's unit vectors.
        IVectorIndex? store = null;
        long[] keys;
        float[] features; // keys.Length * v * d
        if (views is not null)
        {
            store = previous?.Features is { } kept && previous.UsesViews && kept.Dimension == v * d ? kept : NewFeatureStore(v * d);
            await FillFeaturesAsync(cat, store, views, progress, cancellationToken).ConfigureAwait(false);
            (keys, features) = Rows(cat, store, v * d);
        }
        else
        {
            (keys, features) = Rows(cat, photoIndex, d);
        }

        // Targets: the label's words, with the description's when there are descriptions (see DescriptionTargets).
        var targets = new float[keys.Length][];
        int describedPhotos = 0;
        for (int i = 0; i < keys.Length; i++)
        {
            PhotoInfo photo = cat.Photos[keys[i]];
            MappedLabel? label = mapped.GetValueOrDefault(photo.Label);
            if (texts is null)
            {
                targets[i] = label?.Vector!;
                continue;
            }

            targets[i] = texts.Target(label, photo.Description)!;
            if (texts.WeighWords(photo.Description).Count > 0)
            {
                describedPhotos++;
            }
        }

        if (texts is null && options.Loss == DeviseLoss.WordSoftmax)
        {
            // The softmax takes weighted means of unit vectors: a plain label target is made unit length (a copy: the
            // label's vector is shared).
            for (int i = 0; i < targets.Length; i++)
            {
                if (targets[i] is { } target)
                {
                    var unit = new float[target.Length];
                    TensorPrimitives.Divide(target, TensorPrimitives.Norm(target), unit);
                    targets[i] = unit;
                }
            }
        }

        // Validation photos (not samples: a photo's views stay together), then every view of the others as samples.
        var trainable = Enumerable.Range(0, keys.Length).Where(i => targets[i] is not null).ToArray();
        if (trainable.Length < 2)
        {
            throw new InvalidOperationException($"DeViSE training needs at least two photos with a word label or a described photo; {trainable.Length} found.");
        }

        int nVal = (int)Math.Floor(trainable.Length * (double)options.ValidationFraction);
        if (options.ValidationFraction > 0 && nVal == 0 && trainable.Length > 2)
        {
            nVal = 1;
        }

        int[] order = (int[])trainable.Clone();
        new DeviseRandom(options.Seed ^ 0x5EED5EEDL).Shuffle(order);
        var x = new float[(trainable.Length - nVal) * v * d];
        var t = new float[(trainable.Length - nVal) * v * wd];
        var vx = new float[nVal * d];
        var vt = new float[nVal * wd];
        for (int r = 0; r < order.Length; r++)
        {
            int i = order[r];
            float[] target = targets[i];
            ReadOnlySpan<float> row = features.AsSpan(i * v * d, v * d);
            if (r < nVal)
            {
                EngineViews.Mean(row, v, vx.AsSpan(r * d, d));
                target.CopyTo(vt.AsSpan(r * wd));
            }
            else
            {
                int s = (r - nVal) * v;
                row.CopyTo(x.AsSpan(s * d));
                for (int k = 0; k < v; k++)
                {
                    target.CopyTo(t.AsSpan((s + k) * wd));
                }
            }
        }

        // The softmax's words: the label words and every description word a target may hold.
        var softmaxWords = new List<float>();
        if (options.Loss == DeviseLoss.WordSoftmax)
        {
            foreach (MappedLabel m in mapped.Values.OrderBy(m => m.Label, StringComparer.Ordinal))
            {
                softmaxWords.AddRange(m.Vector);
            }

            foreach (string w in texts?.Vocabulary ?? [])
            {
                softmaxWords.AddRange(words.GetVector(w).ToArray());
            }
        }

        float[] wordRows = [.. softmaxWords];
        var trainer = new DeviseTrainer(options);
        int epochs = options.Epochs;
        IProgress<DeviseEpoch>? epochProgress = progress is null ? null
            : new InlineProgress<DeviseEpoch>(e => progress.Report(new DeviseTrainingProgress(DeviseTrainingStage.Training, e.Epoch, epochs, e)));
        DeviseTrainingResult result = await Task.Run(() => trainer.Train(x, t, vx, vt, wordRows, d, wd, epochProgress, cancellationToken), cancellationToken).ConfigureAwait(false);
        var state = new State(
            result.Head, PhotoIndex(result.Head, keys, features, v), mapped.ToDictionary(m => m.Key, m => m.Value.Words.ToArray(), StringComparer.Ordinal),
            fingerprint, views is null ? [EngineViews.DefaultNames[0]] : EngineViews.DefaultNames, store) { DescribedPhotos = describedPhotos };
        return (state, new DeviseTrainingSummary(result.History, mapped.Values.ToArray(), unmapped, trainable.Length)
        {
            DescribedPhotos = describedPhotos,
            DescriptionWords = texts?.Vocabulary.Count ?? 0,
        });
    }

    /// <summary>
    /// Adds new photos (their embedder output: stacked views in views mode, else the raw features) and removes
    /// <paramref name="dropped"/> keys, in the photo vectors and the stored features.
    /// </summary>
    public static void Apply(State state, long[] newKeys, float[] vectors, IReadOnlyCollection<long> dropped)
    {
        if (newKeys.Length > 0)
        {
            int rowLength = vectors.Length / newKeys.Length;
            int v = state.UsesViews ? state.Views.Count : 1;
            var photo = new float[newKeys.Length * state.Head.OutputDimension];
            state.Head.EmbedBatch(Means(vectors, newKeys.Length, v, rowLength / v), newKeys.Length, photo);
            state.Index.AddRange(newKeys, photo, cancellationToken: CancellationToken.None);
            state.Features?.AddRange(newKeys, vectors, cancellationToken: CancellationToken.None);
        }

        foreach (long key in dropped)
        {
            state.Index.Remove(key);
            state.Features?.Remove(key);
        }
    }

    internal static IVectorIndex NewFeatureStore(int dimension) => new ExactIndex(dimension, DistanceMetric.SquaredL2, VectorElementType.Float16);

    private static ExactIndex PhotoIndex(DeviseHead head, long[] keys, float[] features, int views)
    {
        var vectors = new float[keys.Length * head.OutputDimension];
        head.EmbedBatch(Means(features, keys.Length, views, head.InputDimension), keys.Length, vectors);
        var index = new ExactIndex(head.OutputDimension, DistanceMetric.Cosine);
        index.AddRange(keys, vectors);
        return index;
    }

    private static float[] Means(float[] stacked, int count, int views, int d)
    {
        if (views == 1)
        {
            return stacked;
        }

        var means = new float[count * d];
        for (int i = 0; i < count; i++)
        {
            EngineViews.Mean(stacked.AsSpan(i * views * d, views * d), views, means.AsSpan(i * d, d));
        }

        return means;
    }

    // Photos embedded under every view before; a photo that fails now (gone since the sync) is left out of DeViSE.
    private static async Task FillFeaturesAsync(
        EngineCatalog cat, IVectorIndex store, EngineViews views, IProgress<DeviseTrainingProgress>? progress, CancellationToken cancellationToken)
    {
        foreach (long key in store.GetKeys())
        {
            if (!cat.Photos.ContainsKey(key))
            {
                store.Remove(key);
            }
        }

        var missing = cat.Photos.Where(p => !store.Contains(p.Key)).OrderBy(p => p.Key).ToArray();
        if (missing.Length == 0)
        {
            return;
        }

        IProgress<EmbeddingProgress>? embedProgress = progress is null ? null
            : new InlineProgress<EmbeddingProgress>(p => progress.Report(new DeviseTrainingProgress(DeviseTrainingStage.EmbeddingViews, p.Completed, p.Total)));
        var results = await views.Stacked.EmbedBatchAsync(missing.Select(p => ImageInput.FromFile(p.Value.Path)).ToArray(), embedProgress, cancellationToken).ConfigureAwait(false);
        var keys = new List<long>();
        var rows = new List<float>();
        foreach (var r in results)
        {
            if (r.Vector is { } row && TensorPrimitives.IsFiniteAll<float>(row))
            {
                keys.Add(missing[r.Index].Key);
                rows.AddRange(row);
            }
        }

        store.AddRange(keys.ToArray(), rows.ToArray(), cancellationToken: cancellationToken);
    }

    // The rows of the catalog's photos found in the index, in key order (raw from a feature store, unit from a cosine index).
    private static (long[] Keys, float[] Rows) Rows(EngineCatalog cat, IReadOnlyVectorIndex index, int d)
    {
        var keys = new List<long>(cat.Photos.Count);
        var rows = new float[cat.Photos.Count * d];
        foreach (long key in cat.Photos.Keys.Order())
        {
            if (index.TryGetVector(key, rows.AsSpan(keys.Count * d, d)))
            {
                keys.Add(key);
            }
        }

        return (keys.ToArray(), rows.AsSpan(0, keys.Count * d).ToArray());
    }
}
