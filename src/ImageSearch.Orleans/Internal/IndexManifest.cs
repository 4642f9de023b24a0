using System.Buffers.Binary;

namespace ImageSearch;

/// <summary>
/// What a distributed index is, as stored in its manifest (<c>{index}/manifest</c>) and passed between grains: shard count,
/// dimension, metric, index kind, element type, HNSW options and the storage layout version. File layout
/// (little-endian): magic <c>"ISDMANI\x1A"</c>, format version (4), the fields, CRC-32C of everything before it (4).
/// </summary>
[GenerateSerializer, Immutable]
internal sealed record IndexManifest
{
    /// <summary>The storage layout this library writes: <c>{index}/manifest</c>, <c>{index}/shard-NNNN/snapshot-G</c> and
    /// <c>log-G</c> (see <see cref="ShardStorageNames"/>). A different layout is refused on open.</summary>
    public const int CurrentLayout = 1;

    private const int FormatVersion = 1;
    private static ReadOnlySpan<byte> Magic => "ISDMANI\x1A"u8;

    [Id(0)] public int ShardCount { get; init; }
    [Id(1)] public int Dimension { get; init; }
    [Id(2)] public int Metric { get; init; }
    [Id(3)] public int Kind { get; init; }
    [Id(4)] public int ElementType { get; init; }
    [Id(5)] public int M { get; init; }
    [Id(6)] public int EfConstruction { get; init; }
    [Id(7)] public int Ef { get; init; }
    [Id(8)] public int Seed { get; init; }
    [Id(9)] public double LevelMultiplier { get; init; } // NaN: the default (1 / ln M)
    [Id(10)] public double ExactFilterThreshold { get; init; }
    [Id(11)] public int Layout { get; init; } = CurrentLayout;

    public static IndexManifest From(DistributedIndexOptions options)
    {
        HnswOptions h = options.Kind == DistributedIndexKind.Hnsw ? options.EffectiveHnsw : new HnswOptions() { M = 0, EfConstruction = 0, Ef = 0, Seed = 0 };
        return new IndexManifest
        {
            ShardCount = options.ShardCount,
            Dimension = options.Dimension,
            Metric = (int)options.Metric,
            Kind = (int)options.Kind,
            ElementType = (int)options.ElementType,
            M = h.M,
            EfConstruction = h.EfConstruction,
            Ef = h.Ef,
            Seed = h.Seed,
            LevelMultiplier = options.Kind == DistributedIndexKind.Hnsw ? h.LevelMultiplier ?? double.NaN : double.NaN,
            ExactFilterThreshold = options.Kind == DistributedIndexKind.Hnsw ? h.ExactFilterThreshold : 0,
        };
    }

    public DistributedIndexOptions ToOptions() => new()
    {
        ShardCount = ShardCount,
        Dimension = Dimension,
        Metric = (DistanceMetric)Metric,
        Kind = (DistributedIndexKind)Kind,
        ElementType = (VectorElementType)ElementType,
        Hnsw = (DistributedIndexKind)Kind == DistributedIndexKind.Hnsw ? HnswOptions() : null,
    };

    public HnswOptions HnswOptions() => new()
    {
        M = M,
        EfConstruction = EfConstruction,
        Ef = Ef,
        Seed = Seed,
        LevelMultiplier = double.IsNaN(LevelMultiplier) ? null : LevelMultiplier,
        ElementType = (VectorElementType)ElementType,
        ExactFilterThreshold = ExactFilterThreshold,
    };

    /// <summary>The fields that differ from <paramref name="other"/>, as "name: stored X, asked Y" phrases.</summary>
    public IReadOnlyList<string> Differences(IndexManifest other)
    {
        var d = new List<string>();
        void Check<T>(string name, T stored, T asked)
        {
            if (!EqualityComparer<T>.Default.Equals(stored, asked))
            {
                d.Add($"{name}: stored {stored}, asked {asked}");
            }
        }

        Check("ShardCount", ShardCount, other.ShardCount);
        Check("Dimension", Dimension, other.Dimension);
        Check("Metric", (DistanceMetric)Metric, (DistanceMetric)other.Metric);
        Check("Kind", (DistributedIndexKind)Kind, (DistributedIndexKind)other.Kind);
        Check("ElementType", (VectorElementType)ElementType, (VectorElementType)other.ElementType);
        Check("Hnsw.M", M, other.M);
        Check("Hnsw.EfConstruction", EfConstruction, other.EfConstruction);
        Check("Hnsw.Ef", Ef, other.Ef);
        Check("Hnsw.Seed", Seed, other.Seed);
        Check("Hnsw.LevelMultiplier", LevelMultiplier, other.LevelMultiplier);
        Check("Hnsw.ExactFilterThreshold", ExactFilterThreshold, other.ExactFilterThreshold);
        Check("storage layout", Layout, other.Layout);
        return d;
    }

    public byte[] Encode()
    {
        var bytes = new byte[8 + 4 + (10 * 4) + (2 * 8) + 4];
        Magic.CopyTo(bytes);
        int p = 8;
        void I(int v)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(p), v);
            p += 4;
        }

        I(FormatVersion);
        I(Layout);
        I(ShardCount);
        I(Dimension);
        I(Metric);
        I(Kind);
        I(ElementType);
        I(M);
        I(EfConstruction);
        I(Ef);
        I(Seed);
        BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(p), LevelMultiplier);
        BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(p + 8), ExactFilterThreshold);
        p += 16;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(p), Crc32C.Compute(bytes.AsSpan(0, p)));
        return bytes;
    }

    /// <exception cref="InvalidDataException">Not a manifest, another version, or a failed checksum.</exception>
    public static IndexManifest Decode(byte[] s, string name)
    {
        const int Size = 8 + 4 + (10 * 4) + (2 * 8) + 4;
        if (s.Length != Size || !s.AsSpan(0, 8).SequenceEqual(Magic))
        {
            throw new InvalidDataException($"{name} is not an ImageSearch distributed index manifest.");
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(s.AsSpan(Size - 4)) != Crc32C.Compute(s.AsSpan(0, Size - 4)))
        {
            throw new InvalidDataException($"{name} fails its checksum (the manifest is corrupt).");
        }

        int p = 8;
        int I()
        {
            int v = BinaryPrimitives.ReadInt32LittleEndian(s.AsSpan(p));
            p += 4;
            return v;
        }

        int version = I();
        if (version != FormatVersion)
        {
            throw new InvalidDataException($"{name} has manifest version {version}; this library reads version {FormatVersion}.");
        }

        var m = new IndexManifest
        {
            Layout = I(),
            ShardCount = I(),
            Dimension = I(),
            Metric = I(),
            Kind = I(),
            ElementType = I(),
            M = I(),
            EfConstruction = I(),
            Ef = I(),
            Seed = I(),
        };
        return m with
        {
            LevelMultiplier = BinaryPrimitives.ReadDoubleLittleEndian(s.AsSpan(p)),
            ExactFilterThreshold = BinaryPrimitives.ReadDoubleLittleEndian(s.AsSpan(p + 8)),
        };
    }

    /// <summary>A new, empty index of this manifest's kind (one shard).</summary>
    public IVectorIndex CreateIndex() => (DistributedIndexKind)Kind == DistributedIndexKind.Exact
        ? new ExactIndex(Dimension, (DistanceMetric)Metric, (VectorElementType)ElementType)
        : new HnswIndex(Dimension, (DistanceMetric)Metric, HnswOptions());
}
