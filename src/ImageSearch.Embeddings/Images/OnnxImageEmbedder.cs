using System.Collections.Concurrent;
using System.Numerics.Tensors;
using System.Threading.Channels;
using Microsoft.ML.OnnxRuntime;

namespace ImageSearch;

/// <summary>
/// Embeds images (<see cref="ImageInput"/>: files, encoded bytes, streams) with an ONNX model described by an <see cref="ImageModelDescriptor"/>.
/// </summary>
/// <remarks>
/// <para>Batches run as a pipeline: decoding and preprocessing (SkiaSharp, several threads) fill the next batches while
/// ONNX Runtime runs the current one; a bounded channel keeps at most <see cref="OnnxImageEmbedderOptions.PrefetchBatches"/>
/// batches waiting. A failing image does not stop the batch: its <see cref="EmbeddingResult"/> carries an
/// <see cref="EmbeddingException"/> naming it.</para>
/// <para>Thread-safety: all members may be called from several threads at once (each call has its own pipeline and
/// ONNX Runtime sessions are thread-safe). <see cref="Dispose"/> must not race with calls in progress.</para>
/// <para>Construction loads the model, checks its input and output against the descriptor and runs one probe
/// inference; a mismatch throws an <see cref="ArgumentException"/> that gives both shapes.</para>
/// </remarks>
public sealed class OnnxImageEmbedder : IEmbedder<ImageInput>, IDisposable
{
    private readonly InferenceSession _session;
    private readonly ImagePreprocessor _preprocessor;
    private readonly OnnxImageEmbedderOptions _options;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly int _decodeThreads;
    private bool _disposed;

    /// <summary>Loads the model and checks it against the descriptor.</summary>
    /// <param name="descriptor">The model and its preprocessing.</param>
    /// <param name="options">Batching, threading and execution provider; <see langword="null"/> for defaults.</param>
    /// <exception cref="ArgumentException">The descriptor or options are invalid, or the model's input or output does not
    /// match the descriptor (names, channels, size, output dimension).</exception>
    /// <exception cref="FileNotFoundException">The model file does not exist.</exception>
    /// <exception cref="NotSupportedException"><see cref="OnnxImageEmbedderOptions.UseCuda"/> is set but the CUDA provider cannot be loaded.</exception>
    /// <remarks>Limits: the model file is read whole by this library's ONNX reader where it inspects or rewrites a model,
    /// so it must be under 2 GB (weights in external files are refused with <see cref="NotSupportedException"/>; a
    /// malformed model with <see cref="InvalidDataException"/>). Each photo: at most
    /// <see cref="OnnxImageEmbedderOptions.MaxPixels"/> declared pixels, checked before decoding, and the file is read
    /// whole (under 2 GB); a photo past a limit fails with its own <see cref="EmbeddingException"/>.</remarks>
    public OnnxImageEmbedder(ImageModelDescriptor descriptor, OnnxImageEmbedderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        descriptor.Validate();
        _options = options ?? new OnnxImageEmbedderOptions();
        _options.Validate();
        Descriptor = descriptor;
        _preprocessor = new ImagePreprocessor(descriptor, _options.MaxPixels);
        _decodeThreads = _options.DecodeThreads > 0 ? _options.DecodeThreads : Environment.ProcessorCount;
        _inputNames = [descriptor.InputName];
        _outputNames = [descriptor.OutputName];

        var proto = descriptor.LoadModel();
        bool fixedBatch = CheckGraph(proto, descriptor);
        bool addOutput = !proto.Outputs.Any(o => o.Name == descriptor.OutputName);
        int batchSize = _options.BatchSize;
        bool rewriteBatch = fixedBatch && batchSize > 1;
        (int Height, int Width)? inputSize = descriptor.ResizeModelInput ? (descriptor.InputHeight, descriptor.InputWidth) : null;

        InferenceSession? session = null;
        try
        {
            byte[] modelBytes = rewriteBatch || addOutput || inputSize is not null
                ? proto.Rewrite(rewriteBatch, addOutput ? [descriptor.OutputName] : [], inputSize: inputSize)
                : descriptor.ReadModelBytes();
            session = CreateSession(modelBytes);
            if (!Probe(session, Math.Min(batchSize, 2), out var shape) && rewriteBatch)
            {
                // The graph pins the batch somewhere inside (a Reshape to 1, ...): fall back to one image per run.
                session.Dispose();
                session = CreateSession(proto.Rewrite(false, addOutput ? [descriptor.OutputName] : [], inputSize: inputSize));
                batchSize = 1;
                Probe(session, 1, out shape);
            }

            CheckOutput(shape, descriptor);
        }
        catch
        {
            session?.Dispose();
            throw;
        }

        _session = session;
        BatchSize = batchSize;
    }

    /// <summary>The model and preprocessing in use.</summary>
    public ImageModelDescriptor Descriptor { get; }

    /// <inheritdoc />
    public int Dimension => Descriptor.OutputDimension;

    /// <summary>Images per inference call actually used (1 when the model cannot batch).</summary>
    public int BatchSize { get; }

    /// <summary>Elements of one preprocessed input tensor (3 x height x width).</summary>
    public int InputTensorLength => _preprocessor.TensorLength;

    /// <inheritdoc />
    /// <exception cref="EmbeddingException">The file is missing or unreadable, or the bytes are corrupt or not an image
    /// (the message names the input).</exception>
    public async Task<float[]> EmbedAsync(ImageInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var results = await EmbedBatchAsync([input], null, cancellationToken).ConfigureAwait(false);
        return results[0].Vector ?? throw results[0].Error!;
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">An input is null.</exception>
    public Task<IReadOnlyList<EmbeddingResult>> EmbedBatchAsync(
        IReadOnlyList<ImageInput> inputs,
        IProgress<EmbeddingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        for (int i = 0; i < inputs.Count; i++)
        {
            if (inputs[i] is null)
            {
                throw new ArgumentException($"Input {i} is null.", nameof(inputs));
            }
        }

        return RunPipelineAsync(inputs.Count, i => inputs[i].Name, (i, dst) => _preprocessor.Preprocess(inputs[i], dst), progress, cancellationToken);
    }

    /// <summary>
    /// Runs the model on already-preprocessed NCHW tensors (no decoding): <paramref name="count"/> images of
    /// <see cref="InputTensorLength"/> elements each. For measuring ONNX Runtime's own throughput and for callers with
    /// their own preprocessing. Not pipelined; runs on the calling thread.
    /// </summary>
    /// <param name="tensors">count x <see cref="InputTensorLength"/> elements.</param>
    /// <param name="count">Number of images, at most <see cref="BatchSize"/>.</param>
    /// <param name="destination">count x <see cref="Dimension"/> elements receive the embeddings.</param>
    public void EmbedTensors(ReadOnlyMemory<float> tensors, int count, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, BatchSize);
        if (tensors.Length < count * InputTensorLength)
        {
            throw new ArgumentException($"tensors has {tensors.Length} elements; {count * InputTensorLength} needed.", nameof(tensors));
        }

        if (destination.Length < count * Dimension)
        {
            throw new ArgumentException($"destination has {destination.Length} elements; {count * Dimension} needed.", nameof(destination));
        }

        RunModel(tensors[..(count * InputTensorLength)], count, destination);
    }

    /// <summary>Decodes and preprocesses one image into a tensor (for tests, benchmarks and <see cref="EmbedTensors"/>).</summary>
    /// <param name="image">The image.</param>
    /// <param name="destination"><see cref="InputTensorLength"/> elements.</param>
    /// <exception cref="EmbeddingException">The image cannot be read or decoded.</exception>
    public void Preprocess(ImageInput image, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        _preprocessor.Preprocess(image, destination);
    }

    /// <summary>Releases the ONNX Runtime session. Not thread-safe with calls in progress.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _session.Dispose();
        }
    }

    private delegate void PrepareItem(int index, Span<float> destination);

    private sealed record PreparedBatch(int Start, int Count, float[] Buffer, Exception?[] Errors);

    private async Task<IReadOnlyList<EmbeddingResult>> RunPipelineAsync(
        int count, Func<int, string> describe, PrepareItem prepare, IProgress<EmbeddingProgress>? progress, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        var results = new EmbeddingResult[count];
        if (count == 0)
        {
            return results;
        }

        int len = InputTensorLength, batchSize = BatchSize;
        var channel = Channel.CreateBounded<PreparedBatch>(new BoundedChannelOptions(_options.PrefetchBatches)
        {
            SingleReader = _options.InferenceConcurrency == 1,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var buffers = new ConcurrentBag<float[]>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = stop.Token;

        var producer = Task.Run(
            async () =>
            {
                try
                {
                    var parallel = new ParallelOptions { MaxDegreeOfParallelism = _decodeThreads, CancellationToken = token };
                    for (int start = 0; start < count; start += batchSize)
                    {
                        int n = Math.Min(batchSize, count - start);
                        var buffer = buffers.TryTake(out var b) ? b : new float[batchSize * len];
                        var errors = new Exception?[n];
                        int first = start;
                        Parallel.For(0, n, parallel, i =>
                        {
                            try
                            {
                                prepare(first + i, buffer.AsSpan(i * len, len));
                            }
                            catch (EmbeddingException ex)
                            {
                                errors[i] = ex;
                            }
                            catch (Exception ex) when (ex is not OperationCanceledException)
                            {
                                errors[i] = new EmbeddingException($"Image '{describe(first + i)}' could not be embedded: {ex.Message}", ex);
                            }
                        });
                        await channel.Writer.WriteAsync(new PreparedBatch(start, n, buffer, errors), token).ConfigureAwait(false);
                    }

                    channel.Writer.Complete();
                }
                catch (Exception ex)
                {
                    channel.Writer.Complete(ex);
                }
            },
            token);

        try
        {
            int completed = 0, failed = 0;
            var progressLock = new object();

            async Task ConsumeAsync()
            {
                var outputs = new float[batchSize * Dimension];
                var slot = new int[batchSize];
                await foreach (var batch in channel.Reader.ReadAllAsync(token).ConfigureAwait(false))
                {
                    // Compact the images that decoded to the front of the buffer and run only those.
                    int m = 0;
                    for (int i = 0; i < batch.Count; i++)
                    {
                        if (batch.Errors[i] is { } error)
                        {
                            results[batch.Start + i] = new EmbeddingResult(batch.Start + i, null, error);
                            continue;
                        }

                        if (m != i)
                        {
                            batch.Buffer.AsSpan(i * len, len).CopyTo(batch.Buffer.AsSpan(m * len, len));
                        }

                        slot[m++] = i;
                    }

                    if (m > 0)
                    {
                        try
                        {
                            RunModel(batch.Buffer.AsMemory(0, m * len), m, outputs);
                            for (int j = 0; j < m; j++)
                            {
                                int index = batch.Start + slot[j];
                                results[index] = new EmbeddingResult(index, outputs.AsSpan(j * Dimension, Dimension).ToArray(), null);
                            }
                        }
                        catch (OnnxRuntimeException ex)
                        {
                            for (int j = 0; j < m; j++)
                            {
                                int index = batch.Start + slot[j];
                                results[index] = new EmbeddingResult(index, null,
                                    new EmbeddingException($"Inference failed for image '{describe(index)}' (batch of {m}): {ex.Message}", ex));
                            }
                        }
                    }

                    buffers.Add(batch.Buffer);
                    lock (progressLock)
                    {
                        for (int i = 0; i < batch.Count; i++)
                        {
                            completed++;
                            if (!results[batch.Start + i].Succeeded)
                            {
                                failed++;
                            }

                            progress?.Report(new EmbeddingProgress(completed, failed, count));
                        }
                    }
                }
            }

            int consumers = Math.Min(_options.InferenceConcurrency, (count + batchSize - 1) / batchSize);
            if (consumers == 1)
            {
                await ConsumeAsync().ConfigureAwait(false);
            }
            else
            {
                var tasks = new Task[consumers];
                for (int c = 0; c < consumers; c++)
                {
                    tasks[c] = Task.Run(ConsumeAsync, token);
                }

                await Task.WhenAll(tasks).ConfigureAwait(false);
            }

            await producer.ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await producer.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The producer stops when the consumer has; the consumer's exception (if any) is the one that matters.
            }
        }

        return results;
    }

    private void RunModel(ReadOnlyMemory<float> tensors, int count, Span<float> destination)
    {
        int dim = Dimension;
        long[] shape = [count, 3, Descriptor.InputHeight, Descriptor.InputWidth];
        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
            System.Runtime.InteropServices.MemoryMarshal.AsMemory(tensors), shape);
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, _inputNames, [input], _outputNames);
        var data = outputs[0].GetTensorDataAsSpan<float>();
        int per = data.Length / count;
        int spatial = per / dim;
        for (int j = 0; j < count; j++)
        {
            var dst = destination.Slice(j * dim, dim);
            var src = data.Slice(j * per, per);
            if (spatial == 1)
            {
                src.CopyTo(dst);
            }
            else
            {
                // Global average pooling of an NCHW feature map: each channel's H*W values are contiguous.
                float inv = 1f / spatial;
                for (int d = 0; d < dim; d++)
                {
                    dst[d] = TensorPrimitives.Sum(src.Slice(d * spatial, spatial)) * inv;
                }
            }

            if (Descriptor.L2Normalize)
            {
                float norm = TensorPrimitives.Norm(dst);
                if (norm > 0)
                {
                    TensorPrimitives.Divide(dst, norm, dst);
                }
            }
        }
    }

    private InferenceSession CreateSession(byte[] modelBytes)
    {
        using var so = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = _options.IntraOpThreads,
        };
        so.AddSessionConfigEntry("session.intra_op.allow_spinning", _options.AllowSpinning ? "1" : "0");
        if (_options.UseCuda)
        {
            try
            {
                so.AppendExecutionProvider_CUDA(_options.CudaDeviceId);
            }
            catch (Exception ex) when (ex is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException or TypeInitializationException)
            {
                throw new NotSupportedException(
                    "The CUDA execution provider of ONNX Runtime is not available: reference Microsoft.ML.OnnxRuntime.Gpu " +
                    "(instead of Microsoft.ML.OnnxRuntime) and install CUDA 12 and cuDNN 9, or leave UseCuda off. " + ex.Message, ex);
            }
        }

        try
        {
            return new InferenceSession(modelBytes, so);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ArgumentException($"ONNX Runtime cannot load model '{Descriptor.ModelSource}': {ex.Message}", "descriptor", ex);
        }
    }

    private bool Probe(InferenceSession session, int count, out long[] shape)
    {
        var zeros = new float[count * InputTensorLength];
        long[] inputShape = [count, 3, Descriptor.InputHeight, Descriptor.InputWidth];
        try
        {
            using var input = OrtValue.CreateTensorValueFromMemory(zeros, inputShape);
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, _inputNames, [input], _outputNames);
            shape = outputs[0].GetTensorTypeAndShape().Shape;
            if (shape.Length == 0 || shape[0] != count)
            {
                throw new ArgumentException(
                    $"Output '{Descriptor.OutputName}' of '{Descriptor.ModelSource}' has shape [{string.Join(",", shape)}] for a batch of {count}; its first dimension must be the batch.",
                    "descriptor");
            }

            return true;
        }
        catch (OnnxRuntimeException) when (count > 1)
        {
            shape = [];
            return false;
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ArgumentException($"Model '{Descriptor.ModelSource}' failed on a {Descriptor.InputWidth}x{Descriptor.InputHeight} input: {ex.Message}", "descriptor", ex);
        }
    }

    private static void CheckOutput(long[] shape, ImageModelDescriptor d)
    {
        string shown = $"[{string.Join(",", shape)}]";
        bool ok = shape.Length switch
        {
            2 => shape[1] == d.OutputDimension,
            4 => shape[1] == d.OutputDimension && (d.GlobalAveragePool || (shape[2] == 1 && shape[3] == 1)),
            _ => false,
        };
        if (!ok)
        {
            throw new ArgumentException(
                $"Output '{d.OutputName}' of '{d.ModelSource}' has shape {shown}, which does not match the descriptor: expected [N,{d.OutputDimension}]" +
                (d.GlobalAveragePool ? $" or [N,{d.OutputDimension},H,W]" : $" or [N,{d.OutputDimension},1,1] (set GlobalAveragePool for a spatial map)") + ".",
                "descriptor");
        }
    }

    /// <summary>Checks the graph's input against the descriptor; returns whether its batch dimension is fixed at 1.</summary>
    private static bool CheckGraph(OnnxModelProto proto, ImageModelDescriptor d)
    {
        var inputs = proto.Inputs;
        var input = inputs.FirstOrDefault(i => i.Name == d.InputName) ?? throw new ArgumentException(
            $"Model '{d.ModelSource}' has no input '{d.InputName}'; its inputs are: {string.Join(", ", inputs.Select(i => i.Name))}.", "descriptor");
        if (input.ElementType != (int)OnnxDataType.Float)
        {
            throw new ArgumentException($"Input '{d.InputName}' of '{d.ModelSource}' has ONNX element type {input.ElementType}; float (1) is required.", "descriptor");
        }

        if (input.Dims is { } dims)
        {
            string shown = string.Join(",", dims.Select(x => x?.ToString() ?? "?"));
            if (!d.AcceptsInputShape(dims))
            {
                throw new ArgumentException(
                    $"Input '{d.InputName}' of '{d.ModelSource}' has shape [{shown}], but the descriptor gives [N,3,{d.InputHeight},{d.InputWidth}].", "descriptor");
            }
        }

        if (!proto.Outputs.Any(o => o.Name == d.OutputName) && !proto.Nodes.Any(n => n.Outputs.Contains(d.OutputName)))
        {
            throw new ArgumentException(
                $"Model '{d.ModelSource}' has no tensor '{d.OutputName}'; its outputs are: {string.Join(", ", proto.Outputs.Select(o => o.Name))}.", "descriptor");
        }

        return input.Dims is { Length: > 0 } && input.Dims[0] == 1;
    }
}
