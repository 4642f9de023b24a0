namespace ImageSearch.Ann;

/// <summary>What a peer printed about one library: build seconds, bytes per vector and its ef sweep.</summary>
internal sealed class PeerResult
{
    public double BuildSeconds { get; set; } = double.NaN;

    public double BytesPerVector { get; set; } = double.NaN;

    public List<SweepPoint> Points { get; } = [];
}
