namespace ImageSearch.Ann;

/// <summary>Recall@k against a TEXMEX ground truth (row numbers as keys).</summary>
internal static class Recall
{
    public static double AtK(SearchResult[][] results, int[] gt, int gtDim, int k)
    {
        long hits = 0;
        var truth = new HashSet<long>();
        for (int q = 0; q < results.Length; q++)
        {
            truth.Clear();
            for (int j = 0; j < k; j++) truth.Add(gt[(q * gtDim) + j]);
            foreach (SearchResult r in results[q].AsSpan(0, Math.Min(k, results[q].Length)))
            {
                if (truth.Contains(r.Key)) hits++;
            }
        }

        return hits / (double)(results.Length * k);
    }
}
