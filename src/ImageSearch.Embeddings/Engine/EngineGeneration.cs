using System.Globalization;

namespace ImageSearch;

/// <summary>
/// File names of one engine save. Each save writes its data files under new names (<c>photos.&lt;generation&gt;.isindex</c>,
/// ...), then the manifest naming them (atomically, so a reader sees the old or the new manifest), and only then deletes
/// the files no manifest names any more. A crash at any point leaves the old manifest with its old, untouched files, or
/// the new manifest with its complete new files: never a new index beside an old catalog, as fixed names allowed.
/// </summary>
/// <remarks>One process saves a folder at a time: a second writer's files would be deleted as unreferenced.</remarks>
internal sealed class EngineGeneration
{
    // Every data file name an engine writes (today's names and those of earlier versions), as stem + extension.
    private static readonly string[] BaseNames =
    [
        EngineManifest.IndexFileName, EngineManifest.CatalogFileName, EngineManifest.DeviseHeadFileName,
        EngineManifest.DeviseIndexFileName, EngineManifest.DeviseFeaturesFileName, EngineManifest.ClassesFileName,
    ];

    private readonly string _id = DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..6];

    /// <summary>This save's name for a data file: <c>photos.isindex</c> becomes <c>photos.&lt;generation&gt;.isindex</c>.</summary>
    public string Name(string baseName) => Path.GetFileNameWithoutExtension(baseName) + "." + _id + Path.GetExtension(baseName);

    /// <summary>
    /// Deletes the data files of earlier saves (any generation, or none) that <paramref name="manifest"/> does not name,
    /// and temporary files a killed save left; best effort, since the new manifest no longer needs them.
    /// </summary>
    public static void DeleteUnreferenced(string directory, EngineManifest manifest)
    {
        string?[] referenced = [EngineManifest.FileName, manifest.Index, manifest.Catalog, manifest.Classes, manifest.Devise?.Head, manifest.Devise?.Index, manifest.Devise?.Features];
        foreach (string path in Directory.EnumerateFiles(directory))
        {
            string name = Path.GetFileName(path);
            if (!referenced.Contains(name, StringComparer.Ordinal) && IsEngineFile(name))
            {
                try
                {
                    File.Delete(path);
                }
                catch (IOException)
                {
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
        }
    }

    private static bool IsEngineFile(string name)
    {
        // A temporary file of IndexFile.SaveAtomic: ".<name>.<12 hex>.tmp".
        if (name.StartsWith('.') && name.EndsWith(".tmp", StringComparison.Ordinal))
        {
            string target = name[1..^4];
            int dot = target.LastIndexOf('.');
            return dot > 0 && (IsEngineFile(target[..dot]) || target[..dot] == EngineManifest.FileName);
        }

        foreach (string b in BaseNames)
        {
            string stem = Path.GetFileNameWithoutExtension(b) + ".", ext = Path.GetExtension(b);
            if (name == b || (name.StartsWith(stem, StringComparison.Ordinal) && name.EndsWith(ext, StringComparison.Ordinal) && name.Length > stem.Length + ext.Length))
            {
                return true;
            }
        }

        return false;
    }
}
