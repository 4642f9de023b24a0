namespace ImageSearch;

/// <summary>
/// The word-query side of training: each listed word that some rows of the batch hold (and some do not) ranks the
/// batch's rows, as a word query ranks photos: <c>L_w = -sum_r (y_rw / Y_w) log softmax_r(scale cos(p_r, v_w))</c> over
/// the batch rows <c>r</c>, with <c>y_rw</c> the rows' positive weights (<see cref="WordLabels"/>) and <c>Y_w</c> their sum;
/// averaged over the words that count. What it learns is per word, so a word every photo is near costs nothing, and
/// it says nothing of a photo's place among the words (tagging): it is meant as a second term beside the word softmax.
/// </summary>
internal sealed class WordQueryLoss(WordCosines cosines, float scale)
{
    public float Compute(ReadOnlySpan<float> pred, WordLabels labels, ReadOnlySpan<int> rows, Span<float> grad)
    {
        int batch = rows.Length, k = cosines.Count;
        (float[] unit, float[] norms, float[] cos) = cosines.Forward(pred, batch);
        var y = new float[batch * k];
        var mass = new double[k];
        var holders = new int[k];
        for (int r = 0; r < batch; r++)
        {
            ReadOnlySpan<int> w = labels.Words(rows[r]);
            ReadOnlySpan<float> q = labels.Weights(rows[r]);
            for (int a = 0; a < w.Length; a++)
            {
                y[(r * k) + w[a]] = q[a];
                mass[w[a]] += q[a];
                holders[w[a]]++;
            }
        }

        int counted = 0;
        for (int j = 0; j < k; j++) if (holders[j] > 0 && holders[j] < batch) counted++;
        var coef = new float[batch * k];
        if (counted == 0)
        {
            if (!grad.IsEmpty) grad.Clear();
            return 0f;
        }

        double total = 0;
        var soft = new double[batch];
        for (int j = 0; j < k; j++)
        {
            if (holders[j] == 0 || holders[j] == batch) continue;
            double max = double.NegativeInfinity;
            for (int r = 0; r < batch; r++) max = Math.Max(max, scale * cos[(r * k) + j]);
            double sum = 0;
            for (int r = 0; r < batch; r++) sum += soft[r] = Math.Exp((scale * cos[(r * k) + j]) - max);
            double lse = max + Math.Log(sum);
            for (int r = 0; r < batch; r++)
            {
                double target = y[(r * k) + j] / mass[j];
                if (target > 0) total -= target * ((scale * cos[(r * k) + j]) - lse);
                coef[(r * k) + j] = (float)(scale * ((soft[r] / sum) - target) / counted);
            }
        }

        if (!grad.IsEmpty) cosines.Backward(coef, unit, norms, batch, 1f, grad);
        return (float)(total / counted);
    }
}
