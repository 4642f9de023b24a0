using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace ImageSearch.Ann;

/// <summary>Reads TEXMEX .fvecs/.ivecs files (as SIFT1M ships): each row is an int32 dimension then that many values.</summary>
/// <remarks>Streams row by row, so a file larger than 2 GB (5M x 100, 2M x 512) loads with one copy in memory.</remarks>
internal static class TexmexReader
{
    public static (float[] Data, int Count, int Dimension) ReadFvecs(string path, int limit = int.MaxValue)
        => Read<float>(path, limit);

    public static (int[] Data, int Count, int Dimension) ReadIvecs(string path, int limit = int.MaxValue)
        => Read<int>(path, limit);

    /// <summary>Rows and dimension of a file, from its size and first row.</summary>
    public static (int Count, int Dimension) Shape(string path)
    {
        using var stream = File.OpenRead(path);
        return Shape(stream, path);
    }

    /// <summary>The rows of an .fvecs file in chunks of up to <paramref name="chunkRows"/> rows; the array is reused.</summary>
    public static IEnumerable<(float[] Chunk, int Rows, int Dimension)> ReadFvecsChunks(string path, int chunkRows, int limit = int.MaxValue)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var (count, dim) = Shape(stream, path);
        count = Math.Min(count, limit);
        var chunk = new float[(long)chunkRows * dim];
        for (int start = 0; start < count; start += chunkRows)
        {
            int rows = Math.Min(chunkRows, count - start);
            ReadRows(stream, path, chunk.AsSpan(0, rows * dim), rows, dim, start);
            yield return (chunk, rows, dim);
        }
    }

    private static (T[] Data, int Count, int Dimension) Read<T>(string path, int limit)
        where T : unmanaged
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var (count, dim) = Shape(stream, path);
        count = Math.Min(count, limit);
        var data = new T[(long)count * dim];
        const int ChunkRows = 4096;
        for (int start = 0; start < count; start += ChunkRows)
        {
            int rows = Math.Min(ChunkRows, count - start);
            ReadRows(stream, path, data.AsSpan(start * dim, rows * dim), rows, dim, start);
        }

        return (data, count, dim);
    }

    private static (int Count, int Dimension) Shape(FileStream stream, string path)
    {
        Span<byte> head = stackalloc byte[4];
        if (stream.Length < 4 || stream.Read(head) != 4)
        {
            throw new InvalidDataException($"'{path}' is too short to be a .fvecs/.ivecs file.");
        }

        stream.Position = 0;
        int dim = BinaryPrimitives.ReadInt32LittleEndian(head);
        long rowBytes = (dim + 1L) * 4;
        if (dim <= 0 || stream.Length % rowBytes != 0 || stream.Length / rowBytes > int.MaxValue)
        {
            throw new InvalidDataException($"'{path}': dimension {dim} does not divide the file size {stream.Length}.");
        }

        return ((int)(stream.Length / rowBytes), dim);
    }

    // Reads `rows` rows at the stream's position into `target` (rows x dim values), checking each row's dimension; through
    // a pooled buffer of about 1 MB, so a 4 GB file leaves no trail of large garbage arrays.
    private static void ReadRows<T>(FileStream stream, string path, Span<T> target, int rows, int dim, int firstRow)
        where T : unmanaged
    {
        int rowBytes = (dim + 1) * 4;
        int rowsPerRead = Math.Max(1, (1 << 20) / rowBytes);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Min(rows, rowsPerRead) * rowBytes);
        try
        {
            for (int done = 0; done < rows; done += rowsPerRead)
            {
                int count = Math.Min(rowsPerRead, rows - done);
                stream.ReadExactly(buffer, 0, count * rowBytes);
                for (int i = 0; i < count; i++)
                {
                    ReadOnlySpan<byte> row = buffer.AsSpan(i * rowBytes, rowBytes);
                    if (BinaryPrimitives.ReadInt32LittleEndian(row) != dim)
                    {
                        throw new InvalidDataException($"'{path}': row {firstRow + done + i} has another dimension.");
                    }

                    MemoryMarshal.Cast<byte, T>(row[4..]).CopyTo(target.Slice((done + i) * dim, dim));
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
