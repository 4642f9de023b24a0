namespace ImageSearch.Evaluation;

/// <summary>
/// The UIUC Pascal Sentences photos (<c>datasets/pascal-sentences/dataset/&lt;class&gt;/&lt;id&gt;.jpg</c>):
/// paths, class labels and class names, in a fixed order (classes and files sorted ordinally). Immutable, thread-safe.
/// </summary>
public sealed class PascalDataset
{
    private PascalDataset(string root, string[] classNames, string[] paths, int[] labels)
    {
        Root = root;
        ClassNames = classNames;
        Paths = paths;
        Labels = labels;
    }

    /// <summary>The <c>dataset</c> folder.</summary>
    public string Root { get; }

    /// <summary>Class names (folder names), sorted.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Absolute photo paths, grouped by class, sorted.</summary>
    public IReadOnlyList<string> Paths { get; }

    /// <summary>Class index of each photo (index into <see cref="ClassNames"/>).</summary>
    public IReadOnlyList<int> Labels { get; }

    /// <summary>Number of photos.</summary>
    public int Count => Paths.Count;

    /// <summary>Path of the caption file of photo <paramref name="index"/> (<c>sentence/&lt;class&gt;/&lt;id&gt;.txt</c>).</summary>
    /// <param name="index">Photo index.</param>
    /// <returns>The path (the file may be absent in other copies of the data set).</returns>
    public string CaptionPath(int index)
        => Path.Combine(Path.GetDirectoryName(Root)!, "sentence", ClassNames[Labels[index]], Path.GetFileNameWithoutExtension(Paths[index]) + ".txt");

    /// <summary>Loads the listing from a <c>dataset</c> folder (<see cref="RepositoryData.PascalDatasetFolder"/> in this repository).</summary>
    /// <param name="datasetFolder">The folder holding one sub-folder of .jpg files per class.</param>
    /// <returns>The listing.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static PascalDataset Load(string datasetFolder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(datasetFolder);
        string root = datasetFolder;
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"Pascal Sentences folder '{root}' does not exist.");
        }

        var classDirs = Directory.GetDirectories(root);
        Array.Sort(classDirs, StringComparer.Ordinal);
        var names = new List<string>();
        var paths = new List<string>();
        var labels = new List<int>();
        foreach (string dir in classDirs)
        {
            var files = Directory.GetFiles(dir, "*.jpg");
            if (files.Length == 0)
            {
                continue;
            }

            Array.Sort(files, StringComparer.Ordinal);
            foreach (string f in files)
            {
                paths.Add(Path.GetFullPath(f));
                labels.Add(names.Count);
            }

            names.Add(Path.GetFileName(dir));
        }

        return new PascalDataset(Path.GetFullPath(root), [.. names], [.. paths], [.. labels]);
    }
}
