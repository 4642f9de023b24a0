using System.Security.Cryptography;

namespace ImageSearch.Reliability;

/// <summary>A fast stand-in for an image model: 16 numbers from the SHA-256 of the file's bytes (no decoding).</summary>
internal sealed class FakeEmbedder : IEmbedder<ImageInput>
{
    public const string ModelId = "reliability-sha256-16";

    public int Dimension => 16;

    public static float[] Embed(byte[] bytes)
    {
        byte[] h = SHA256.HashData(bytes);
        return Enumerable.Range(0, 16).Select(i => (h[i] / 255f) - 0.5f + (h[i + 16] / 65536f)).ToArray();
    }

    public async Task<float[]> EmbedAsync(ImageInput input, CancellationToken cancellationToken = default)
        => Embed(await File.ReadAllBytesAsync(input.FilePath ?? throw new ArgumentException("file inputs only", nameof(input)), cancellationToken));

    public async Task<IReadOnlyList<EmbeddingResult>> EmbedBatchAsync(
        IReadOnlyList<ImageInput> inputs, IProgress<EmbeddingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var results = new EmbeddingResult[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
        {
            try
            {
                results[i] = new EmbeddingResult(i, await EmbedAsync(inputs[i], cancellationToken), null);
            }
            catch (IOException e)
            {
                results[i] = new EmbeddingResult(i, null, e);
            }
        }

        return results;
    }
}
