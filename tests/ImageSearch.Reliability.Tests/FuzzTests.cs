using ImageSearch.Reliability.Fuzzing;

namespace ImageSearch.Reliability.Tests;

/// <summary>
/// CI's share of the fuzzing: every saved regression input is read again, and each reader gets a short run with a fixed
/// seed (the long run is a hand-run command, see docs/reliability.md).
/// </summary>
public sealed class FuzzTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), $"imagesearch-fuzz-test-{Guid.NewGuid():N}");
    private readonly Dictionary<string, FuzzTarget> _targets;

    public FuzzTests() => _targets = FuzzTargets.All(_scratch).ToDictionary(t => t.Name);

    public static TheoryData<string> RegressionFiles()
    {
        var data = new TheoryData<string>();
        string root = Path.Combine(AppContext.BaseDirectory, "Regressions");
        foreach (string file in Directory.EnumerateFiles(root, "*.bin", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(root, file).Replace('\\', '/'));
        }

        return data;
    }

    public static TheoryData<string> Readers() => [.. FuzzTargets.All(Path.Combine(Path.GetTempPath(), "imagesearch-fuzz-names")).Select(t => t.Name)];

    [Theory]
    [MemberData(nameof(RegressionFiles))]
    public void Saved_input_ends_in_the_documented_exception(string file)
    {
        string reader = file.Split('/')[0];
        Assert.True(_targets.TryGetValue(reader, out FuzzTarget? target), $"no reader '{reader}' for {file}");
        byte[] input = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Regressions", file));
        FuzzFailure? failure = FuzzEngine.Check(target, input, Limit);
        Assert.True(failure is null, failure?.Message);
    }

    [Fact]
    public async Task Every_seed_file_is_read_without_error()
    {
        foreach (FuzzTarget t in _targets.Values)
        {
            foreach (byte[] seed in t.Seeds)
            {
                await t.Read(seed);
            }
        }
    }

    [Fact]
    public void The_image_description_seeds_hold_descriptions()
    {
        // Seeds the reader finds nothing in would only fuzz the "not a JPEG" path.
        Assert.Equal(
            ["A red barn in the snow", "Tea on the terrace", "Tee", "short"],
            _targets["image-description"].Seeds.Select(s => PhotoDescriptions.ReadEmbedded(new MemoryStream(s))));
    }

    [Fact]
    public void The_engine_reports_a_reader_that_throws_an_undocumented_exception()
    {
        var target = new FuzzTarget("broken", [[1, 2, 3]], b => b.Length > 2 ? Task.CompletedTask : throw new FormatException(), [typeof(InvalidDataException)]);
        FuzzReport r = FuzzEngine.Run(target, 200, seed: 1, TimeSpan.FromSeconds(30), Limit);
        Assert.True(r.FailureCount > 0);
        Assert.Equal("FormatException", r.Failures[0].Kind);
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public void Short_fuzz_run_finds_nothing(string reader)
    {
        FuzzTarget target = _targets[reader];
        FuzzReport r = FuzzEngine.Run(target, 2000 / target.Cost, seed: 14, TimeSpan.FromSeconds(20), Limit);
        Assert.True(r.FailureCount == 0, string.Join("\n\n", r.Failures.Select(f => f.Message)));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_scratch, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
