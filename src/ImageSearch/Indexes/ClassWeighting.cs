using System.Numerics.Tensors;

namespace ImageSearch;

/// <summary>
/// Class-weighted distances: query and row are both multiplied element-wise by a weight vector w before comparing.
/// Since (q∘w)·(r∘w) = (q∘w²)·r, the scan needs no weighted copy of the rows: one pass yields the weighted dot
/// product and the row's weighted norm.
/// </summary>
internal sealed class ClassWeighting
{
    private readonly float[] _squaredWeights;
    private readonly float[] _query;          // the prepared query; the kernels apply the weights
    private readonly float _queryNorm;        // ||q∘w|| (cosine)
    private readonly DistanceMetric _metric;
    private float[]? _rowBuffer;

    private ClassWeighting(float[] squaredWeights, float[] query, float queryNorm, DistanceMetric metric)
    {
        _squaredWeights = squaredWeights;
        _query = query;
        _queryNorm = queryNorm;
        _metric = metric;
    }

    /// <summary>Null when the options ask for no weighting; otherwise validates the weights and prepares the query.</summary>
    public static ClassWeighting? Create(SearchOptions? options, ReadOnlySpan<float> preparedQuery, DistanceMetric metric, int dimension)
    {
        if (options is null || options.ElementWeights.IsEmpty)
        {
            return null;
        }

        ReadOnlySpan<float> w = options.ElementWeights.Span;
        if (w.Length != dimension)
        {
            throw new ArgumentException($"ElementWeights must have the index's dimension {dimension}, got {w.Length}.", nameof(options));
        }

        int bad = VectorStore.IndexOfNonFinite(w);
        if (bad >= 0)
        {
            throw new ArgumentException($"ElementWeights[{bad}] is {w[bad]}; weights must be finite.", nameof(options));
        }

        var w2 = new float[dimension];
        TensorPrimitives.Multiply(w, w, w2);
        if (TensorPrimitives.Sum(w2) == 0)
        {
            throw new ArgumentException("ElementWeights are all zero: every distance would be the same.", nameof(options));
        }

        float[] q = preparedQuery.ToArray();
        var weighted = new float[dimension];
        TensorPrimitives.Multiply(q, w2, weighted);
        float norm = MathF.Sqrt(TensorPrimitives.Dot(weighted, q)); // |q∘w|
        if (metric == DistanceMetric.Cosine && norm == 0)
        {
            throw new ArgumentException("The query is zero after class weighting (no weight where the query is non-zero); cosine is undefined.", nameof(options));
        }

        return new ClassWeighting(w2, q, norm, metric);
    }

    /// <summary>Weighted distances (not similarities) of <paramref name="rows"/> rows of a page into <paramref name="distances"/>.</summary>
    public void Scan(VectorStore.Page page, int rows, int dimension, Span<float> distances, Span<float> scratch, ScalarQuantizer? quantizer = null)
    {
        ReadOnlySpan<float> block;
        if (page.HasF32)
        {
            block = page.F32[..(rows * dimension)];
        }
        else
        {
            if (_rowBuffer is null || _rowBuffer.Length < rows * dimension)
            {
                _rowBuffer = new float[page.Keys.Length * dimension];
            }

            if (page.HasI8)
            {
                ReadOnlySpan<byte> codes = page.I8;
                // Int8 rows without f32 rows: read back through the quantiser, row by row.
                for (int r = 0; r < rows; r++)
                {
                    quantizer!.Decode(codes.Slice(r * dimension, dimension), _rowBuffer.AsSpan(r * dimension, dimension));
                }
            }
            else
            {
                TensorPrimitives.ConvertToSingle(page.F16[..(rows * dimension)], _rowBuffer.AsSpan(0, rows * dimension));
            }

            block = _rowBuffer.AsSpan(0, rows * dimension);
        }

        if (_metric == DistanceMetric.SquaredL2)
        {
            DistanceKernels.WeightedSquaredL2Scan(_query, _squaredWeights, block, distances);
            return;
        }

        DistanceKernels.WeightedDotScan(_query, _squaredWeights, block, distances, scratch);
        for (int i = 0; i < distances.Length; i++)
        {
            if (_metric == DistanceMetric.InnerProduct)
            {
                distances[i] = 1f - distances[i];
            }
            else
            {
                // A row with no weight on its support has no direction after weighting: rank it last.
                float rowNorm = MathF.Sqrt(scratch[i]);
                distances[i] = rowNorm > 0 ? 1f - (distances[i] / (_queryNorm * rowNorm)) : 2f;
            }
        }
    }
}
