using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace ImageSearch.Ann;

/// <summary>Reads TEXMEX .fvecs/.ivecs files (as SIFT1M ships): each row is an int32 dimension then that many values.</summary>
internal static class TexmexReader
{
    public static (float[] Data, int Count, int Dimension) ReadFvecs(string path, int limit = int.MaxValue)
    {
        var (bytes, count, dim) = ReadRows(path, limit);
        var data = new float[(long)count * dim];
        for (int i = 0; i < count; i++)
        {
            MemoryMarshal.Cast<byte, float>(bytes.AsSpan((i * (dim + 1) * 4) + 4, dim * 4)).CopyTo(data.AsSpan(i * dim, dim));
        }

        return (data, count, dim);
    }

    public static (int[] Data, int Count, int Dimension) ReadIvecs(string path, int limit = int.MaxValue)
    {
        var (bytes, count, dim) = ReadRows(path, limit);
        var data = new int[(long)count * dim];
        for (int i = 0; i < count; i++)
        {
            MemoryMarshal.Cast<byte, int>(bytes.AsSpan((i * (dim + 1) * 4) + 4, dim * 4)).CopyTo(data.AsSpan(i * dim, dim));
        }

        return (data, count, dim);
    }

    private static (byte[] Bytes, int Count, int Dimension) ReadRows(string path, int limit)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 4)
        {
            throw new InvalidDataException($"'{path}' is too short to be a .fvecs/.ivecs file.");
        }

        int dim = BinaryPrimitives.ReadInt32LittleEndian(bytes);
        long rowBytes = (dim + 1L) * 4;
        if (dim <= 0 || bytes.Length % rowBytes != 0)
        {
            throw new InvalidDataException($"'{path}': dimension {dim} does not divide the file size {bytes.Length}.");
        }

        int count = (int)Math.Min(limit, bytes.Length / rowBytes);
        for (int i = 0; i < count; i++)
        {
            if (BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan((int)(i * rowBytes))) != dim)
            {
                throw new InvalidDataException($"'{path}': row {i} has another dimension.");
            }
        }

        return (bytes, count, dim);
    }
}
