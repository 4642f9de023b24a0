// Photos and their captions in a Microsoft.Extensions.VectorData store: each record holds a Pascal Sentences photo's
// path, class and captions, an image vector (MobileNetV2, generated from the photo as DataContent) and a caption vector
// (GloVe, generated from the captions' text). Searches by words and by photo, with a filter. Everything but the store's
// line is plain VectorData code, so another connector is a one-line swap. Prints results; exits 1 if a check fails.
// usage: ImageSearch.VectorData.Sample <photos folder> <captions folder> <GloVe folder> <store folder> [photos per class]
//   (Pascal Sentences: <photos folder>/<class>/<id>.jpg, <captions folder>/<class>/<id>.txt with one caption a line)
using ImageSearch;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;

if (args.Length is < 4 or > 5)
{
    Console.Error.WriteLine("usage: ImageSearch.VectorData.Sample <photos folder> <captions folder> <GloVe folder> <store folder> [photos per class]");
    return 2;
}

string photosFolder = Path.GetFullPath(args[0]);
string captionsFolder = Path.GetFullPath(args[1]);
string storeFolder = Path.GetFullPath(args[3]);
int perClass = args.Length == 5 ? int.Parse(args[4]) : 10;
var failed = new List<string>();

// The generators: ImageSearch.Embeddings' embedders as Microsoft.Extensions.AI IEmbeddingGenerators.
using var images = new OnnxImageEmbedder(ImageModels.MobileNetV2());   // bundled in the package
WordVectors glove = await Glove.OpenAsync(args[2]);
var words = new WordEmbedder(glove, TermCombination.Average, UnknownWordPolicy.Skip);
using IEmbeddingGenerator<DataContent, Embedding<float>> imageGenerator = images.AsIEmbeddingGenerator();
using IEmbeddingGenerator<string, Embedding<float>> textGenerator = words.AsIEmbeddingGenerator();

// The store, in one line. Another connector is a one-line swap, e.g. the in-memory one
// (package Microsoft.SemanticKernel.Connectors.InMemory):  VectorStore store = new InMemoryVectorStore();
VectorStore store = new ImageSearchVectorStore(storeFolder);

var definition = new VectorStoreCollectionDefinition
{
    Properties =
    [
        new VectorStoreKeyProperty(nameof(Photo.Id), typeof(string)),
        new VectorStoreDataProperty(nameof(Photo.Path), typeof(string)),
        new VectorStoreDataProperty(nameof(Photo.Class), typeof(string)) { IsIndexed = true },
        new VectorStoreDataProperty(nameof(Photo.Captions), typeof(string[])),
        new VectorStoreVectorProperty(nameof(Photo.Image), typeof(DataContent), images.Dimension) { EmbeddingGenerator = imageGenerator },
        new VectorStoreVectorProperty(nameof(Photo.CaptionText), typeof(string), glove.Dimension) { EmbeddingGenerator = textGenerator },
    ],
};
VectorStoreCollection<string, Photo> photos = store.GetCollection<string, Photo>("pascal", definition);
await photos.EnsureCollectionDeletedAsync();   // a fresh start on every run
await photos.EnsureCollectionExistsAsync();

// The first photos of each class, with their captions; one upsert (one embedding batch per vector).
Photo[] records = Directory.GetDirectories(photosFolder).Order(StringComparer.Ordinal)
    .SelectMany(dir => Directory.GetFiles(dir, "*.jpg").Order(StringComparer.Ordinal).Take(perClass))
    .Select(path =>
    {
        string @class = Path.GetFileName(Path.GetDirectoryName(path))!;
        string[] captions = File.ReadAllLines(Path.Combine(captionsFolder, @class, Path.GetFileNameWithoutExtension(path) + ".txt"))
            .Where(line => line.Trim().Length > 0).ToArray();
        return new Photo
        {
            Id = $"{@class}/{Path.GetFileNameWithoutExtension(path)}", Path = path, Class = @class, Captions = captions,
            Image = Jpeg(path), CaptionText = string.Join(' ', captions),
        };
    })
    .ToArray();
await photos.UpsertAsync(records);
Console.WriteLine($"stored {records.Length} photos with {records.Sum(r => r.Captions.Length)} captions in {storeFolder}");

// By words: the caption vectors.
foreach (var (query, expected) in new[] { ("dog", "dog"), ("a boat on the water", "boat"), ("a train at the station", "train"), ("a man riding a horse", "horse") })
{
    var hits = await photos.SearchAsync(query, 5, new() { VectorProperty = p => p.CaptionText }).ToListAsync();
    Print($"captions nearest '{query}'", hits);
    Check(hits.Count(h => h.Record.Class == expected) >= 3, $"at least 3 of the top 5 for '{query}' are {expected} photos");
}

// By photo: the image vectors. Each class's first photo finds itself first.
foreach (Photo photo in records.GroupBy(r => r.Class).Select(g => g.First()))
{
    var top = await photos.SearchAsync(Jpeg(photo.Path), 1, new() { VectorProperty = p => p.Image }).SingleAsync();
    Check(top.Record.Id == photo.Id && top.Score > 0.999, $"the top look-alike of {photo.Id} is itself ({top.Record.Id}, {top.Score:0.0000})");
}

// By photo with a filter, evaluated inside the index search: look-alikes of a dog that are not dogs.
Photo dog = records.First(r => r.Class == "dog");
var notDogs = await photos.SearchAsync(Jpeg(dog.Path), 5, new() { VectorProperty = p => p.Image, Filter = p => p.Class != "dog" }).ToListAsync();
Print($"look-alikes of {dog.Id} that are not dogs", notDogs);
Check(notDogs.Count == 5 && notDogs.All(h => h.Record.Class != "dog"), "the filter keeps dogs out");

// By words with a filter on two classes.
var animals = await photos.SearchAsync("an animal sleeping", 5, new() { VectorProperty = p => p.CaptionText, Filter = p => p.Class == "cat" || p.Class == "dog" }).ToListAsync();
Print("'an animal sleeping' among cats and dogs", animals);
Check(animals.Count == 5 && animals.All(h => h.Record.Class is "cat" or "dog"), "the filter keeps only cats and dogs");

// Records by key, and by filter.
Photo? again = await photos.GetAsync(dog.Id);
Check(again is { Class: "dog" } && again.Captions.SequenceEqual(dog.Captions), $"{dog.Id} comes back by key with its captions");
int cats = await photos.GetAsync(p => p.Class == "cat", top: 1000).CountAsync();
Check(cats == records.Count(r => r.Class == "cat"), $"{cats} cat photos by filter");

store.Dispose();
Console.WriteLine(failed.Count == 0 ? "all checks passed" : $"{failed.Count} check(s) failed: {string.Join("; ", failed)}");
return failed.Count == 0 ? 0 : 1;

void Check(bool ok, string what)
{
    Console.WriteLine($"{(ok ? "ok  " : "FAIL")} {what}");
    if (!ok)
    {
        failed.Add(what);
    }
}

static void Print(string title, List<VectorSearchResult<Photo>> hits)
{
    Console.WriteLine(title);
    int rank = 1;
    foreach (VectorSearchResult<Photo> hit in hits)
    {
        Console.WriteLine($"  {rank++}. {hit.Score:0.0000}  {hit.Record.Id}  \"{hit.Record.Captions.FirstOrDefault()}\"");
    }
}

static DataContent Jpeg(string path) => new(File.ReadAllBytes(path), "image/jpeg");

/// <summary>A photo as the store keeps it: the vectors are generated from <see cref="Image"/> and <see cref="CaptionText"/>.</summary>
public sealed class Photo
{
    public string Id { get; set; } = "";

    public string Path { get; set; } = "";

    public string Class { get; set; } = "";

    public string[] Captions { get; set; } = [];

    /// <summary>The photo, embedded by MobileNetV2; not stored (searches give it back as null).</summary>
    public DataContent? Image { get; set; }

    /// <summary>The captions' text, embedded by GloVe; not stored.</summary>
    public string? CaptionText { get; set; }
}
