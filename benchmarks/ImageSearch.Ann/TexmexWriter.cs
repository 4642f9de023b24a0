using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace ImageSearch.Ann;

/// <summary>Writes TEXMEX .fvecs/.ivecs files row by row, so a base set never needs a second copy in memory.</summary>
internal sealed class TexmexWriter : IDisposable
{
    private readonly FileStream _stream;
    private readonly int _dimension;
    private readonly byte[] _row;

    public TexmexWriter(string path, int dimension)
    {
        _stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        _dimension = dimension;
        _row = new byte[(dimension + 1) * 4];
        BinaryPrimitives.WriteInt32LittleEndian(_row, dimension);
    }

    public long Rows { get; private set; }

    /// <summary>Appends rows (a multiple of the dimension, float or int).</summary>
    public void Write<T>(ReadOnlySpan<T> rows)
        where T : unmanaged
    {
        if (rows.Length % _dimension != 0) throw new ArgumentException("Not a whole number of rows.", nameof(rows));
        for (int i = 0; i < rows.Length; i += _dimension)
        {
            MemoryMarshal.AsBytes(rows.Slice(i, _dimension)).CopyTo(_row.AsSpan(4));
            _stream.Write(_row);
            Rows++;
        }
    }

    public void Dispose() => _stream.Dispose();
}
