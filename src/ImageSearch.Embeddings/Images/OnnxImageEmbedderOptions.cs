namespace ImageSearch;

/// <summary>Settings of an <see cref="OnnxImageEmbedder"/>. Immutable once passed to the embedder.</summary>
public sealed record OnnxImageEmbedderOptions
{
    /// <summary>Images per inference call (default 8). Models whose batch dimension is fixed at 1 are rewritten to accept any.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>ONNX Runtime intra-op threads; 0 (default) lets ONNX Runtime use one per physical core.</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Threads decoding and preprocessing images in parallel with inference; 0 (default) uses one per logical core.</summary>
    public int DecodeThreads { get; init; }

    /// <summary>
    /// Batches run through ONNX Runtime at the same time (default 1). With few cores, 2 concurrent runs of one
    /// intra-op thread each waste less time in ONNX Runtime's thread synchronisation than 1 run of 2 threads.
    /// </summary>
    public int InferenceConcurrency { get; init; } = 1;

    /// <summary>Batches decoded ahead of inference (the bound of the producer/consumer queue, default 2).</summary>
    public int PrefetchBatches { get; init; } = 2;

    /// <summary>
    /// Whether ONNX Runtime's intra-op threads spin while waiting for work (default <see langword="false"/>): spinning
    /// gains a little latency but steals CPU from the decoding threads, which costs throughput on few cores.
    /// </summary>
    public bool AllowSpinning { get; init; }

    /// <summary>
    /// Run inference on an NVIDIA GPU through ONNX Runtime's CUDA execution provider. Opt-in: the application must
    /// reference <c>Microsoft.ML.OnnxRuntime.Gpu</c> (instead of <c>Microsoft.ML.OnnxRuntime</c>) and have CUDA and
    /// cuDNN installed; otherwise construction fails with a <see cref="NotSupportedException"/> that says so.
    /// Decoding stays on the CPU. Operators CUDA lacks fall back to the CPU provider.
    /// </summary>
    public bool UseCuda { get; init; }

    /// <summary>GPU ordinal for <see cref="UseCuda"/> (default 0).</summary>
    public int CudaDeviceId { get; init; }

    /// <summary>
    /// The most pixels (width x height, as the file declares them) an image may have (default 100,000,000). A larger
    /// image, such as a decompression bomb declaring 50,000 x 50,000 pixels in a few hundred bytes, is reported as
    /// failed for that image before any pixel memory is allocated. Decoding one image needs at most 4 bytes per pixel
    /// of this bound (400 MB by default) per decode thread; JPEGs usually decode at a reduced DCT scale and need less.
    /// </summary>
    public long MaxPixels { get; init; } = 100_000_000;

    internal void Validate()
    {
        const string arg = "options";
        if (MaxPixels < 1)
        {
            throw new ArgumentException($"MaxPixels must be at least 1; it is {MaxPixels}.", arg);
        }

        if (BatchSize < 1 || BatchSize > 4096)
        {
            throw new ArgumentException($"BatchSize must be between 1 and 4096; it is {BatchSize}.", arg);
        }

        if (IntraOpThreads < 0 || DecodeThreads < 0 || CudaDeviceId < 0)
        {
            throw new ArgumentException("IntraOpThreads, DecodeThreads and CudaDeviceId must not be negative.", arg);
        }

        if (InferenceConcurrency < 1 || InferenceConcurrency > 64)
        {
            throw new ArgumentException($"InferenceConcurrency must be between 1 and 64; it is {InferenceConcurrency}.", arg);
        }

        if (PrefetchBatches < 1)
        {
            throw new ArgumentException($"PrefetchBatches must be at least 1; it is {PrefetchBatches}.", arg);
        }
    }
}
