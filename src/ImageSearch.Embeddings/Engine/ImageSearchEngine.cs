using System.Globalization;

namespace ImageSearch;

/// <summary>
/// A photo collection ready to search: an image embedder, a cosine index of the photos' vectors, the photos' payloads
/// (path, folder label, size, time, content hash) and, once trained, a DeViSE head with an index of the photos in word
/// space. Saved to and opened from one folder; <see cref="SyncFolderAsync"/> keeps it in step with a folder of photos,
/// embedding only new and changed files.
/// </summary>
/// <remarks>
/// <para>A thin facade over parts with one job each (see <c>docs/architecture.md</c>): the stored folder, folder sync,
/// class weights, word vectors, DeViSE.</para>
/// <para>Thread-safety: every member may be called from several threads. Searches run concurrently with each other
/// and with a sync; a search sees each photo either before or after a sync's change, never a hit without its payload.
/// <see cref="SyncFolderAsync"/>, <see cref="TrainDeviseAsync"/> and <see cref="SaveAsync(string, CancellationToken)"/>
/// are serialised by an internal lock (one runs at a time).</para>
/// <para>Folder layout: <c>manifest.json</c> (format and versions, model id and dimension, the DeViSE word vectors'
/// fingerprint, written last), <c>photos.&lt;save&gt;.isindex</c> (the core index format), <c>photos.&lt;save&gt;.catalog</c>
/// (payloads, SHA-256 checked), optionally <c>classes.&lt;save&gt;.json</c> (the folder-label classifier, SHA-256 checked)
/// and, after DeViSE training, <c>devise.&lt;save&gt;.head</c>, <c>devise.&lt;save&gt;.isindex</c> and, with views,
/// <c>devise.features.&lt;save&gt;.isindex</c>. Every file is written atomically, under names new to each save.</para>
/// </remarks>
public sealed class ImageSearchEngine : IDisposable, IAsyncDisposable
{
    private readonly IEmbedder<ImageInput> _embedder;
    private readonly bool _ownsEmbedder;
    private readonly ImageModelSpec? _model;
    private readonly ImageSearchEngineOptions _options;
    private readonly IVectorIndex _index;
    private readonly SemaphoreSlim _write = new(1, 1);
    private readonly EngineWords _words;
    private readonly EngineClasses _classes;
    private readonly Lazy<EngineViews?> _views;
    private volatile EngineCatalog _catalog;
    private volatile EngineDevise.State? _devise;
    private volatile bool _disposed;

    private ImageSearchEngine(
        IEmbedder<ImageInput> embedder, bool ownsEmbedder, string modelId, ImageModelSpec? model, ImageSearchEngineOptions options,
        string? directory, EngineFolder.Contents contents)
    {
        _embedder = embedder;
        _ownsEmbedder = ownsEmbedder;
        _model = model;
        _options = options;
        _index = contents.Index;
        _catalog = contents.Catalog;
        _devise = contents.Devise;
        _words = new EngineWords(options);
        _classes = new EngineClasses(model, contents.Classes, contents.Catalog.Version);
        _views = new(() => EngineViews.TryCreate(embedder, options.EmbedderOptions));
        ModelId = modelId;
        Directory = directory;
    }

    /// <summary>The image model's id (see <see cref="ImageModelSpec.Id"/>), recorded in the saved folder.</summary>
    public string ModelId { get; }

    /// <summary>Dimension of the image vectors.</summary>
    public int Dimension => _embedder.Dimension;

    /// <summary>The image embedder.</summary>
    public IEmbedder<ImageInput> Embedder => _embedder;

    /// <summary>The photo index (keys are the engine's photo keys), to search or read; only the engine changes it.</summary>
    public IReadOnlyVectorIndex Index => _index;

    /// <summary>The folder the engine was last opened from or saved to, or <see langword="null"/>.</summary>
    public string? Directory { get; private set; }

    /// <summary>Number of indexed photos.</summary>
    public int Count => _catalog.Photos.Count;

    /// <summary>A snapshot of the indexed photos by key.</summary>
    public IReadOnlyDictionary<long, PhotoInfo> Photos => _catalog.Photos;

    /// <summary>The distinct folder labels of the indexed photos, sorted ordinally.</summary>
    public IReadOnlyList<string> Labels => _catalog.Labels;

    /// <summary>Whether a DeViSE head has been trained (or loaded), enabling <see cref="SearchWordsAsync"/> and <see cref="TagsAsync"/>.</summary>
    public bool HasDevise => _devise is not null;

    /// <summary>The DeViSE head, or <see langword="null"/>. It records its input normalisation, so
    /// <c>new DeviseEmbedder(backbone, engine.DeviseHead)</c> with the backbone of <see cref="DeviseEmbedder"/> gives the engine's vectors.</summary>
    public DeviseHead? DeviseHead => _devise?.Head;

    /// <summary>
    /// The embedder the engine maps a photo into word space with (for <see cref="TagsAsync"/>), or <see langword="null"/>
    /// without a head: its backbone is <see cref="Embedder"/>, or with views the mean of the four views'
    /// features. Owned by the engine (valid until it is disposed).
    /// </summary>
    public DeviseEmbedder? DeviseEmbedder => _devise is { } devise ? PhotoEmbedder(devise) : null;

    /// <summary>
    /// The training settings <see cref="TrainDeviseAsync"/> uses when given none: 20 epochs when it trains on views
    /// (each epoch sees every view of every photo, as in the measured setting), the trainer's defaults otherwise; the
    /// loss <see cref="DeviseLoss.WordSoftmax"/> when it would train on descriptions (some photo has one and
    /// <see cref="ImageSearchEngineOptions.TrainOnDescriptions"/> is on), else the cosine loss. Read it again after a sync.
    /// </summary>
    public DeviseTrainingOptions DefaultDeviseTrainingOptions => EngineDevise.DefaultOptions(
        _options.UseDeviseViews && _embedder is OnnxImageEmbedder,
        _options.TrainOnDescriptions && _catalog.Photos.Values.Any(p => p.Description is not null));

    /// <summary>The index of DeViSE photo vectors (same keys as <see cref="Index"/>), or <see langword="null"/>.</summary>
    public IReadOnlyVectorIndex? DeviseIndex => _devise?.Index;

    /// <summary>Creates an empty engine for a built-in or file model (the model is loaded now).</summary>
    /// <param name="model">The image model.</param>
    /// <param name="options">Settings; <see langword="null"/> for defaults.</param>
    /// <returns>A new engine that owns the embedder.</returns>
    /// <exception cref="FileNotFoundException">The model files are missing.</exception>
    public static ImageSearchEngine Create(ImageModelSpec model, ImageSearchEngineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new ImageSearchEngineOptions();
        CheckOptions(options);
        var embedder = model.CreateEmbedder(options.EmbedderOptions);
        try
        {
            return new ImageSearchEngine(embedder, true, model.Id, model, options, null, new EngineFolder.Contents(NewIndex(options, embedder.Dimension), EngineCatalog.Empty, null, null));
        }
        catch
        {
            embedder.Dispose();
            throw;
        }
    }

    /// <summary>Creates an empty engine around any embedder (for example a remote model, or a fake one in tests).</summary>
    /// <param name="embedder">The image embedder; not disposed by the engine.</param>
    /// <param name="modelId">A stable id of the embedder's model, recorded in the saved folder.</param>
    /// <param name="options">Settings; <see langword="null"/> for defaults.</param>
    /// <returns>A new engine.</returns>
    public static ImageSearchEngine Create(IEmbedder<ImageInput> embedder, string modelId, ImageSearchEngineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelId);
        options ??= new ImageSearchEngineOptions();
        CheckOptions(options);
        return new ImageSearchEngine(embedder, false, modelId, null, options, null, new EngineFolder.Contents(NewIndex(options, embedder.Dimension), EngineCatalog.Empty, null, null));
    }

    /// <summary>Whether <paramref name="directory"/> holds a saved engine (a manifest).</summary>
    /// <param name="directory">The folder.</param>
    /// <returns><see langword="true"/> when a manifest is present.</returns>
    public static bool Exists(string directory)
        => !string.IsNullOrWhiteSpace(directory) && File.Exists(Path.Combine(directory, EngineManifest.FileName));

    /// <summary>Opens a saved engine with the model recorded in it.</summary>
    /// <param name="directory">The engine folder.</param>
    /// <param name="options">Settings; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The engine, owning its embedder.</returns>
    /// <exception cref="FileNotFoundException">The folder or its manifest does not exist.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt, or the files disagree.</exception>
    /// <exception cref="IndexModelMismatchException">The recorded model file has changed since.</exception>
    /// <remarks>Limits (every overload): the manifest, photo catalog and class-weights file are read whole, so each must
    /// be under 2 GB (past it: <see cref="IOException"/> from the read); the catalog and class weights are refused with
    /// <see cref="InvalidDataException"/> when their checksum fails, before they are parsed. The index file has the
    /// limits of <see cref="VectorIndex.Load(Stream)"/>, a DeViSE head those of <see cref="DeviseHead.Load(string)"/>.</remarks>
    public static Task<ImageSearchEngine> OpenAsync(string directory, ImageSearchEngineOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var manifest = EngineManifest.Read(Path.GetFullPath(directory));
        ImageModelSpec spec;
        try
        {
            spec = ImageModelSpec.Parse(manifest.ModelSource);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"The index in '{directory}' was built with model '{manifest.ModelId}', which cannot be loaded: {e.Message}", e);
        }

        return OpenAsync(directory, spec, options, cancellationToken);
    }

    /// <summary>Opens a saved engine, checking that it was built with <paramref name="model"/>.</summary>
    /// <param name="directory">The engine folder.</param>
    /// <param name="model">The model to use.</param>
    /// <param name="options">Settings; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The engine, owning its embedder.</returns>
    /// <exception cref="IndexModelMismatchException">The folder was built with another model.</exception>
    /// <exception cref="ArgumentException">The options' word vectors are not those the folder's DeViSE head was trained with.</exception>
    public static async Task<ImageSearchEngine> OpenAsync(string directory, ImageModelSpec model, ImageSearchEngineOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentNullException.ThrowIfNull(model);
        options ??= new ImageSearchEngineOptions();
        CheckOptions(options);
        string full = Path.GetFullPath(directory);
        var manifest = EngineManifest.Read(full);
        if (manifest.ModelId != model.Id)
        {
            throw new IndexModelMismatchException(full, manifest.ModelId, manifest.Dimension, model.Id, model.KnownDimension ?? 0);
        }

        var embedder = model.CreateEmbedder(options.EmbedderOptions);
        try
        {
            return await OpenCoreAsync(full, manifest, embedder, true, model.Id, model, options, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            embedder.Dispose();
            throw;
        }
    }

    /// <summary>Opens a saved engine with a given embedder, checking the recorded model id and dimension.</summary>
    /// <param name="directory">The engine folder.</param>
    /// <param name="embedder">The embedder; not disposed by the engine.</param>
    /// <param name="modelId">The embedder's model id.</param>
    /// <param name="options">Settings; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The engine.</returns>
    /// <exception cref="IndexModelMismatchException">The folder was built with another model or dimension.</exception>
    /// <exception cref="ArgumentException">The options' word vectors are not those the folder's DeViSE head was trained
    /// with, or the head uses views and <paramref name="embedder"/> is not an <see cref="OnnxImageEmbedder"/>.</exception>
    public static Task<ImageSearchEngine> OpenAsync(string directory, IEmbedder<ImageInput> embedder, string modelId, ImageSearchEngineOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentNullException.ThrowIfNull(embedder);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelId);
        string full = Path.GetFullPath(directory);
        var manifest = EngineManifest.Read(full);
        return OpenCoreAsync(full, manifest, embedder, false, modelId, null, options ?? new ImageSearchEngineOptions(), cancellationToken);
    }

    /// <summary>Opens the engine in <paramref name="directory"/> when there is one (checking the model), else creates an empty one.</summary>
    /// <param name="directory">The engine folder (need not exist).</param>
    /// <param name="model">The model.</param>
    /// <param name="options">Settings; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The engine.</returns>
    public static async Task<ImageSearchEngine> OpenOrCreateAsync(string directory, ImageModelSpec model, ImageSearchEngineOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (Exists(directory))
        {
            return await OpenAsync(directory, model, options, cancellationToken).ConfigureAwait(false);
        }

        var engine = Create(model, options);
        engine.Directory = Path.GetFullPath(directory);
        return engine;
    }

    /// <summary>Looks a photo up by path.</summary>
    /// <param name="path">The photo's path (made absolute).</param>
    /// <param name="key">Its key, or -1.</param>
    /// <returns>Whether it is indexed.</returns>
    public bool TryGetKey(string path, out long key)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (_catalog.ByPath.TryGetValue(Path.GetFullPath(path), out key))
        {
            return true;
        }

        key = -1;
        return false;
    }

    /// <summary>
    /// Brings the index in step with the image files below <paramref name="folder"/> (recursively; label = parent
    /// folder name): new files are embedded and added; files whose size or time changed are hashed and, when the
    /// content differs, embedded again; indexed files below the folder that are gone are removed. Unchanged files are
    /// not embedded. Files that fail are reported, not added (a changed file that now fails is removed), and retried by
    /// the next sync. Nothing changes until every file has been embedded, so a cancelled sync leaves the index as it was.
    /// With a DeViSE head trained on views, new photos are embedded under every view. The indexes are compacted
    /// afterwards when their deleted vectors pass <see cref="ImageSearchEngineOptions.CompactionThreshold"/> of their
    /// live ones (cancelling then skips only the compaction, left to the next sync).
    /// Call <see cref="SaveAsync(string, CancellationToken)"/> afterwards to keep the result.
    /// </summary>
    /// <param name="folder">The photo folder.</param>
    /// <param name="progress">Told about each step; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the sync.</param>
    /// <returns>What changed and what failed.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public async Task<SyncReport> SyncFolderAsync(string folder, IProgress<SyncProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        if (!System.IO.Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"Photo folder '{root}' does not exist.");
        }

        await _write.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            EngineCatalog cat = _catalog;
            EngineDevise.State? devise = _devise;
            IEmbedder<ImageInput> embedder = devise is { UsesViews: true } ? RequireViews().Stacked : _embedder;
            var changes = await FolderSync.RunAsync(root, cat, embedder, Dimension, _options, progress, cancellationToken).ConfigureAwait(false);

            // Apply: new vectors under fresh keys first, then remove replaced and deleted ones.
            progress?.Report(new SyncProgress(SyncStage.Updating, 0, 1, changes.Failures.Count));
            int d = Dimension, rowLength = embedder.Dimension;
            if (changes.NewKeys.Length > 0)
            {
                float[] photoVectors = rowLength == d ? changes.NewVectors : FirstColumns(changes.NewVectors, changes.NewKeys.Length, rowLength, d);
                // Committing: not cancellable, so the indexes never disagree.
                _index.AddRange(changes.NewKeys, photoVectors, cancellationToken: CancellationToken.None);
            }

            if (devise is not null)
            {
                EngineDevise.Apply(devise, changes.NewKeys, changes.NewVectors, changes.Dropped);
            }

            var builder = cat.Photos.ToBuilder();
            for (int i = 0; i < changes.NewKeys.Length; i++)
            {
                builder[changes.NewKeys[i]] = changes.NewInfos[i];
            }

            foreach (long key in changes.Dropped)
            {
                _index.Remove(key);
                builder.Remove(key);
            }

            foreach (var (key, info) in changes.Touched)
            {
                builder[key] = info;
            }

            bool changed = changes.NewKeys.Length + changes.Dropped.Count > 0;
            _catalog = new EngineCatalog(builder.ToImmutable(), changes.NextKey, changed ? cat.Version + 1 : cat.Version);
            CompactIfNeeded(cancellationToken);
            progress?.Report(new SyncProgress(SyncStage.Updating, 1, 1, changes.Failures.Count));
            return new SyncReport(root, changes.Added, changes.Updated, changes.Removed, changes.Unchanged, changes.Failures);
        }
        finally
        {
            _write.Release();
        }
    }

    /// <summary>
    /// Saves the engine to <paramref name="directory"/>: index, payloads and DeViSE files first, each atomically and under
    /// names new to this save, then the manifest naming them, then the earlier saves' files are deleted: a crash leaves
    /// either the previous save or this one, whole (see <c>docs/reliability.md</c>). One process saves a folder at a time.
    /// </summary>
    /// <param name="directory">The folder (created when missing).</param>
    /// <param name="cancellationToken">Cancels between files.</param>
    /// <returns>A task that completes when everything is on disk.</returns>
    public async Task SaveAsync(string directory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        string full = Path.GetFullPath(directory);
        await _write.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            EngineCatalog cat = _catalog;

            // The folder-label classifier is kept only when it was trained on exactly these photos.
            var snapshot = new EngineFolder.Snapshot(ModelId, _model?.Source ?? ModelId, _index, cat, _devise, _classes.ForVersion(cat.Version), _words.Id);
            await EngineFolder.WriteAsync(full, snapshot, cancellationToken).ConfigureAwait(false);
            Directory = full;
        }
        finally
        {
            _write.Release();
        }
    }

    /// <summary>Saves to <see cref="Directory"/>.</summary>
    /// <param name="cancellationToken">Cancels between files.</param>
    /// <returns>A task that completes when everything is on disk.</returns>
    /// <exception cref="InvalidOperationException">The engine has no folder yet.</exception>
    public Task SaveAsync(CancellationToken cancellationToken = default)
        => SaveAsync(Directory ?? throw new InvalidOperationException("The engine has no folder yet: call SaveAsync(directory)."), cancellationToken);

    /// <summary>
    /// Photos that look like <paramref name="image"/> (the photo itself left out when it is an indexed file), optionally
    /// class-weighted: query and photos are multiplied element-wise by a class's classifier weights, so the search
    /// leans toward what that class looks for (see <see cref="FindClassAsync"/>).
    /// </summary>
    /// <param name="image">Any image (<see cref="ImageInput.FromFile"/>, bytes, a stream, ...).</param>
    /// <param name="k">How many photos; positive.</param>
    /// <param name="classWeights">A class's weights (<see cref="ClassChoice.Weights"/>), or empty for a plain search.</param>
    /// <param name="cancellationToken">Cancels embedding.</param>
    /// <returns>Hits nearest first, ranked from 1, with payloads.</returns>
    /// <exception cref="EmbeddingException">The image cannot be read.</exception>
    public async Task<IReadOnlyList<SearchHit<PhotoInfo>>> SimilarAsync(
        ImageInput image, int k = 10, ReadOnlyMemory<float> classWeights = default, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        ObjectDisposedException.ThrowIf(_disposed, this);
        EngineCatalog cat = _catalog;
        var query = new QueryBuilder(Dimension).Add(_embedder, image).Take(k);
        if (!classWeights.IsEmpty)
        {
            query.WithClassWeights(classWeights.Span);
        }

        if (image.FilePath is { } path && cat.ByPath.TryGetValue(Path.GetFullPath(path), out long self))
        {
            query.Where(key => key != self);
        }

        return Joined(await query.SearchAsync(_index, key => cat.Photos.GetValueOrDefault(key), cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// The classifier behind class-weighted search: MobileNetV2's 1000-class ImageNet head for the <c>mobilenetv2</c>
    /// model, otherwise a logistic regression trained (on first use, then kept until the photos change) on the index's
    /// vectors and folder labels. That classifier is saved with the engine and reloaded by open while the photos are
    /// unchanged.
    /// </summary>
    /// <param name="cancellationToken">Cancels before training.</param>
    /// <returns>The class weights.</returns>
    /// <exception cref="InvalidOperationException">No ImageNet head and fewer than two folder labels.</exception>
    public Task<ClassWeights> GetClassWeightsAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _classes.GetAsync(_catalog, _index, cancellationToken);
    }

    /// <summary>Finds a class of <see cref="GetClassWeightsAsync"/> by name (or part of one, ignoring case) or by index.</summary>
    /// <param name="nameOrIndex">A class name such as <c>cat</c> or <c>tabby</c>, or a class index such as <c>281</c>.</param>
    /// <param name="cancellationToken">Cancels before training.</param>
    /// <returns>The class and its weights.</returns>
    /// <exception cref="KeyNotFoundException">No class matches.</exception>
    public async Task<ClassChoice> FindClassAsync(string nameOrIndex, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrIndex);
        ClassWeights classes = await GetClassWeightsAsync(cancellationToken).ConfigureAwait(false);
        int index;
        if (int.TryParse(nameOrIndex, NumberStyles.None, CultureInfo.InvariantCulture, out int i))
        {
            if (i >= classes.ClassCount)
            {
                throw new KeyNotFoundException($"Class index {i} is out of range: there are {classes.ClassCount} classes (0 to {classes.ClassCount - 1}).");
            }

            index = i;
        }
        else if (!classes.TryFindClass(nameOrIndex, out index))
        {
            string known = classes.ClassCount <= 30 ? $": {string.Join(", ", classes.ClassNames)}" : $" (of {classes.ClassCount})";
            throw new KeyNotFoundException($"No class matches '{nameOrIndex}'{known}.");
        }

        return new ClassChoice(index, classes.ClassNames[index], classes.GetWeightsMemory(index), _classes.Source);
    }

    /// <summary>
    /// Trains a DeViSE head mapping the photos to the word vectors of their folder labels (via
    /// <paramref name="labelWords"/>, the general <see cref="LabelWordMap.Default"/> unless given), and indexes every photo in word space. Replaces
    /// any earlier head. When any photo has a description (<see cref="PhotoInfo.Description"/>) and
    /// <see cref="ImageSearchEngineOptions.TrainOnDescriptions"/> is on, each photo's target also holds its
    /// description's content words (<see cref="DescriptionTargets"/> with its default options, over all the photos'
    /// descriptions), photos with a description but no word label are trained too, and the loss is
    /// <see cref="DeviseLoss.WordSoftmax"/> over the label and description words unless <paramref name="options"/> are given. With an ONNX model and <see cref="ImageSearchEngineOptions.UseDeviseViews"/> (the default) it
    /// trains as the README's figures were measured: four views of every photo as samples (the first training embeds
    /// every photo under the three extra views), a tenth of the photos held out for early stopping, 20 epochs unless
    /// <paramref name="options"/> say otherwise; otherwise on the index's unit-length vectors (recorded in the head as
    /// <see cref="DeviseInputNormalization.L2"/>). Call <see cref="SaveAsync(string, CancellationToken)"/> to keep it.
    /// </summary>
    /// <param name="options">Training settings; <see langword="null"/> for the defaults above.</param>
    /// <param name="labelWords">Label-to-word mapping; <see langword="null"/> for <see cref="LabelWordMap.Default"/>.</param>
    /// <param name="progress">Told about each photo embedded under the extra views and each epoch; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels embedding and training.</param>
    /// <returns>The training history and the labels used.</returns>
    /// <exception cref="InvalidOperationException">Fewer than two labels have word vectors.</exception>
    /// <exception cref="FileNotFoundException"><see cref="ImageSearchEngineOptions.GloveDirectory"/> holds no GloVe.</exception>
    public async Task<DeviseTrainingSummary> TrainDeviseAsync(
        DeviseTrainingOptions? options = null, LabelWordMap? labelWords = null, IProgress<DeviseTrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        WordVectors words = await _words.GetAsync().ConfigureAwait(false);
        labelWords ??= LabelWordMap.Default;
        await _write.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            EngineViews? views = _options.UseDeviseViews ? _views.Value : null;
            var (state, summary) = await EngineDevise.TrainAsync(
                _catalog, _index, views, _devise, words, EngineWords.Fingerprint(words, _words.Id), options, labelWords, _options.TrainOnDescriptions, progress, cancellationToken).ConfigureAwait(false);
            _devise = state;
            return summary;
        }
        finally
        {
            _write.Release();
        }
    }

    /// <summary>
    /// Photos for one or more words (DeViSE): the words' vectors are composed with
    /// <see cref="WordVectors.Compose(IEnumerable{string}, TermCombination, UnknownWordPolicy)"/> (the library's one way to
    /// compose words) and the photos' DeViSE vectors searched by cosine. Any vocabulary word works, not only folder labels.
    /// </summary>
    /// <param name="words">The words (at least one).</param>
    /// <param name="k">How many photos; positive.</param>
    /// <param name="combination">Average (default) or sum; under cosine both rank alike.</param>
    /// <param name="cancellationToken">Cancels the search.</param>
    /// <returns>Hits nearest first, with payloads.</returns>
    /// <exception cref="InvalidOperationException">No DeViSE head has been trained, or the word vectors are not those it was trained with.</exception>
    /// <exception cref="UnknownWordException">A word is not in the vocabulary (all unknown ones are named).</exception>
    public async Task<IReadOnlyList<SearchHit<PhotoInfo>>> SearchWordsAsync(
        IReadOnlyList<string> words, int k = 10, TermCombination combination = TermCombination.Average, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        if (words.Count == 0)
        {
            throw new ArgumentException("At least one word is needed.", nameof(words));
        }

        EngineDevise.State devise = RequireDevise();
        WordVectors vectors = await _words.ForAsync(devise).ConfigureAwait(false);
        float[] query = vectors.Compose(words, combination);
        cancellationToken.ThrowIfCancellationRequested();
        EngineCatalog cat = _catalog;
        var hits = await new QueryBuilder(vectors.Dimension).Add(query).Take(k)
            .SearchAsync(devise.Index, key => cat.Photos.GetValueOrDefault(key), cancellationToken).ConfigureAwait(false);
        return Joined(hits);
    }

    /// <summary>
    /// Words for a photo (DeViSE): the photo through <see cref="DeviseEmbedder"/>, then <see cref="DeviseTagger"/> over
    /// the <see cref="ImageSearchEngineOptions.TagVocabulary"/> most frequent words (the library's one tag path).
    /// </summary>
    /// <param name="image">Any image.</param>
    /// <param name="k">How many words; positive.</param>
    /// <param name="cancellationToken">Cancels the search.</param>
    /// <returns>Words nearest first; <see cref="SearchHit{T}.Key"/> is the word's rank in the vocabulary.</returns>
    /// <exception cref="InvalidOperationException">No DeViSE head has been trained, or the word vectors are not those it was trained with.</exception>
    /// <exception cref="EmbeddingException">The image cannot be read.</exception>
    public async Task<IReadOnlyList<SearchHit<string>>> TagsAsync(ImageInput image, int k = 10, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        EngineDevise.State devise = RequireDevise();
        WordVectors vectors = await _words.ForAsync(devise).ConfigureAwait(false);
        float[] photo = await PhotoEmbedder(devise).EmbedAsync(image, cancellationToken).ConfigureAwait(false);
        ImageTags tags = _words.Tagger(vectors).Tag(photo, k);
        return tags.Tags.Select((t, i) => new SearchHit<string>(i + 1, t.WordIndex, t.CosineDistance, t.Word)).ToArray();
    }

    /// <summary>
    /// The word vectors DeViSE uses: <see cref="ImageSearchEngineOptions.Words"/>, or the GloVe in
    /// <see cref="ImageSearchEngineOptions.GloveDirectory"/> loaded on first call. A failed load is not remembered: the
    /// next call tries again (for example after <see cref="Glove.DownloadAsync"/>).
    /// </summary>
    /// <returns>The word vectors.</returns>
    /// <exception cref="FileNotFoundException"><see cref="ImageSearchEngineOptions.GloveDirectory"/> holds no GloVe (see <see cref="Glove.DownloadAsync"/>).</exception>
    /// <exception cref="InvalidOperationException">The options give neither words nor a GloVe folder.</exception>
    public Task<WordVectors> GetWordsAsync() => _words.GetAsync();

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_views.IsValueCreated)
        {
            _views.Value?.Dispose();
        }

        if (_ownsEmbedder && _embedder is IDisposable d)
        {
            d.Dispose();
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private static void CheckOptions(ImageSearchEngineOptions options)
    {
        if (!(options.CompactionThreshold >= 0) || double.IsInfinity(options.CompactionThreshold))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.CompactionThreshold, "CompactionThreshold must be a finite share, 0 or more.");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.TagVocabulary, nameof(options));
    }

    private static IVectorIndex NewIndex(ImageSearchEngineOptions options, int dimension)
    {
        var index = (options.IndexFactory ?? ImageSearchEngineOptions.DefaultIndex)(dimension);
        if (index.Dimension != dimension || index.Metric != DistanceMetric.Cosine || index.Count != 0)
        {
            throw new ArgumentException($"The index factory must return an empty {dimension}-d cosine index.", nameof(options));
        }

        return index;
    }

    private static async Task<ImageSearchEngine> OpenCoreAsync(
        string full, EngineManifest manifest, IEmbedder<ImageInput> embedder, bool owns, string modelId, ImageModelSpec? model,
        ImageSearchEngineOptions options, CancellationToken cancellationToken)
    {
        CheckOptions(options);
        if (manifest.ModelId != modelId || manifest.Dimension != embedder.Dimension)
        {
            throw new IndexModelMismatchException(full, manifest.ModelId, manifest.Dimension, modelId, embedder.Dimension);
        }

        var contents = await EngineFolder.ReadAsync(full, manifest, cancellationToken).ConfigureAwait(false);
        if (contents.Devise is { } devise)
        {
            if (devise.UsesViews && embedder is not OnnxImageEmbedder)
            {
                throw new ArgumentException($"The DeViSE head in '{full}' was trained on {devise.Views.Count} views of each photo, which needs an OnnxImageEmbedder; this embedder is a {embedder.GetType().Name}.", nameof(embedder));
            }

            // Word vectors given now are checked now; GloVe loaded later is checked when it is loaded.
            if (options.Words is { } given && new EngineWords(options).Mismatch(devise, given) is { } problem)
            {
                throw new ArgumentException(problem, nameof(options));
            }
        }

        return new ImageSearchEngine(embedder, owns, modelId, model, options, full, contents);
    }

    private static IReadOnlyList<SearchHit<PhotoInfo>> Joined(IReadOnlyList<SearchHit<PhotoInfo?>> hits)
    {
        // A hit without a payload was added by a sync that has not published its catalog yet: leave it out.
        var list = new List<SearchHit<PhotoInfo>>(hits.Count);
        foreach (var h in hits)
        {
            if (h.Payload is not null)
            {
                list.Add(new SearchHit<PhotoInfo>(list.Count + 1, h.Key, h.Distance, h.Payload));
            }
        }

        return list;
    }

    private static float[] FirstColumns(float[] rows, int count, int rowLength, int d)
    {
        var r = new float[count * d];
        for (int i = 0; i < count; i++)
        {
            rows.AsSpan(i * rowLength, d).CopyTo(r.AsSpan(i * d));
        }

        return r;
    }

    // Removed and changed photos leave deleted vectors (HNSW tombstones keep routing searches and cost memory):
    // compacting once they pass the threshold keeps them bounded. A cancelled compaction is left to the next sync.
    private void CompactIfNeeded(CancellationToken cancellationToken)
    {
        IEnumerable<IVectorIndex?> indexes = [_index, _devise?.Index, _devise?.Features];
        foreach (IVectorIndex? index in indexes)
        {
            if (index is { DeletedCount: > 0 } && index.DeletedCount > _options.CompactionThreshold * index.Count)
            {
                try
                {
                    index.Compact(null, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private DeviseEmbedder PhotoEmbedder(EngineDevise.State devise)
        => new(devise.UsesViews ? RequireViews().Averaged : _embedder, devise.Head);

    private EngineViews RequireViews()
        => _views.Value ?? throw new InvalidOperationException("The DeViSE head uses views, which need an OnnxImageEmbedder.");

    private EngineDevise.State RequireDevise()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _devise ?? throw new InvalidOperationException("This index has no DeViSE head yet: train one first (TrainDeviseAsync).");
    }
}
