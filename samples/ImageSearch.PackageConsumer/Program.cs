// A package user's first app: indexes a folder of photos (one sub-folder per label) and searches it by photo, by class
// and by words, using only what the packages' READMEs show. Prints each result and exits 1 if a check fails.
// usage: ImageSearch.PackageConsumer <photos folder> <work folder> <GloVe folder>
using ImageSearch;

if (args.Length != 3)
{
    Console.Error.WriteLine("usage: ImageSearch.PackageConsumer <photos folder> <work folder> <GloVe folder>");
    return 2;
}

string photosFolder = Path.GetFullPath(args[0]);
string work = Path.GetFullPath(args[1]);
string gloveFolder = Path.GetFullPath(args[2]);
var failed = new List<string>();

string[] photos = Directory.GetFiles(photosFolder, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
Check(photos.Length >= 40, $"{photos.Length} photos in {photosFolder}");

// By photo: MobileNetV2 embeddings in an exact cosine index; keys are indexes into photos.
using var embedder = new OnnxImageEmbedder(ImageModels.MobileNetV2());   // bundled in the package
var index = new ExactIndex(embedder.Dimension, DistanceMetric.Cosine);
IReadOnlyList<EmbeddingResult> embedded = await embedder.EmbedBatchAsync(photos.Select(ImageInput.FromFile).ToArray());
foreach (EmbeddingResult r in embedded)
{
    if (r.Succeeded) index.Add(r.Index, r.Vector);
    else Console.Error.WriteLine(r.Error!.Message);
}

Check(index.Count == photos.Length, $"indexed {index.Count} of {photos.Length} photos");

string dogPhoto = photos.First(p => Label(p) == "dog");
SearchResult[] alike = index.Search(await embedder.EmbedAsync(ImageInput.FromFile(dogPhoto)), k: 5);
Print($"look-alikes of {Name(dogPhoto)}", alike.Select(r => (r.Distance, Name(photos[r.Key]))));
Check(alike[0].Key == Array.IndexOf(photos, dogPhoto) && alike[0].Distance < 1e-4f, "the top look-alike of a photo is itself");

// By class: searches leaning toward an ImageNet class (MobileNetV2's own head) find more photos of that class, here
// from every tenth photo of the other folders.
ClassWeights imageNet = OnnxClassifierHead.MobileNetV2();
foreach (var (imageNetClass, folder) in new[] { ("airliner", "aeroplane"), ("sports car", "car") })
{
    var leaning = new SearchOptions { ElementWeights = imageNet.GetWeights(imageNetClass) };
    float[][] queries = embedded.Where(r => r.Succeeded && Label(photos[r.Index]) != folder).Where((_, i) => i % 10 == 0).Select(r => r.Vector!).ToArray();
    int plain = queries.Sum(q => index.Search(q, k: 10).Count(r => Label(photos[r.Key]) == folder));
    int leaned = queries.Sum(q => index.Search(q, k: 10, leaning).Count(r => Label(photos[r.Key]) == folder));
    Check(leaned > plain, $"{folder} photos in the top 10 of {queries.Length} other photos: {plain} plain, {leaned} leaning toward '{imageNetClass}'");
}

Print($"look-alikes of {Name(dogPhoto)}, leaning toward 'tabby cat'",
    index.Search(await embedder.EmbedAsync(ImageInput.FromFile(dogPhoto)), k: 5, new SearchOptions { ElementWeights = imageNet.GetWeights("tabby cat") })
        .Select(r => (r.Distance, Name(photos[r.Key]))));

// By words: GloVe, then the engine (folder sync, DeViSE trained on the folder labels, photos for a word).
WordVectors glove = await Glove.OpenOrDownloadAsync(gloveFolder);   // downloads GloVe there unless it is there already
WordNeighbour[] near = glove.NearestWords("king", k: 5);
Print("words nearest 'king'", near.Select(n => (n.CosineDistance, n.Word)));
Check(near.Any(n => n.Word == "queen"), "'queen' is among the 5 words nearest 'king'");

await using var engine = await ImageSearchEngine.OpenOrCreateAsync(
    Path.Combine(work, "photos.idx"), ImageModelSpec.MobileNetV2, new ImageSearchEngineOptions { Words = glove });
SyncReport sync = await engine.SyncFolderAsync(photosFolder);
Check(sync.Failures.Count == 0 && engine.Count == photos.Length, $"engine indexed {engine.Count} photos ({sync.Added} added, {sync.Failures.Count} failed)");
await engine.TrainDeviseAsync();
await engine.SaveAsync();

var dogs = await engine.SearchWordsAsync(["dog"], k: 5);
Print("photos for the word 'dog'", dogs.Select(h => (h.Distance, Name(h.Payload.Path))));
Check(dogs.Count(h => h.Payload.Label == "dog") >= 3, "at least 3 of the top 5 photos for 'dog' are dogs");

var tags = await engine.TagsAsync(ImageInput.FromFile(dogPhoto), k: 5);
Print($"words for {Name(dogPhoto)}", tags.Select(h => (h.Distance, h.Payload)));
Check(tags.Count == 5, "5 words for a photo");

Console.WriteLine(failed.Count == 0 ? "all checks passed" : $"{failed.Count} check(s) failed: {string.Join("; ", failed)}");
return failed.Count == 0 ? 0 : 1;

void Check(bool ok, string what)
{
    Console.WriteLine($"{(ok ? "ok  " : "FAIL")} {what}");
    if (!ok) failed.Add(what);
}

static void Print(string title, IEnumerable<(float Distance, string Item)> rows)
{
    Console.WriteLine(title);
    int rank = 1;
    foreach (var (distance, item) in rows)
    {
        Console.WriteLine($"  {rank++}. {distance:0.0000}  {item}");
    }
}

static string Label(string path) => Path.GetFileName(Path.GetDirectoryName(path))!;

static string Name(string path) => $"{Label(path)}/{Path.GetFileName(path)}";
