using System.Collections.Immutable;
using System.Globalization;
using System.Numerics.Tensors;
using System.Security.Cryptography;

namespace ImageSearch;

/// <summary>
/// A photo collection ready to search: an image embedder, a cosine index of the photos' vectors, the photos' payloads
/// (path, folder label, size, time, content hash) and, once trained, a DeViSE head with an index of the photos in word
/// space. Saved to and opened from one folder; <see cref="SyncFolderAsync"/> keeps it in step with a folder of photos,
/// embedding only new and changed files.
/// </summary>
/// <remarks>
/// <para>Thread-safety: every member may be called from several threads. Searches run concurrently with each other
/// and with a sync; a search sees each photo either before or after a sync's change, never a hit without its payload.
/// <see cref="SyncFolderAsync"/>, <see cref="TrainDeviseAsync"/> and <see cref="SaveAsync(string, CancellationToken)"/>
/// are serialised by an internal lock (one runs at a time).</para>
/// <para>Folder layout: <c>manifest.json</c> (format and versions, model id and dimension, written last),
/// <c>photos.isindex</c> (the core index format), <c>photos.catalog</c> (payloads, SHA-256 checked), optionally
/// <c>classes.json</c> (the folder-label classifier, SHA-256 checked) and, after DeViSE training, <c>devise.head</c> and
/// <c>devise.isindex</c>. Every file is written atomically.</para>
/// </remarks>
public sealed class ImageSearchEngine : IDisposable, IAsyncDisposable
{
    private const string WordsId = "glove-6b-100d";

    private readonly IEmbedder<ImageInput> _embedder;
    private readonly bool _ownsEmbedder;
    private readonly ImageModelSpec? _model;
    private readonly ImageSearchEngineOptions _options;
    private readonly IVectorIndex _index;
    private readonly SemaphoreSlim _write = new(1, 1);
    private readonly Lazy<Task<WordVectors>> _words;
    private readonly Lazy<Task<ExactIndex>> _tagIndex;
    private volatile Catalog _catalog;
    private volatile DeviseState? _devise;
    private volatile Tuple<long, ClassWeights>? _folderClasses; // (catalog version it was trained on, classifier)
    private ClassWeights? _imageNetClasses;
    private volatile bool _disposed;

    private ImageSearchEngine(
        IEmbedder<ImageInput> embedder, bool ownsEmbedder, string modelId, ImageModelSpec? model, IVectorIndex index,
        Catalog catalog, DeviseState? devise, ImageSearchEngineOptions options, string? directory)
    {
        _embedder = embedder;
        _ownsEmbedder = ownsEmbedder;
        _model = model;
        _options = options;
        _index = index;
        _catalog = catalog;
        _devise = devise;
        ModelId = modelId;
        Directory = directory;
        _words = new(() => options.Words is not null ? Task.FromResult(options.Words)
            : options.GloveDirectory is not null ? Glove.OpenAsync(options.GloveDirectory)
            : Task.FromException<WordVectors>(new InvalidOperationException(
                "This engine has no word vectors: set ImageSearchEngineOptions.Words, or ImageSearchEngineOptions.GloveDirectory (see Glove.DownloadAsync).")));
        _tagIndex = new(() => BuildTagIndexAsync());
    }

    /// <summary>The image model's id (see <see cref="ImageModelSpec.Id"/>), recorded in the saved folder.</summary>
    public string ModelId { get; }

    /// <summary>Dimension of the image vectors.</summary>
    public int Dimension => _embedder.Dimension;

    /// <summary>The image embedder.</summary>
    public IEmbedder<ImageInput> Embedder => _embedder;

    /// <summary>The photo index (keys are the engine's photo keys). Do not add or remove through it.</summary>
    public IVectorIndex Index => _index;

    /// <summary>The folder the engine was last opened from or saved to, or <see langword="null"/>.</summary>
    public string? Directory { get; private set; }

    /// <summary>Number of indexed photos.</summary>
    public int Count => _catalog.Photos.Count;

    /// <summary>A snapshot of the indexed photos by key.</summary>
    public IReadOnlyDictionary<long, PhotoInfo> Photos => _catalog.Photos;

    /// <summary>The distinct folder labels of the indexed photos, sorted ordinally.</summary>
    public IReadOnlyList<string> Labels => _catalog.Photos.Values.Select(p => p.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

    /// <summary>Whether a DeViSE head has been trained (or loaded), enabling <see cref="SearchWordsAsync"/> and <see cref="TagsAsync"/>.</summary>
    public bool HasDevise => _devise is not null;

    /// <summary>The DeViSE head, or <see langword="null"/>.</summary>
    public DeviseHead? DeviseHead => _devise?.Head;

    /// <summary>The index of DeViSE photo vectors (same keys as <see cref="Index"/>), or <see langword="null"/>.</summary>
    public IVectorIndex? DeviseIndex => _devise?.Index;

    /// <summary>Creates an empty engine for a built-in or file model (the model is loaded now).</summary>
    /// <param name="model">The image model.</param>
    /// <param name="options">Settings; <see langword="null"/> for defaults.</param>
    /// <returns>A new engine that owns the embedder.</returns>
    /// <exception cref="FileNotFoundException">The model files are missing.</exception>
    public static ImageSearchEngine Create(ImageModelSpec model, ImageSearchEngineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new ImageSearchEngineOptions();
        var embedder = model.CreateEmbedder(options.EmbedderOptions);
        try
        {
            return new ImageSearchEngine(embedder, true, model.Id, model, NewIndex(options, embedder.Dimension), Catalog.Empty, null, options, null);
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
        return new ImageSearchEngine(embedder, false, modelId, null, NewIndex(options, embedder.Dimension), Catalog.Empty, null, options, null);
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
    public static async Task<ImageSearchEngine> OpenAsync(string directory, ImageModelSpec model, ImageSearchEngineOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentNullException.ThrowIfNull(model);
        options ??= new ImageSearchEngineOptions();
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
            Catalog cat = _catalog;
            var failures = new List<SyncFailure>();

            // 1. Scan: compare each file's size and time with the catalog.
            var extensions = new HashSet<string>(_options.Extensions, StringComparer.OrdinalIgnoreCase);
            var files = System.IO.Directory.EnumerateFiles(root, "*", new EnumerationOptions
            {
                RecurseSubdirectories = true,
                IgnoreInaccessible = true,
                AttributesToSkip = FileAttributes.Hidden | FileAttributes.System,
            }).Where(f => extensions.Contains(Path.GetExtension(f))).Order(StringComparer.Ordinal).ToList();
            var seen = new HashSet<string>(files, StringComparer.Ordinal);
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
            var touched = new List<(long Key, PhotoInfo Info)>();
            var toEmbed = new List<(string Path, long? OldKey, PhotoInfo Info)>();
            var dropKeys = new List<long>();
            for (int i = 0; i < candidates.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (path, oldKey, size, time) = candidates[i];
                string? hash = null;
                if (_options.HashContent)
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
                            dropKeys.Add(k);
                        }

                        continue;
                    }
                }

                var info = new PhotoInfo(path, LabelOf(path), size, time, hash);
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
            var deleted = cat.Photos.Where(p => p.Value.Path.StartsWith(prefix, StringComparison.Ordinal) && !seen.Contains(p.Value.Path)).Select(p => p.Key).ToList();

            // 3. Embed the new and changed files.
            IReadOnlyList<EmbeddingResult> results = [];
            if (toEmbed.Count > 0)
            {
                var embedProgress = progress is null ? null : new InlineProgress<EmbeddingProgress>(p => progress.Report(new SyncProgress(SyncStage.Embedding, p.Completed, p.Total, p.Failed)));
                results = await _embedder.EmbedBatchAsync(toEmbed.Select(t => ImageInput.FromFile(t.Path)).ToArray(), embedProgress, cancellationToken).ConfigureAwait(false);
                if (results.Count != toEmbed.Count)
                {
                    throw new InvalidOperationException($"The embedder returned {results.Count} results for {toEmbed.Count} inputs.");
                }
            }

            // 4. Apply: add new vectors under fresh keys, then remove replaced and deleted ones.
            int d = Dimension;
            long nextKey = cat.NextKey;
            var newKeys = new List<long>();
            var newVectors = new List<float>(toEmbed.Count * d);
            var builder = cat.Photos.ToBuilder();
            int added = 0, updated = 0;
            foreach (var r in results)
            {
                var (path, oldKey, info) = toEmbed[r.Index];
                string? problem = r.Vector is null ? (r.Error?.Message ?? "embedding failed") : Check(r.Vector, d);
                if (problem is not null)
                {
                    failures.Add(new SyncFailure(path, problem, r.Error ?? new EmbeddingException(problem)));
                    if (oldKey is long k)
                    {
                        dropKeys.Add(k);
                    }

                    continue;
                }

                if (oldKey is long replaced)
                {
                    dropKeys.Add(replaced);
                    updated++;
                }
                else
                {
                    added++;
                }

                long key = nextKey++;
                newKeys.Add(key);
                newVectors.AddRange(r.Vector!);
                builder[key] = info;
            }

            progress?.Report(new SyncProgress(SyncStage.Updating, 0, 1, failures.Count));
            DeviseState? devise = _devise;
            float[]? deviseVectors = null;
            if (devise is not null && newKeys.Count > 0)
            {
                // The head was trained on unit-length features (what the cosine index stores).
                float[] unit = newVectors.ToArray();
                for (int i = 0; i < newKeys.Count; i++)
                {
                    Span<float> row = unit.AsSpan(i * d, d);
                    TensorPrimitives.Divide(row, TensorPrimitives.Norm(row), row);
                }

                deviseVectors = new float[newKeys.Count * devise.Head.OutputDimension];
                devise.Head.EmbedBatch(unit, newKeys.Count, deviseVectors);
            }

            if (newKeys.Count > 0)
            {
                // Committing: not cancellable, so the two indexes never disagree.
                _index.AddRange(newKeys.ToArray(), newVectors.ToArray(), cancellationToken: CancellationToken.None);
                devise?.Index.AddRange(newKeys.ToArray(), deviseVectors!, cancellationToken: CancellationToken.None);
            }

            dropKeys.AddRange(deleted);
            foreach (long key in dropKeys)
            {
                _index.Remove(key);
                devise?.Index.Remove(key);
                builder.Remove(key);
            }

            foreach (var (key, info) in touched)
            {
                builder[key] = info;
            }

            _catalog = new Catalog(builder.ToImmutable(), nextKey, newKeys.Count + dropKeys.Count > 0 ? cat.Version + 1 : cat.Version);
            progress?.Report(new SyncProgress(SyncStage.Updating, 1, 1, failures.Count));
            int removed = dropKeys.Count - updated;
            return new SyncReport(root, added, updated, removed, unchanged, failures);
        }
        finally
        {
            _write.Release();
        }
    }

    /// <summary>
    /// Saves the engine to <paramref name="directory"/>: index, payloads and DeViSE files first (each atomically), the
    /// manifest last, so a crash never leaves a manifest naming half-written files.
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
            System.IO.Directory.CreateDirectory(full);
            Catalog cat = _catalog;
            DeviseState? devise = _devise;
            await Task.Run(() => _index.Save(Path.Combine(full, EngineManifest.IndexFileName)), cancellationToken).ConfigureAwait(false);
            await Task.Run(() => IndexFile.SaveAtomic(Path.Combine(full, EngineManifest.CatalogFileName), s => PhotoCatalog.Write(s, cat.NextKey, cat.Photos)), cancellationToken).ConfigureAwait(false);
            if (devise is not null)
            {
                await Task.Run(() => devise.Head.Save(Path.Combine(full, EngineManifest.DeviseHeadFileName)), cancellationToken).ConfigureAwait(false);
                await Task.Run(() => devise.Index.Save(Path.Combine(full, EngineManifest.DeviseIndexFileName)), cancellationToken).ConfigureAwait(false);
            }

            // The folder-label classifier is kept only when it was trained on exactly these photos.
            bool saveClasses = _folderClasses is { } fc && fc.Item1 == cat.Version;
            if (saveClasses)
            {
                ClassWeights classes = _folderClasses!.Item2;
                await Task.Run(() => IndexFile.SaveAtomic(Path.Combine(full, EngineManifest.ClassesFileName), s => ClassWeightsFile.Write(s, classes)), cancellationToken).ConfigureAwait(false);
            }

            var manifest = new EngineManifest
            {
                Classes = saveClasses ? EngineManifest.ClassesFileName : null,
                ModelId = ModelId,
                ModelSource = _model?.Source ?? ModelId,
                Dimension = Dimension,
                Metric = _index.Metric.ToString(),
                IndexType = _index.GetType().Name,
                IndexFormatVersion = IndexFile.FormatVersion,
                Index = EngineManifest.IndexFileName,
                Catalog = EngineManifest.CatalogFileName,
                Count = cat.Photos.Count,
                Devise = devise is null ? null : new EngineManifest.DeviseManifest(
                    EngineManifest.DeviseHeadFileName, EngineManifest.DeviseIndexFileName, WordsId, devise.Head.OutputDimension, devise.Labels),
            };
            await Task.Run(() => IndexFile.SaveAtomic(Path.Combine(full, EngineManifest.FileName), s => s.Write(manifest.ToUtf8())), cancellationToken).ConfigureAwait(false);
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
        Catalog cat = _catalog;
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
    public async Task<ClassWeights> GetClassWeightsAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_model?.HasImageNetHead == true)
        {
            if (_imageNetClasses is null)
            {
                _imageNetClasses = await Task.Run(OnnxClassifierHead.MobileNetV2, cancellationToken).ConfigureAwait(false);
            }

            return _imageNetClasses;
        }

        Catalog cat = _catalog;
        if (_folderClasses is { } cached && cached.Item1 == cat.Version)
        {
            return cached.Item2;
        }

        string[] names = cat.Photos.Values.Select(p => p.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (names.Length < 2)
        {
            throw new InvalidOperationException($"Class weighting needs photos in at least two folders (labels); this index has {names.Length}.");
        }

        var weights = await Task.Run(
            () =>
            {
                var (keys, features) = Features(cat);
                var byName = names.Select((n, i) => (n, i)).ToDictionary(t => t.n, t => t.i, StringComparer.Ordinal);
                var labels = keys.Select(key => byName[cat.Photos[key].Label]).ToArray();
                return LogisticRegressionHead.Train(features, Dimension, labels, names);
            },
            cancellationToken).ConfigureAwait(false);
        _folderClasses = Tuple.Create(cat.Version, weights);
        return weights;
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

        return new ClassChoice(index, classes.ClassNames[index], classes.GetWeightsMemory(index), _model?.HasImageNetHead == true ? "imagenet" : "folder labels");
    }

    /// <summary>
    /// Trains a DeViSE head mapping the index's image vectors to the word vectors of their folder labels (via
    /// <paramref name="labelWords"/>, the general <see cref="LabelWordMap.Default"/> unless given), and indexes every photo in word space. Replaces
    /// any earlier head. Call <see cref="SaveAsync(string, CancellationToken)"/> to keep it.
    /// </summary>
    /// <param name="options">Training settings; <see langword="null"/> for the defaults.</param>
    /// <param name="labelWords">Label-to-word mapping; <see langword="null"/> for <see cref="LabelWordMap.Default"/>.</param>
    /// <param name="cancellationToken">Cancels training.</param>
    /// <returns>The training history and the labels used.</returns>
    /// <exception cref="InvalidOperationException">Fewer than two labels have word vectors.</exception>
    /// <exception cref="FileNotFoundException">No word vectors were given and GloVe has not been fetched.</exception>
    public async Task<DeviseTrainingSummary> TrainDeviseAsync(DeviseTrainingOptions? options = null, LabelWordMap? labelWords = null, CancellationToken cancellationToken = default)
    {
        WordVectors words = await _words.Value.ConfigureAwait(false);
        labelWords ??= LabelWordMap.Default;
        await _write.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Catalog cat = _catalog;
            var mapped = new Dictionary<string, MappedLabel>(StringComparer.Ordinal);
            var unmapped = new List<string>();
            foreach (string label in cat.Photos.Values.Select(p => p.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
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

            if (mapped.Count < 2)
            {
                throw new InvalidOperationException(
                    $"DeViSE training needs photos in at least two folders whose names are words; {mapped.Count} of the {mapped.Count + unmapped.Count} folder labels have word vectors.");
            }

            int d = Dimension, wd = words.Dimension;
            var (keys, features) = Features(cat);
            var trainRows = new List<int>();
            for (int i = 0; i < keys.Length; i++)
            {
                if (mapped.ContainsKey(cat.Photos[keys[i]].Label))
                {
                    trainRows.Add(i);
                }
            }

            var x = new float[trainRows.Count * d];
            var t = new float[trainRows.Count * wd];
            for (int r = 0; r < trainRows.Count; r++)
            {
                int i = trainRows[r];
                features.AsSpan(i * d, d).CopyTo(x.AsSpan(r * d));
                mapped[cat.Photos[keys[i]].Label].Vector.CopyTo(t.AsSpan(r * wd));
            }

            var trainer = new DeviseTrainer(options);
            DeviseTrainingResult result = await Task.Run(() => trainer.Train(x, t, d, wd, cancellationToken), cancellationToken).ConfigureAwait(false);
            ExactIndex photos = DevisePhotoSearch.BuildIndex(result.Head, features, keys);
            var labels = mapped.ToDictionary(m => m.Key, m => m.Value.Words.ToArray(), StringComparer.Ordinal);
            _devise = new DeviseState(result.Head, photos, labels);
            return new DeviseTrainingSummary(result.History, mapped.Values.ToArray(), unmapped, trainRows.Count);
        }
        finally
        {
            _write.Release();
        }
    }

    /// <summary>
    /// Photos for one or more words (DeViSE): the words' vectors are combined (average by default) and the photos'
    /// DeViSE vectors searched by cosine. Any vocabulary word works, not only folder labels.
    /// </summary>
    /// <param name="words">The words (at least one).</param>
    /// <param name="k">How many photos; positive.</param>
    /// <param name="combination">Average (default) or sum; under cosine both rank alike.</param>
    /// <param name="cancellationToken">Cancels the search.</param>
    /// <returns>Hits nearest first, with payloads.</returns>
    /// <exception cref="InvalidOperationException">No DeViSE head has been trained.</exception>
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

        DeviseState devise = RequireDevise();
        WordVectors vectors = await WordsForAsync(devise).ConfigureAwait(false);
        var unknown = words.Where(w => !vectors.Contains(w)).ToArray();
        if (unknown.Length > 0)
        {
            throw new UnknownWordException(unknown, vectors.Count);
        }

        Catalog cat = _catalog;
        var hits = await new QueryBuilder(vectors.Dimension)
            .AddRange(new WordEmbedder(vectors), words)
            .Combine(combination)
            .Take(k)
            .SearchAsync(devise.Index, key => cat.Photos.GetValueOrDefault(key), cancellationToken).ConfigureAwait(false);
        return Joined(hits);
    }

    /// <summary>Words for a photo (DeViSE): the nearest of the most frequent words to the photo's DeViSE vector.</summary>
    /// <param name="image">Any image.</param>
    /// <param name="k">How many words; positive.</param>
    /// <param name="cancellationToken">Cancels the search.</param>
    /// <returns>Words nearest first; <see cref="SearchHit{T}.Key"/> is the word's rank in the vocabulary.</returns>
    /// <exception cref="InvalidOperationException">No DeViSE head has been trained.</exception>
    /// <exception cref="EmbeddingException">The image cannot be read.</exception>
    public async Task<IReadOnlyList<SearchHit<string>>> TagsAsync(ImageInput image, int k = 10, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        DeviseState devise = RequireDevise();
        WordVectors vectors = await WordsForAsync(devise).ConfigureAwait(false);
        ExactIndex tags = await _tagIndex.Value.ConfigureAwait(false);
        var photo = new DeviseEmbedder(new NormalizingEmbedder(_embedder), devise.Head);
        return await new QueryBuilder(vectors.Dimension)
            .Add(photo, image)
            .Take(k)
            .SearchAsync(tags, key => vectors.Words[(int)key], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The word vectors DeViSE uses (loading the fetched GloVe on first call unless given in the options).</summary>
    /// <returns>The word vectors.</returns>
    /// <exception cref="FileNotFoundException"><see cref="ImageSearchEngineOptions.GloveDirectory"/> holds no GloVe (see <see cref="Glove.DownloadAsync"/>).</exception>
    /// <exception cref="InvalidOperationException">The options give neither words nor a GloVe folder.</exception>
    public Task<WordVectors> GetWordsAsync() => _words.Value;

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
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
        if (manifest.ModelId != modelId || manifest.Dimension != embedder.Dimension)
        {
            throw new IndexModelMismatchException(full, manifest.ModelId, manifest.Dimension, modelId, embedder.Dimension);
        }

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

            photos[e.Key] = new PhotoInfo(e.Path, e.Label, e.Size, e.LastWriteUtc, e.Hash);
        }

        if (photos.Count != index.Count)
        {
            throw new InvalidDataException($"'{full}': the index holds {index.Count} photos but the payload file {photos.Count}.");
        }

        DeviseState? devise = null;
        if (manifest.Devise is { } dm)
        {
            DeviseHead head = await Task.Run(() => DeviseHead.Load(Path.Combine(full, dm.Head)), cancellationToken).ConfigureAwait(false);
            IVectorIndex deviseIndex = await Task.Run(() => VectorIndex.Load(Path.Combine(full, dm.Index)), cancellationToken).ConfigureAwait(false);
            if (head.InputDimension != manifest.Dimension || deviseIndex.Dimension != head.OutputDimension || deviseIndex.Count != photos.Count)
            {
                throw new InvalidDataException($"'{full}': the DeViSE files do not match the index (re-run train-devise).");
            }

            devise = new DeviseState(head, deviseIndex, dm.Labels);
        }

        var catalog = new Catalog(photos.ToImmutable(), doc.NextKey, 0);
        ClassWeights? folderClasses = manifest.Classes is null ? null
            : await Task.Run(() => ClassWeightsFile.Read(Path.Combine(full, manifest.Classes), manifest.Dimension), cancellationToken).ConfigureAwait(false);
        return new ImageSearchEngine(embedder, owns, modelId, model, index, catalog, devise, options, full)
        {
            _folderClasses = folderClasses is null ? null : Tuple.Create(catalog.Version, folderClasses),
        };
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

    private static string? Check(float[] vector, int dimension)
    {
        if (vector.Length != dimension)
        {
            return $"the embedder returned {vector.Length} elements, not {dimension}";
        }

        if (!TensorPrimitives.IsFiniteAll<float>(vector))
        {
            return "the embedder returned a NaN or infinite element";
        }

        return TensorPrimitives.MaxMagnitude(vector) == 0 ? "the embedder returned a zero vector" : null;
    }

    private static string LabelOf(string path) => Path.GetFileName(Path.GetDirectoryName(path)) ?? "";

    private static async Task<string> HashFileAsync(string path, CancellationToken cancellationToken)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
    }

    // Unit-length features of every photo, in key order (what the cosine index stores).
    private (long[] Keys, float[] Features) Features(Catalog cat)
    {
        long[] keys = cat.Photos.Keys.Order().ToArray();
        int d = Dimension;
        var features = new float[keys.Length * d];
        for (int i = 0; i < keys.Length; i++)
        {
            Span<float> row = features.AsSpan(i * d, d);
            if (!_index.TryGetVector(keys[i], row))
            {
                throw new InvalidOperationException($"Photo key {keys[i]} is missing from the index.");
            }

            float norm = TensorPrimitives.Norm(row);
            if (norm > 0)
            {
                TensorPrimitives.Divide(row, norm, row);
            }
        }

        return (keys, features);
    }

    private DeviseState RequireDevise()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _devise ?? throw new InvalidOperationException("This index has no DeViSE head yet: train one first (TrainDeviseAsync).");
    }

    private async Task<WordVectors> WordsForAsync(DeviseState devise)
    {
        WordVectors words = await _words.Value.ConfigureAwait(false);
        if (words.Dimension != devise.Head.OutputDimension)
        {
            throw new InvalidOperationException($"The DeViSE head outputs {devise.Head.OutputDimension}-d vectors but the word vectors are {words.Dimension}-d.");
        }

        return words;
    }

    private async Task<ExactIndex> BuildTagIndexAsync()
    {
        WordVectors words = await _words.Value.ConfigureAwait(false);
        return await Task.Run(() =>
        {
            // Only alphabetic words: GloVe's most frequent tokens include punctuation and numbers.
            int n = Math.Min(_options.TagVocabulary, words.Count), d = words.Dimension;
            var keys = new List<long>(n);
            var vectors = new float[n * d];
            for (int r = 0; r < n; r++)
            {
                string w = words.Words[r];
                ReadOnlySpan<float> v = words.GetVector(r);
                if (w.Length < 2 || !w.All(char.IsLetter) || TensorPrimitives.MaxMagnitude(v) == 0)
                {
                    continue;
                }

                v.CopyTo(vectors.AsSpan(keys.Count * d));
                keys.Add(r);
            }

            var index = new ExactIndex(d, DistanceMetric.Cosine);
            index.AddRange(keys.ToArray(), vectors.AsSpan(0, keys.Count * d));
            return index;
        }).ConfigureAwait(false);
    }

    // Version counts changes to the set of vectors (not re-stamped times), so derived models know when they are stale.
    private sealed class Catalog(ImmutableDictionary<long, PhotoInfo> photos, long nextKey, long version)
    {
        public static readonly Catalog Empty = new(ImmutableDictionary<long, PhotoInfo>.Empty, 0, 0);

        public long Version { get; } = version;

        public ImmutableDictionary<long, PhotoInfo> Photos { get; } = photos;

        public ImmutableDictionary<string, long> ByPath { get; } = photos.ToImmutableDictionary(p => p.Value.Path, p => p.Key, StringComparer.Ordinal);

        public long NextKey { get; } = nextKey;
    }

    // Reports on the reporting thread (Progress<T> would post to the thread pool, out of order).
    private sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    private sealed record DeviseState(DeviseHead Head, IVectorIndex Index, IReadOnlyDictionary<string, string[]> Labels);
}
