using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ImageSearch;

public sealed partial class ExactIndex
{
    [ThreadStatic]
    private static BoundedScanBuffers? t_bounded;

    /// <summary>
    /// An exact search over Int8 rows with f32 rows kept, returning what the f32 scan returns (same keys, same f32
    /// distances, same tie order) while reading the 8-bit rows for every row and the f32 rows only for a few.
    /// </summary>
    /// <remarks>
    /// <para>First pass: for every live row x an interval [lo(x), hi(x)] proven to hold the distance the f32 scan would
    /// compute, from an integer dot product of the query (scaled to 16 bits) with the row's codes; tau is the k-th
    /// smallest hi. A row with lo(x) &gt; tau is beaten, strictly, by k rows whatever the keys, so it cannot be in the top k.
    /// Second pass: the f32 distance of every other row, computed by the same kernel call the f32 scan makes for it (the
    /// one-to-many kernel's result for a row depends on its group of eight rows, which is recomputed as a whole), pushed
    /// into the same heap. The derivation of the interval is in <c>docs/architecture.md</c> ("Bounded exact scan").</para>
    /// </remarks>
    private void BoundedScan(ReadOnlySpan<float> q, Span<SearchResult> heap, ref int count)
    {
        VectorStore store = _store;
        int slots = store.SlotCount;
        if (slots == 0 || store.Quantizer is not { } quantizer)
        {
            return;
        }

        int dim = store.Dimension, rowsPerPage = store.RowsPerPage, k = heap.Length;
        BoundedScanBuffers buffers = t_bounded ??= new BoundedScanBuffers();
        buffers.Ensure(dim, rowsPerPage, k);
        var bound = QueryBound.Create(q, quantizer, buffers.Query.AsSpan(0, dim), store.Metric);

        // First pass: intervals from the 8-bit rows; tau from a max-heap of the k smallest upper ends. A vector compare
        // of the integer dot products against a threshold derived from tau and the store's extreme error terms
        // (QueryBound.RejectBelow) skips most rows before any interval is computed.
        var state = new FirstPass { Tau = double.PositiveInfinity, Threshold = int.MinValue };
        int[] dots = buffers.Dots;
        bool l2 = store.Metric == DistanceMetric.SquaredL2;
        float maxError = store.MaxError, minNormSquared = store.MinNormSquared;
        for (int start = 0, p = 0; start < slots; start += rowsPerPage, p++)
        {
            int rows = Math.Min(rowsPerPage, slots - start);
            VectorStore.Page page = store.GetPage(p);
            DistanceKernels.QuantizedDotScan(buffers.Query.AsSpan(0, dim), page.I8[..(rows * dim)], dots.AsSpan(0, rows));
            int r = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                ref int d0 = ref MemoryMarshal.GetArrayDataReference(dots);
                for (; r + Vector256<int>.Count <= rows; r += Vector256<int>.Count)
                {
                    uint mask = Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref d0, (nuint)r), Vector256.Create(state.Threshold)).ExtractMostSignificantBits();
                    while (mask != 0)
                    {
                        int j = r + BitOperations.TrailingZeroCount(mask);
                        mask &= mask - 1;
                        ConsiderInterval(ref state, bound, page, j, start, dots[j], l2, k, buffers, maxError, minNormSquared);
                    }
                }
            }

            for (; r < rows; r++)
            {
                if (dots[r] >= state.Threshold)
                {
                    ConsiderInterval(ref state, bound, page, r, start, dots[r], l2, k, buffers, maxError, minNormSquared);
                }
            }
        }

        double tau = state.Tau;
        int candidates = state.Candidates;

        // Second pass: exact f32 distances for the rows tau does not rule out, in slot order.
        float[] group = buffers.Group;
        int groupPage = -1, groupStart = -1, groupRows = 0;
        for (int i = 0; i < candidates; i++)
        {
            if (buffers.CandidateLower[i] > tau)
            {
                continue;
            }

            int slot = buffers.CandidateSlots[i];
            int p = slot >> store.PageShift, r = slot & (rowsPerPage - 1);
            int rows = Math.Min(rowsPerPage, slots - (p << store.PageShift));
            int g = r & ~(RowPrefetch.GroupRows - 1);
            VectorStore.Page page = store.GetPage(p);
            if (p != groupPage || g != groupStart || (groupRows == 1 && r != groupStart))
            {
                // As ScanInto's kernel call sees this row: inside a full group of eight, or alone in the page's tail.
                groupPage = p;
                if (g + RowPrefetch.GroupRows <= rows)
                {
                    groupStart = g;
                    groupRows = RowPrefetch.GroupRows;
                }
                else
                {
                    groupStart = r;
                    groupRows = 1;
                }

                ReadOnlySpan<float> block = page.F32.Slice(groupStart * dim, groupRows * dim);
                if (l2) DistanceKernels.SquaredL2Scan(q, block, group.AsSpan(0, groupRows));
                else DistanceKernels.DotScan(q, block, group.AsSpan(0, groupRows));
            }

            float score = group[r - groupStart];
            Consider(r, l2 ? score : 1f - score, page, null, heap, ref count);
        }
    }

    /// <summary>The running state of the first pass.</summary>
    private struct FirstPass
    {
        public double Tau;      // the k-th smallest upper end so far (infinite until k rows were seen)
        public int Threshold;   // rows with a smaller integer dot product cannot reach tau
        public int UpperCount;
        public int Candidates;
    }

    /// <summary>One row's interval: updates tau (and the threshold) and records the row when it may still be in the top k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ConsiderInterval(ref FirstPass state, in QueryBound bound, VectorStore.Page page, int row, int start, int dot, bool l2, int k,
        BoundedScanBuffers buffers, float maxError, float minNormSquared)
    {
        if (page.Deleted[row])
        {
            return;
        }

        (double lo, double hi) = l2 ? bound.SquaredL2(dot, page.Error![row], page.NormSquared![row]) : bound.Dot(dot, page.Error![row]);
        if (hi < state.Tau || state.UpperCount < k)
        {
            PushUpper(buffers.Upper, ref state.UpperCount, k, hi);
            if (state.UpperCount == k && buffers.Upper[0] < state.Tau)
            {
                state.Tau = buffers.Upper[0];
                state.Threshold = bound.RejectBelow(state.Tau, maxError, minNormSquared, l2);
            }
        }

        // Not "lo <= tau": a NaN end (rows so large that their f32 norms overflow) keeps the row, whose f32 distance decides.
        if (!(lo > state.Tau))
        {
            buffers.AddCandidate(ref state.Candidates, start + row, lo);
        }
    }

    /// <summary>Adds to a max-heap of at most <paramref name="k"/> values, replacing the largest when full.</summary>
    private static void PushUpper(double[] heap, ref int count, int k, double value)
    {
        int i;
        if (count < k)
        {
            i = count++;
            while (i > 0)
            {
                int parent = (i - 1) >> 1;
                if (heap[parent] >= value)
                {
                    break;
                }

                heap[i] = heap[parent];
                i = parent;
            }

            heap[i] = value;
            return;
        }

        if (value >= heap[0])
        {
            return;
        }

        i = 0;
        while (true)
        {
            int child = (2 * i) + 1;
            if (child >= count)
            {
                break;
            }

            if (child + 1 < count && heap[child + 1] > heap[child])
            {
                child++;
            }

            if (heap[child] <= value)
            {
                break;
            }

            heap[i] = heap[child];
            i = child;
        }

        heap[i] = value;
    }

    /// <summary>Per-thread buffers of the bounded scan, grown on demand (no allocation per query once warm).</summary>
    private sealed class BoundedScanBuffers
    {
        public short[] Query = [];
        public int[] Dots = [];
        public double[] Upper = [];
        public int[] CandidateSlots = new int[1024];
        public double[] CandidateLower = new double[1024];
        public float[] Group = new float[RowPrefetch.GroupRows];

        public void Ensure(int dimension, int rowsPerPage, int k)
        {
            if (Query.Length < dimension) Query = new short[dimension];
            if (Dots.Length < rowsPerPage) Dots = new int[rowsPerPage];
            if (Upper.Length < k) Upper = new double[k];
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void AddCandidate(ref int count, int slot, double lower)
        {
            if (count == CandidateSlots.Length)
            {
                Array.Resize(ref CandidateSlots, count * 2);
                Array.Resize(ref CandidateLower, count * 2);
            }

            CandidateSlots[count] = slot;
            CandidateLower[count] = lower;
            count++;
        }
    }
}
