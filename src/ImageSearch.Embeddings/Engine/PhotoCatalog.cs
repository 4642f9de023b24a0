namespace ImageSearch;

/// <summary>Reads and writes the payload file of an engine folder (<see cref="ChecksummedJson"/> framing).</summary>
internal static class PhotoCatalog
{
    private const string Magic = "imagesearch-photos";

    // Description: absent in catalogs saved before manifest version 3 (read as none).
    internal sealed record Entry(long Key, string Path, string Label, long Size, DateTime LastWriteUtc, string? Hash, string? Description = null);

    internal sealed record Document(long NextKey, List<Entry> Photos);

    public static void Write(Stream stream, long nextKey, IEnumerable<KeyValuePair<long, PhotoInfo>> photos)
    {
        var entries = photos
            .OrderBy(p => p.Key)
            .Select(p => new Entry(p.Key, p.Value.Path, p.Value.Label, p.Value.Size, p.Value.LastWriteUtc, p.Value.ContentHash, p.Value.Description))
            .ToList();
        ChecksummedJson.Write(stream, Magic, new Document(nextKey, entries));
    }

    public static Document Read(string path)
    {
        var doc = ChecksummedJson.Read<Document>(path, Magic, "photo catalog");
        doc = doc with { Photos = doc.Photos ?? [] };
        foreach (var e in doc.Photos)
        {
            if (e.Key >= doc.NextKey || string.IsNullOrEmpty(e.Path) || e.Label is null || e.Description?.Length > PhotoDescriptions.MaxLength)
            {
                throw new InvalidDataException($"'{path}': entry {e.Key} is malformed.");
            }
        }

        return doc;
    }
}

/// <summary>Reads and writes the folder-label classifier of an engine folder, so class weighting needs no retraining.</summary>
internal static class ClassWeightsFile
{
    private const string Magic = "imagesearch-classes";

    internal sealed record Document(string[] Names, int Dimension, float[] Weights, float[] Bias);

    public static void Write(Stream stream, ClassWeights weights)
        => ChecksummedJson.Write(stream, Magic, new Document([.. weights.ClassNames], weights.Dimension, weights.Matrix.ToArray(), weights.Bias.ToArray()));

    public static ClassWeights Read(string path, int dimension)
    {
        var doc = ChecksummedJson.Read<Document>(path, Magic, "class weights");
        if (doc.Dimension != dimension)
        {
            throw new InvalidDataException($"'{path}' holds {doc.Dimension}-d class weights; the index is {dimension}-d.");
        }

        try
        {
            return new ClassWeights(doc.Names, doc.Weights, doc.Dimension, doc.Bias);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"'{path}': {e.Message}", e);
        }
    }
}
