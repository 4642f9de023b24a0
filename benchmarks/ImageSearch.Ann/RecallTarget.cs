namespace ImageSearch.Ann;

/// <summary>
/// q/s at a target recall, interpolated between the two sweep points that bracket it: log(q/s) and ef are taken as
/// linear in recall between them (q/s falls roughly exponentially as recall climbs, so a straight line in log q/s
/// fits better than one in q/s).
/// </summary>
internal static class RecallTarget
{
    /// <summary>The interpolated point, or null when no pair of consecutive points (by ef) brackets the target.</summary>
    public static SweepPoint? Interpolate(IReadOnlyList<SweepPoint> points, double target)
    {
        var sorted = points.OrderBy(p => p.Ef).ToList();
        for (int i = 0; i < sorted.Count; i++)
        {
            if (sorted[i].Recall == target) return sorted[i];
            if (i + 1 < sorted.Count && sorted[i].Recall < target && sorted[i + 1].Recall > target)
            {
                SweepPoint lo = sorted[i], hi = sorted[i + 1];
                double f = (target - lo.Recall) / (hi.Recall - lo.Recall);
                double qps = Math.Exp(Math.Log(lo.Qps) + (f * (Math.Log(hi.Qps) - Math.Log(lo.Qps))));
                return new SweepPoint(lo.Ef + (f * (hi.Ef - lo.Ef)), target, qps);
            }
        }

        return null;
    }

    /// <summary>Whether the sweep reaches past the target (the largest ef's recall is above it).</summary>
    public static bool NeedsHigherEf(IReadOnlyList<SweepPoint> points, double target)
        => points.Count == 0 || points.MaxBy(p => p.Ef).Recall < target;

    /// <summary>Whether the smallest ef is already above the target, so a lower ef (down to k) could bracket it.</summary>
    public static bool NeedsLowerEf(IReadOnlyList<SweepPoint> points, double target)
        => points.Count > 0 && points.MinBy(p => p.Ef).Recall > target;
}
