using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ImageSearch.Embeddings.Tests.Engine;

/// <summary>
/// A tiny image embedder for engine tests: a file whose text is <c>v:1,0,0.5,...</c> embeds to those numbers; a file
/// starting with <c>BAD</c> fails like a corrupt image; anything else embeds to numbers derived from its SHA-256.
/// Counts every file it embeds.
/// </summary>
internal sealed class FakeImageEmbedder(int dimension = 4) : IEmbedder<ImageInput>
{
    public ConcurrentQueue<string> Embedded { get; } = new();

    public int Dimension { get; } = dimension;

    public int Calls => Embedded.Count;

    public int CallsFor(string path) => Embedded.Count(p => p == Path.GetFullPath(path));

    public async Task<float[]> EmbedAsync(ImageInput input, CancellationToken cancellationToken = default)
    {
        var r = await EmbedBatchAsync([input], null, cancellationToken);
        return r[0].Vector ?? throw r[0].Error!;
    }

    public Task<IReadOnlyList<EmbeddingResult>> EmbedBatchAsync(
        IReadOnlyList<ImageInput> inputs, IProgress<EmbeddingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var results = new EmbeddingResult[inputs.Count];
        int failed = 0;
        for (int i = 0; i < inputs.Count; i++)
        {
            string path = inputs[i].FilePath ?? throw new ArgumentException("The fake embeds files only.", nameof(inputs));
            Embedded.Enqueue(Path.GetFullPath(path));
            try
            {
                results[i] = new EmbeddingResult(i, Vector(path), null);
            }
            catch (EmbeddingException e)
            {
                results[i] = new EmbeddingResult(i, null, e);
                failed++;
            }

            progress?.Report(new EmbeddingProgress(i + 1, failed, inputs.Count));
        }

        return Task.FromResult<IReadOnlyList<EmbeddingResult>>(results);
    }

    private float[] Vector(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (IOException e)
        {
            throw new EmbeddingException($"'{path}' cannot be read: {e.Message}", e);
        }

        string text = Encoding.UTF8.GetString(bytes);
        if (text.StartsWith("BAD", StringComparison.Ordinal))
        {
            throw new EmbeddingException($"'{path}' is not a valid image.");
        }

        if (text.StartsWith("v:", StringComparison.Ordinal))
        {
            return text[2..].Split(',').Select(s => float.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        }

        byte[] hash = SHA256.HashData(bytes);
        var v = new float[Dimension];
        for (int j = 0; j < v.Length; j++)
        {
            v[j] = hash[j] / 255f + 0.01f;
        }

        return v;
    }
}

/// <summary>A temporary folder deleted when disposed.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Root);

    public string Root { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "imagesearch-engine-" + Guid.NewGuid().ToString("N"));

    public string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    public string Write(string relative, string content)
    {
        string p = Path(relative.Split('/'));
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(p)!);
        File.WriteAllText(p, content);
        return p;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
