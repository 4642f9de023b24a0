
namespace ImageSearch.Embeddings.Tests.Devise;

public class DeviseHeadTests
{
    private static (DeviseHead Head, SyntheticData Data) Trained()
    {
        var data = new SyntheticData(5, 24, 12, 7, seed: 21);
        var o = new DeviseTrainingOptions { HiddenSize = 40, Epochs = 5, BatchSize = 16, Seed = 3 };
        return (new DeviseTrainer(o).Train(data.Features, data.Targets, data.FeatureDim, data.TargetDim).Head, data);
    }

    [Fact]
    public void Embed_EmbedBatch_and_network_eval_agree()
    {
        var data = new SyntheticData(5, 24, 12, 7, seed: 21);
        var net = new DeviseNetwork(12, 40, 7, 0.5f, 0.1f, 1e-5f, 1);
        net.Initialize(new DeviseRandom(1));
        // Move running statistics away from (0, 1) so evaluation mode is distinguishable.
        for (int i = 0; i < 5; i++) net.ForwardTrain(data.Features.AsSpan(0, 32 * 12), 32, new DeviseRandom(i));
        var head = net.ToHead();
        int n = data.Count;
        var expected = new float[n * 7];
        net.ForwardEval(data.Features, n, expected);
        var batch = new float[n * 7];
        head.EmbedBatch(data.Features, n, batch, normalize: false);
        var one = new float[7];
        for (int s = 0; s < n; s++)
        {
            head.Embed(data.Features.AsSpan(s * 12, 12), one, normalize: false);
            for (int j = 0; j < 7; j++)
            {
                Assert.Equal(expected[s * 7 + j], one[j], 3);
                Assert.Equal(expected[s * 7 + j], batch[s * 7 + j], 3);
            }
        }
        head.Embed(data.Features.AsSpan(0, 12), one);
        Assert.Equal(1f, MathF.Sqrt(one.Sum(v => v * v)), 5);
    }

    [Fact]
    public void Concurrent_embedding_gives_the_sequential_results()
    {
        var (head, data) = Trained();
        int n = data.Count, o = head.OutputDimension;
        var expected = new float[n * o];
        for (int s = 0; s < n; s++) head.Embed(data.Features.AsSpan(s * 12, 12), expected.AsSpan(s * o, o));
        var actual = new float[n * o];
        Parallel.For(0, n * 20, new ParallelOptions { MaxDegreeOfParallelism = 4 }, t =>
        {
            int s = t % n;
            var v = head.Embed(data.Features.AsSpan(s * 12, 12));
            lock (actual) v.CopyTo(actual, s * o);
        });
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Eval_mode_uses_running_stats_and_no_dropout()
    {
        var data = new SyntheticData(3, 20, 6, 4, seed: 22);
        var net = new DeviseNetwork(6, 16, 4, 0.5f, 0.1f, 1e-5f, 1);
        net.Initialize(new DeviseRandom(2));
        var x = data.Features.AsSpan(0, 8 * 6).ToArray();
        // Running stats after one training step: momentum 0.1 from (0, 1) toward the batch's statistics.
        net.ForwardTrain(x, 8, new DeviseRandom(7));
        var z = new float[8 * 16];
        net.Dense1.Forward(x, 8, z);
        for (int j = 0; j < 16; j++)
        {
            double mean = 0, var = 0;
            for (int r = 0; r < 8; r++) mean += z[r * 16 + j];
            mean /= 8;
            for (int r = 0; r < 8; r++) var += (z[r * 16 + j] - mean) * (z[r * 16 + j] - mean);
            Assert.Equal(0.1 * mean, net.Bn1.RunningMean[j], 4);
            Assert.Equal(0.9 + 0.1 * var / 7, net.Bn1.RunningVar[j], 4);
        }
        // Eval is deterministic (no dropout) and differs from training mode (batch stats + dropout).
        var e1 = new float[8 * 4];
        var e2 = new float[8 * 4];
        net.ForwardEval(x, 8, e1);
        net.ForwardEval(x, 8, e2);
        Assert.Equal(e1, e2);
        var t1 = net.ForwardTrain(x, 8, new DeviseRandom(8), updateRunningStats: false).ToArray();
        var t2 = net.ForwardTrain(x, 8, new DeviseRandom(9), updateRunningStats: false).ToArray();
        Assert.NotEqual(t1, t2); // different dropout masks
        Assert.NotEqual(e1, t1);
    }

    [Fact]
    public void Dropout_keeps_about_half_and_scales_by_two()
    {
        var d = new DropoutLayer(0.5f);
        var x = Enumerable.Repeat(1f, 10000).ToArray();
        var y = new float[x.Length];
        d.ForwardTrain(x, y, new DeviseRandom(1));
        int kept = y.Count(v => v != 0f);
        Assert.InRange(kept, 4800, 5200);
        Assert.All(y, v => Assert.True(v == 0f || v == 2f));
    }

    [Fact]
    public void Save_and_load_round_trip_exactly()
    {
        var (head, data) = Trained();
        var ms = new MemoryStream();
        head.Save(ms);
        ms.Position = 0;
        var loaded = DeviseHead.Load(ms);
        Assert.Equal(head.InputDimension, loaded.InputDimension);
        Assert.Equal(head.HiddenDimension, loaded.HiddenDimension);
        Assert.Equal(head.OutputDimension, loaded.OutputDimension);
        for (int i = 0; i < head.State.Length; i++) Assert.Equal(head.State[i], loaded.State[i]);
        Assert.Equal(head.Embed(data.Features.AsSpan(0, 12)), loaded.Embed(data.Features.AsSpan(0, 12)));

        string dir = Path.Combine(Path.GetTempPath(), "devise-" + Guid.NewGuid().ToString("N"));
        try
        {
            string path = Path.Combine(dir, "head.dvs");
            head.Save(path);
            head.Save(path); // replaces atomically
            Assert.Single(Directory.GetFiles(dir)); // no temporary left behind
            Assert.Equal(head.State[6], DeviseHead.Load(path).State[6]);
        }
        finally { Directory.Delete(dir, true); }
    }

    private static byte[] Bytes(DeviseHead h)
    {
        var ms = new MemoryStream();
        h.Save(ms);
        return ms.ToArray();
    }

    [Fact]
    public void Corrupt_or_truncated_files_are_refused_with_the_reason()
    {
        var (head, _) = Trained();
        byte[] good = Bytes(head);

        byte[] flipped = (byte[])good.Clone();
        flipped[good.Length / 2] ^= 0x10;
        Assert.Contains("CRC-32C", Assert.Throws<InvalidDataException>(() => DeviseHead.Load(new MemoryStream(flipped))).Message);

        byte[] truncated = good.AsSpan(0, good.Length - 100).ToArray();
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => DeviseHead.Load(new MemoryStream(truncated))).Message);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => DeviseHead.Load(new MemoryStream(good.AsSpan(0, 20).ToArray()))).Message);
        // A non-seekable stream is still caught (reads run out inside a tensor).
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => DeviseHead.Load(new NonSeekable(truncated))).Message);

        byte[] magic = (byte[])good.Clone();
        magic[0] = (byte)'X';
        Assert.Contains("magic", Assert.Throws<InvalidDataException>(() => DeviseHead.Load(new MemoryStream(magic))).Message);

        byte[] version = (byte[])good.Clone();
        version[8] = 9;
        Assert.Contains("version 9", Assert.Throws<InvalidDataException>(() => DeviseHead.Load(new MemoryStream(version))).Message);

        byte[] shape = (byte[])good.Clone();
        shape[15] = 0x7F; // absurd input dimension
        Assert.Contains("invalid header", Assert.Throws<InvalidDataException>(() => DeviseHead.Load(new MemoryStream(shape))).Message);

        byte[] tail = (byte[])good.Clone();
        tail[^1] ^= 1;
        Assert.Contains("CRC-32C", Assert.Throws<InvalidDataException>(() => DeviseHead.Load(new MemoryStream(tail))).Message);
    }

    [Fact]
    public void A_non_seekable_stream_allocates_what_it_holds_not_what_its_header_declares()
    {
        var (head, _) = Trained();
        byte[] huge = new byte[4096]; // the header and 4 KB of tensors
        Bytes(head).AsSpan(0, 32).CopyTo(huge);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(huge.AsSpan(12), 8192); // inputs
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(huge.AsSpan(16), 8192); // hidden: W1 declares 256 MB
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => DeviseHead.Load(new NonSeekable(huge))).Message);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 4 << 20, $"allocated {allocated:N0} bytes for a 4 KB stream");

        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(huge.AsSpan(12), 65536);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(huge.AsSpan(16), 65536); // W1 past Array.MaxLength
        Assert.Contains("larger than", Assert.Throws<InvalidDataException>(() => DeviseHead.Load(new NonSeekable(huge))).Message);
    }

    [Fact]
    public void A_head_with_tensors_larger_than_the_first_read_loads_from_a_non_seekable_stream()
    {
        // W1 holds 150,000 floats: read in growing pieces from a non-seekable stream, it must come back whole.
        var rng = new Random(5);
        int[] sizes = [300 * 500, 500, 500, 500, 500, 500, 500 * 7, 7, 7, 7, 7, 7];
        float[][] state = [.. sizes.Select(n => Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble() + 0.5f).ToArray())];
        var head = new DeviseHead(300, 500, 7, 1e-5f, state);
        DeviseHead loaded = DeviseHead.Load(new NonSeekable(Bytes(head)));
        for (int i = 0; i < state.Length; i++) Assert.Equal(state[i], loaded.State[i]);
    }

    [Fact]
    public void Crc_matches_the_castagnoli_check_value()
    {
        // CRC-32C("123456789") = 0xE3069283 (the standard check value).
        Assert.Equal(0xE3069283u, ~DeviseHeadFile.Crc(~0u, "123456789"u8));
    }

    [Fact]
    public void Embed_rejects_wrong_lengths()
    {
        var (head, _) = Trained();
        Assert.Equal("features", Assert.Throws<ArgumentException>(() => head.Embed(new float[11])).ParamName);
        Assert.Equal("destination", Assert.Throws<ArgumentException>(() => head.Embed(new float[12], new float[3])).ParamName);
        Assert.Equal("features", Assert.Throws<ArgumentException>(() => head.EmbedBatch(new float[25], 2, new float[14])).ParamName);
    }

    private sealed class NonSeekable(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 1000));
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
