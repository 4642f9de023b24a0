using System.Buffers.Binary;

namespace ImageSearch;

/// <summary>
/// The records file of a collection (<c>collection.isvd</c>): magic <c>"ISVDATA\x1A"</c>, format version (u32), payload
/// length (i64), CRC-32C of the payload (u32), then the payload: the generation of the index files that go with it, the
/// schema, the id high-water mark, and each record (id, key, data values, vector lengths). Written atomically
/// (temporary file, flush, rename) after the index files of its generation, so the set on disk is always consistent.
/// </summary>
internal static class RecordsFile
{
    public const int FormatVersion = 1;

    private const int HeaderSize = 8 + 4 + 8 + 4;

    public static ReadOnlySpan<byte> Magic => "ISVDATA\x1A"u8;

    public sealed record Contents(long Generation, CollectionSchema Schema, int HighWater, List<(int Id, StoredRecord Record)> Records);

    public static void Write(string path, long generation, CollectionSchema schema, int highWater, IReadOnlyList<(int Id, StoredRecord Record)> records)
    {
        using var payload = new MemoryStream();
        using (var w = new BinaryWriter(payload, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(generation);
            schema.Write(w);
            w.Write(highWater);
            w.Write(records.Count);
            foreach ((int id, StoredRecord record) in records)
            {
                w.Write(id);
                StoredTypes.Write(w, schema.KeyType, record.Key);
                for (int i = 0; i < schema.Data.Length; i++)
                {
                    StoredTypes.Write(w, schema.Data[i].Type, record.Data[i]);
                }

                foreach (float norm in record.Norms)
                {
                    w.Write(norm);
                }
            }
        }

        ReadOnlySpan<byte> bytes = payload.GetBuffer().AsSpan(0, (int)payload.Length);
        Span<byte> header = stackalloc byte[HeaderSize];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], FormatVersion);
        BinaryPrimitives.WriteInt64LittleEndian(header[12..], bytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], Crc32C.Compute(bytes));
        byte[] head = header.ToArray();
        byte[] body = payload.GetBuffer();
        int length = (int)payload.Length;
        IndexFile.SaveAtomic(path, stream =>
        {
            stream.Write(head);
            stream.Write(body, 0, length);
        });
    }

    /// <summary>Reads and checks a records file.</summary>
    /// <exception cref="InvalidDataException">The file is not a records file, or it is truncated or corrupt.</exception>
    public static Contents Read(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        try
        {
            if (file.Length < HeaderSize || !file.AsSpan(0, 8).SequenceEqual(Magic))
            {
                throw new InvalidDataException("Not an ImageSearch.VectorData records file.");
            }

            uint version = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(8));
            if (version != FormatVersion)
            {
                throw new InvalidDataException($"Records file version {version} is not supported (this library reads version {FormatVersion}).");
            }

            long length = BinaryPrimitives.ReadInt64LittleEndian(file.AsSpan(12));
            if (length != file.Length - HeaderSize)
            {
                throw new InvalidDataException($"The file is truncated or has trailing data ({file.Length - HeaderSize} payload bytes, {length} expected).");
            }

            uint crc = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(20));
            if (Crc32C.Compute(file.AsSpan(HeaderSize)) != crc)
            {
                throw new InvalidDataException("The records checksum does not match: the file is corrupt.");
            }

            using var r = new BinaryReader(new MemoryStream(file, HeaderSize, (int)length, writable: false));
            long generation = r.ReadInt64();
            CollectionSchema schema = CollectionSchema.Read(r);
            int highWater = r.ReadInt32();
            int count = CollectionSchema.ReadCount(r, Math.Max(0, highWater));
            if (highWater < 0)
            {
                throw new InvalidDataException($"Bad id high-water mark {highWater}.");
            }

            // Each record takes at least its id, one marker per key and data value, and its vector lengths: checked
            // before the list is sized, so a corrupt count cannot allocate more than the file justifies.
            long smallest = 4 + 1 + schema.Data.Length + (4L * schema.Vectors.Length);
            if (count > (length - r.BaseStream.Position) / smallest)
            {
                throw new InvalidDataException($"The file declares {count} records; its {length - r.BaseStream.Position} remaining bytes cannot hold them.");
            }

            var records = new List<(int, StoredRecord)>(count);
            for (int n = 0; n < count; n++)
            {
                int id = r.ReadInt32();
                if (id < 0 || id >= highWater)
                {
                    throw new InvalidDataException($"Record id {id} is out of range.");
                }

                object key = StoredTypes.Read(r, schema.KeyType) ?? throw new InvalidDataException("A record has no key.");
                var data = new object?[schema.Data.Length];
                for (int i = 0; i < data.Length; i++)
                {
                    data[i] = StoredTypes.Read(r, schema.Data[i].Type);
                }

                var norms = new float[schema.Vectors.Length];
                for (int i = 0; i < norms.Length; i++)
                {
                    norms[i] = r.ReadSingle();
                }

                records.Add((id, new StoredRecord(key, data, norms)));
            }

            if (r.BaseStream.Position != length)
            {
                throw new InvalidDataException("The records payload has trailing data.");
            }

            // Ids above the highest stored one are free: the mark is lowered to it, so what the store sizes from the
            // mark (its id table) follows the records present, whatever mark a corrupt file declares.
            int used = records.Count == 0 ? 0 : records.Max(r => r.Item1) + 1;
            return new Contents(generation, schema, used, records);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"'{path}': the records payload is truncated.", e);
        }
        catch (Exception e) when (e is IOException or FormatException or ArgumentException)
        {
            // BinaryReader and the value constructors (dates, Guid, decimal) refuse corrupt bytes with these.
            throw new InvalidDataException($"'{path}': the records payload is corrupt ({e.Message}).", e);
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith('\''))
        {
            throw new InvalidDataException($"'{path}': {e.Message}", e);
        }
    }
}
