using System.Runtime.CompilerServices;

namespace ImageSearch;

/// <summary>
/// A bounded max-heap of the k best results so far, over caller-provided storage (no allocation). "Worse" means a
/// larger distance, or an equal distance and a larger key, so results are deterministic when distances tie.
/// </summary>
internal static class TopK
{
    /// <summary>The distance a candidate must not exceed to enter a heap of <paramref name="count"/> of <paramref name="heap"/>.Length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Bound(ReadOnlySpan<SearchResult> heap, int count)
        => count < heap.Length ? float.PositiveInfinity : heap[0].Distance;

    /// <summary>Offers a candidate; returns true when it entered the heap.</summary>
    public static bool Push(Span<SearchResult> heap, ref int count, long key, float distance)
    {
        if (count < heap.Length)
        {
            // Sift up.
            int i = count++;
            while (i > 0)
            {
                int parent = (i - 1) >> 1;
                if (!IsWorse(key, distance, heap[parent]))
                {
                    break;
                }

                heap[i] = heap[parent];
                i = parent;
            }

            heap[i] = new SearchResult(key, distance);
            return true;
        }

        if (!IsWorse(heap[0].Key, heap[0].Distance, new SearchResult(key, distance)))
        {
            return false;
        }

        SiftDown(heap, count, 0, new SearchResult(key, distance));
        return true;
    }

    /// <summary>Sorts the heap's <paramref name="count"/> items nearest first, in place.</summary>
    public static void SortAscending(Span<SearchResult> heap, int count)
    {
        for (int end = count - 1; end > 0; end--)
        {
            SearchResult top = heap[0];
            SearchResult last = heap[end];
            heap[end] = top;
            SiftDown(heap, end, 0, last);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsWorse(long key, float distance, SearchResult other)
        => distance > other.Distance || (distance == other.Distance && key > other.Key);

    private static void SiftDown(Span<SearchResult> heap, int count, int i, SearchResult item)
    {
        while (true)
        {
            int child = (2 * i) + 1;
            if (child >= count)
            {
                break;
            }

            if (child + 1 < count && IsWorse(heap[child + 1].Key, heap[child + 1].Distance, heap[child]))
            {
                child++;
            }

            if (!IsWorse(heap[child].Key, heap[child].Distance, item))
            {
                break;
            }

            heap[i] = heap[child];
            i = child;
        }

        heap[i] = item;
    }
}
