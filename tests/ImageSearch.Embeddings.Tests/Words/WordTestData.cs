
namespace ImageSearch.Embeddings.Tests.Words;

/// <summary>Small generated word tables and temporary folders for the loader tests.</summary>
internal static class WordTestData
{
    public static WordVectors Random(int count, int dimension, int seed = 1)
    {
        var rng = new Random(seed);
        var words = new string[count];
        var vectors = new float[count * dimension];
        for (int i = 0; i < count; i++)
        {
            // Mixed scripts so UTF-8 handling is exercised.
            words[i] = (i % 7) switch
            {
                0 => $"w{i}",
                1 => $"café{i}",
                2 => $"слово{i}",
                3 => $"語{i}",
                4 => $"-{i}-",
                5 => $"\"{i}",
                _ => $"x_{i}.y",
            };
        }

        for (int i = 0; i < vectors.Length; i++)
        {
            vectors[i] = (float)(rng.NextDouble() * 4 - 2) * (i % 5 == 0 ? 1e-3f : 1f);
        }

        return WordVectors.Create(words, dimension, vectors);
    }

    public static void AssertEqual(WordVectors expected, WordVectors actual)
    {
        Assert.Equal(expected.Dimension, actual.Dimension);
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.Words, actual.Words);
        Assert.True(expected.Vectors.Span.SequenceEqual(actual.Vectors.Span), "vectors differ");
    }
}

/// <summary>A temporary folder deleted at the end of the test.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "imagesearch-words-" + Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Records progress reports synchronously (Progress&lt;T&gt; posts them later).</summary>
internal sealed class ProgressLog<T> : IProgress<T>
{
    public List<T> Reports { get; } = [];

    public void Report(T value)
    {
        lock (Reports)
        {
            Reports.Add(value);
        }
    }
}
