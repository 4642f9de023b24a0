using System.Numerics.Tensors;

namespace ImageSearch;

/// <summary>
/// Trains a multinomial logistic-regression (softmax) classifier on embeddings, for backbones without a class head
/// (such as ResNet-18): mean cross-entropy plus an L2 penalty, minimised over the full batch with L-BFGS and an
/// Armijo backtracking line search. Deterministic: the same input gives the same weights. Thread-safe (stateless).
/// </summary>
public static class LogisticRegressionHead
{
    /// <summary>Trains the classifier.</summary>
    /// <param name="embeddings">Row-major [samples x <paramref name="dimension"/>] finite values.</param>
    /// <param name="dimension">Embedding dimension.</param>
    /// <param name="labels">Class index of each sample, 0 to <c>classNames.Count - 1</c>.</param>
    /// <param name="classNames">Class names (at least two).</param>
    /// <param name="options">Regularisation and iterations; <see langword="null"/> for defaults.</param>
    /// <returns>Weights and bias applying to raw embeddings: <c>score_j = dot(e, W_j) + b_j</c>.</returns>
    /// <exception cref="ArgumentException">Sizes disagree, a label is out of range, or a value is NaN or infinite.</exception>
    public static ClassWeights Train(
        ReadOnlySpan<float> embeddings,
        int dimension,
        ReadOnlySpan<int> labels,
        IReadOnlyList<string> classNames,
        LogisticRegressionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        options ??= new LogisticRegressionOptions();
        options.Validate();
        int n = labels.Length, k = classNames.Count, d = dimension;
        if (k < 2)
        {
            throw new ArgumentException("At least two classes are needed.", nameof(classNames));
        }

        if (n == 0 || embeddings.Length != (long)n * d)
        {
            throw new ArgumentException($"embeddings has {embeddings.Length} values; {n} labels x {d} = {(long)n * d} expected (and at least one sample).", nameof(embeddings));
        }

        for (int i = 0; i < n; i++)
        {
            if ((uint)labels[i] >= (uint)k)
            {
                throw new ArgumentException($"labels[{i}] = {labels[i]} is outside 0..{k - 1}.", nameof(labels));
            }
        }

        for (int i = 0; i < embeddings.Length; i++)
        {
            if (!float.IsFinite(embeddings[i]))
            {
                throw new ArgumentException($"embeddings[{i}] is {embeddings[i]}; all values must be finite.", nameof(embeddings));
            }
        }

        // Standardised copy of the data.
        var x = embeddings.ToArray();
        var mean = new float[d];
        var invStd = new float[d];
        Array.Fill(invStd, 1f);
        if (options.Standardize)
        {
            for (int j = 0; j < d; j++)
            {
                double s = 0, s2 = 0;
                for (int i = 0; i < n; i++)
                {
                    double v = x[(i * d) + j];
                    s += v;
                    s2 += v * v;
                }

                double m = s / n, variance = Math.Max(0, (s2 / n) - (m * m));
                mean[j] = (float)m;
                invStd[j] = variance > 1e-12 ? (float)(1 / Math.Sqrt(variance)) : 1f;
            }

            for (int i = 0; i < n; i++)
            {
                var row = x.AsSpan(i * d, d);
                TensorPrimitives.Subtract(row, mean, row);
                TensorPrimitives.Multiply(row, invStd, row);
            }
        }

        var problem = new SoftmaxProblem(x, labels.ToArray(), n, d, k, options.L2);
        var theta = new double[(k * d) + k]; // weights row-major [k x d], then k biases
        Lbfgs.Minimize(problem.Evaluate, theta, options.MaxIterations, options.History, options.Tolerance);

        // Undo the standardisation: W_raw = W * invStd, b_raw = b - sum_j W_raw_j * mean_j.
        var weights = new float[k * d];
        var bias = new float[k];
        for (int c = 0; c < k; c++)
        {
            double b = theta[(k * d) + c];
            for (int j = 0; j < d; j++)
            {
                double w = theta[(c * d) + j] * invStd[j];
                weights[(c * d) + j] = (float)w;
                b -= w * mean[j];
            }

            bias[c] = (float)b;
        }

        return new ClassWeights(classNames, weights, d, bias);
    }

    /// <summary>Mean softmax cross-entropy with L2 on the weights; value and gradient.</summary>
    private sealed class SoftmaxProblem(float[] x, int[] y, int n, int d, int k, double l2)
    {
        private readonly float[] _w = new float[k * d];
        private readonly float[] _logits = new float[k];
        private readonly double[] _gradW = new double[k * d];

        public double Evaluate(double[] theta, double[] gradient)
        {
            for (int i = 0; i < _w.Length; i++)
            {
                _w[i] = (float)theta[i];
            }

            Array.Clear(_gradW);
            Array.Clear(gradient);
            double loss = 0;
            var gradB = gradient.AsSpan(k * d, k);
            for (int i = 0; i < n; i++)
            {
                var row = x.AsSpan(i * d, d);
                for (int c = 0; c < k; c++)
                {
                    _logits[c] = TensorPrimitives.Dot(row, _w.AsSpan(c * d, d)) + (float)theta[(k * d) + c];
                }

                float max = TensorPrimitives.Max(_logits);
                double sum = 0;
                for (int c = 0; c < k; c++)
                {
                    sum += Math.Exp(_logits[c] - max);
                }

                double logSum = max + Math.Log(sum);
                loss += logSum - _logits[y[i]];
                for (int c = 0; c < k; c++)
                {
                    double p = Math.Exp(_logits[c] - logSum) - (c == y[i] ? 1 : 0);
                    if (p == 0)
                    {
                        continue;
                    }

                    gradB[c] += p;
                    var g = _gradW.AsSpan(c * d, d);
                    for (int j = 0; j < d; j++)
                    {
                        g[j] += p * row[j];
                    }
                }
            }

            double inv = 1.0 / n, reg = 0;
            for (int i = 0; i < k * d; i++)
            {
                gradient[i] = (_gradW[i] * inv) + (l2 * theta[i]);
                reg += theta[i] * theta[i];
            }

            for (int c = 0; c < k; c++)
            {
                gradB[c] *= inv;
            }

            return (loss * inv) + (0.5 * l2 * reg);
        }
    }
}
