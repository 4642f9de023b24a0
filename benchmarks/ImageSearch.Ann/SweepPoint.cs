namespace ImageSearch.Ann;

/// <summary>One point of an ef sweep: recall@10 and single-thread queries per second at that ef.</summary>
internal readonly record struct SweepPoint(double Ef, double Recall, double Qps);
