using System.Reflection;
using System.Text.RegularExpressions;

namespace ImageSearch.Tests.Readme;

/// <summary>Every "// README:name ... // END" region of the example tests appears verbatim in README.md.</summary>
public partial class ReadmeSync
{
    private static string RepoRoot()
        => typeof(ReadmeSync).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "ImageSearch.RepositoryRoot").Value!;

    [GeneratedRegex(@"// README:(?<name>[\w-]+)\r?\n(?<body>.*?)\r?\n[ \t]*// END", RegexOptions.Singleline)]
    private static partial Regex Region();

    public static IEnumerable<(string File, string Name, string Code)> Regions(string folder)
    {
        foreach (string file in Directory.GetFiles(folder, "*.cs"))
        {
            foreach (Match m in Region().Matches(File.ReadAllText(file)))
            {
                string[] lines = m.Groups["body"].Value.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
                int indent = lines.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
                yield return (file, m.Groups["name"].Value, string.Join("\n", lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart())));
            }
        }
    }

    [Fact]
    public void ReadmeShowsTheTestedExamples()
    {
        string root = RepoRoot();
        string readme = File.ReadAllText(Path.Combine(root, "README.md")).Replace("\r\n", "\n");
        var regions = Regions(Path.Combine(root, "tests", "ImageSearch.Tests", "Readme"))
            .Concat(new[] { "ImageSearch.Embeddings.Tests", "ImageSearch.VectorData.Tests", "ImageSearch.Orleans.Tests" }
                .Select(project => Path.Combine(root, "tests", project, "Readme"))
                .Where(Directory.Exists)
                .SelectMany(Regions))
            .ToList();
        Assert.NotEmpty(regions);
        foreach (var (file, name, code) in regions)
        {
            Assert.True(readme.Contains(code, StringComparison.Ordinal), $"README.md lacks example '{name}' from {Path.GetFileName(file)} verbatim:\n{code}");
        }
    }
}
