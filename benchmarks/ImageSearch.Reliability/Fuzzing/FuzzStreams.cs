namespace ImageSearch.Reliability.Fuzzing;

/// <summary>
/// The stream a reader gets: for inputs of odd length one that cannot seek (and returns short reads), so the readers'
/// other path, where remaining bytes cannot be checked up front, is fuzzed too.
/// </summary>
public static class FuzzStreams
{
    public static Stream For(byte[] input) => input.Length % 2 == 0 ? new MemoryStream(input) : new ForwardOnly(input);

    private sealed class ForwardOnly(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 777));

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
