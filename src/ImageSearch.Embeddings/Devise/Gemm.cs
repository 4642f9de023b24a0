using System.Runtime.CompilerServices;
using System.Numerics;

namespace ImageSearch;

/// <summary>
/// Single-precision matrix products on row-major matrices: <c>C = A*B</c>, <c>C = A^T*B</c>, <c>C = A*B^T</c>
/// (overwriting C). Work is split over fixed blocks of output rows with <see cref="Parallel.For(int, int, Action{int})"/>;
/// every output element is summed by one thread in a fixed order, so results are bit-identical whatever the
/// number of threads. The register-tiled kernel uses <see cref="Vector{T}"/> (AVX2 or Arm64 AdvSimd); other
/// hardware takes a scalar path.
/// </summary>
internal static class Gemm
{
    // Output rows per parallel task; fixed so partitioning never depends on the core count.
    private const int RowsPerTask = 32;

    // Below this many multiply-adds the product runs on the calling thread (task overhead dominates).
    private const long ParallelThreshold = 1L << 17;

    /// <summary>C[m x n] = A[m x k] * B[k x n].</summary>
    public static void MatMul(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, int maxThreads = -1)
    {
        Check(a.Length, (long)m * k, b.Length, (long)k * n, c.Length, (long)m * n);
        // A(i,p) = a[i*k + p]
        Run(a, b, c, m, k, n, aRowStride: k, aColStride: 1, maxThreads);
    }

    /// <summary>C[m x n] = A^T * B where A is [k x m] and B is [k x n].</summary>
    public static void MatMulTransA(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, int maxThreads = -1)
    {
        Check(a.Length, (long)k * m, b.Length, (long)k * n, c.Length, (long)m * n);
        // A^T(i,p) = a[p*m + i]
        Run(a, b, c, m, k, n, aRowStride: 1, aColStride: m, maxThreads);
    }

    /// <summary>
    /// C[m x n] = A[m x k] * B^T where B is [n x k]. B is transposed into <paramref name="scratch"/> (at least
    /// <c>k*n</c> elements) so the same cache-friendly kernel serves.
    /// </summary>
    public static void MatMulTransB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, Span<float> scratch, int maxThreads = -1)
    {
        Check(a.Length, (long)m * k, b.Length, (long)n * k, c.Length, (long)m * n);
        if (scratch.Length < (long)k * n) throw new ArgumentException("Scratch too small.", nameof(scratch));
        Transpose(b, scratch, n, k);
        Run(a, scratch[..(k * n)], c, m, k, n, aRowStride: k, aColStride: 1, maxThreads);
    }

    /// <summary>dst[cols x rows] = src[rows x cols]^T.</summary>
    public static void Transpose(ReadOnlySpan<float> src, Span<float> dst, int rows, int cols)
    {
        const int T = 32; // tile for cache locality
        for (int i0 = 0; i0 < rows; i0 += T)
        {
            int i1 = Math.Min(rows, i0 + T);
            for (int j0 = 0; j0 < cols; j0 += T)
            {
                int j1 = Math.Min(cols, j0 + T);
                for (int i = i0; i < i1; i++)
                {
                    for (int j = j0; j < j1; j++) dst[j * rows + i] = src[i * cols + j];
                }
            }
        }
    }

    private static void Check(int aLen, long aNeed, int bLen, long bNeed, int cLen, long cNeed)
    {
        if (aLen < aNeed) throw new ArgumentException("Matrix A is smaller than its shape.", "a");
        if (bLen < bNeed) throw new ArgumentException("Matrix B is smaller than its shape.", "b");
        if (cLen < cNeed) throw new ArgumentException("Matrix C is smaller than its shape.", "c");
    }

    private static unsafe void Run(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, int aRowStride, int aColStride, int maxThreads)
    {
        if (m == 0 || n == 0) return;
        if (k == 0) { c[..(m * n)].Clear(); return; }
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            var job = new Job(pa, pb, pc, m, k, n, aRowStride, aColStride);
            int tasks = (m + RowsPerTask - 1) / RowsPerTask;
            if (tasks == 1 || (long)m * k * n < ParallelThreshold || maxThreads == 1)
            {
                for (int t = 0; t < tasks; t++) job.RunBlock(t);
            }
            else
            {
                var po = new ParallelOptions { MaxDegreeOfParallelism = maxThreads > 0 ? maxThreads : -1 };
                Parallel.For(0, tasks, po, job.RunBlock);
            }
        }
    }

    private sealed unsafe class Job(float* a, float* b, float* c, int m, int k, int n, int ars, int acs)
    {
        // Vector<float> is 8 lanes with AVX2 and 4 on Arm64 (AdvSimd), so one kernel serves both.
        private static readonly int W = Vector<float>.Count;

        public void RunBlock(int task)
        {
            int i0 = task * RowsPerTask;
            int i1 = Math.Min(m, i0 + RowsPerTask);
            // Column panels of 2 vectors keep a k x 2W slice of B hot in cache while four rows of A stream past it.
            int j = 0;
            if (Vector.IsHardwareAccelerated)
            {
                for (; j + 2 * W <= n; j += 2 * W)
                {
                    int i = i0;
                    for (; i + 4 <= i1; i += 4) Kernel4(i, j);
                    for (; i < i1; i++) Kernel1(i, j);
                }
            }
            for (; j < n; j++)
            {
                for (int i = i0; i < i1; i++) c[(long)i * n + j] = Scalar(i, j);
            }
        }

        private float Scalar(int i, int j)
        {
            float s = 0;
            float* pa = a + (long)i * ars;
            for (int p = 0; p < k; p++) s = MathF.FusedMultiplyAdd(pa[(long)p * acs], b[(long)p * n + j], s);
            return s;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Kernel4(int i, int j)
        {
            Vector<float> c00 = default, c01 = default, c10 = default, c11 = default;
            Vector<float> c20 = default, c21 = default, c30 = default, c31 = default;
            float* a0 = a + (long)i * ars, a1 = a0 + ars, a2 = a1 + ars, a3 = a2 + ars;
            float* pb = b + j;
            int w = W;
            for (int p = 0; p < k; p++)
            {
                var b0 = Unsafe.ReadUnaligned<Vector<float>>(pb);
                var b1 = Unsafe.ReadUnaligned<Vector<float>>(pb + w);
                pb += n;
                long o = (long)p * acs;
                var x = new Vector<float>(a0[o]);
                c00 = Vector.FusedMultiplyAdd(x, b0, c00); c01 = Vector.FusedMultiplyAdd(x, b1, c01);
                x = new Vector<float>(a1[o]);
                c10 = Vector.FusedMultiplyAdd(x, b0, c10); c11 = Vector.FusedMultiplyAdd(x, b1, c11);
                x = new Vector<float>(a2[o]);
                c20 = Vector.FusedMultiplyAdd(x, b0, c20); c21 = Vector.FusedMultiplyAdd(x, b1, c21);
                x = new Vector<float>(a3[o]);
                c30 = Vector.FusedMultiplyAdd(x, b0, c30); c31 = Vector.FusedMultiplyAdd(x, b1, c31);
            }
            float* pc = c + (long)i * n + j;
            Unsafe.WriteUnaligned(pc, c00); Unsafe.WriteUnaligned(pc + w, c01); pc += n;
            Unsafe.WriteUnaligned(pc, c10); Unsafe.WriteUnaligned(pc + w, c11); pc += n;
            Unsafe.WriteUnaligned(pc, c20); Unsafe.WriteUnaligned(pc + w, c21); pc += n;
            Unsafe.WriteUnaligned(pc, c30); Unsafe.WriteUnaligned(pc + w, c31);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Kernel1(int i, int j)
        {
            Vector<float> c0 = default, c1 = default;
            float* a0 = a + (long)i * ars;
            float* pb = b + j;
            int w = W;
            for (int p = 0; p < k; p++)
            {
                var x = new Vector<float>(a0[(long)p * acs]);
                c0 = Vector.FusedMultiplyAdd(x, Unsafe.ReadUnaligned<Vector<float>>(pb), c0);
                c1 = Vector.FusedMultiplyAdd(x, Unsafe.ReadUnaligned<Vector<float>>(pb + w), c1);
                pb += n;
            }
            float* pc = c + (long)i * n + j;
            Unsafe.WriteUnaligned(pc, c0); Unsafe.WriteUnaligned(pc + w, c1);
        }
    }
}
