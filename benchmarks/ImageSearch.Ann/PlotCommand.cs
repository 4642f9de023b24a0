using ScottPlot;
using SkiaSharp;

namespace ImageSearch.Ann;

/// <summary>
/// The <c>plot</c> subcommand: from a scale CSV, three panels side by side (build seconds, bytes per vector, q/s at
/// recall@10 = 0.95, each against n on a log axis), one colour per dataset family, solid for ours, dashed for the first
/// peer and dotted for a second; build seconds and q/s on log axes too, since they span orders of magnitude. Written as
/// SVG (or PNG by extension).
/// </summary>
internal static class PlotCommand
{
    public const string Usage = """
        usage: ImageSearch.Ann plot --csv results.csv --out scale.svg|scale.png [--width 1700] [--height 480]
          uses the recall_0.95 summary rows (the last one for each dataset, n and library).
        """;

    public static int Run(Args a)
    {
        string output = a.Get("out");
        int width = int.Parse(a.Get("width", "1700"), System.Globalization.CultureInfo.InvariantCulture);
        int height = int.Parse(a.Get("height", "480"), System.Globalization.CultureInfo.InvariantCulture);
        var summaries = ScaleRow.ReadAll(a.Get("csv"))
            .Where(r => r.Kind == ScaleRow.Summary)
            .GroupBy(r => (r.Dataset, r.N, r.Library))
            .Select(g => g.Last())
            .ToList();
        if (summaries.Count == 0)
        {
            Console.Error.WriteLine("No recall_0.95 summary rows in the CSV: nothing to plot.");
            return 1;
        }

        var multiplot = new Multiplot(); // starts with one plot
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        Panel(multiplot.GetPlot(0), summaries, r => r.BuildSeconds, "Build time (s)", logY: true);
        // The index's own count (ours: MemoryBytes; the peers print theirs): the managed-heap delta also counts what the GC
        // has not given back yet (at 331k GloVe rows it read 1,035 bytes against MemoryBytes' 590).
        Panel(multiplot.AddPlot(), summaries, r => r.IndexBytesPerVector, "Memory (bytes per vector)", logY: false);
        Plot last = multiplot.AddPlot();
        Panel(last, summaries, r => r.Qps, "q/s at recall@10 0.95 (1 thread)", logY: true);
        last.ShowLegend(Edge.Right); // one legend for the three panels

        if (output.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
        {
            multiplot.SavePng(output, width, height);
        }
        else
        {
            using var stream = File.Create(output);
            using (var canvas = SKSvgCanvas.Create(new SKRect(0, 0, width, height), stream))
            {
                multiplot.Render(canvas, new PixelRect(width, height));
            }
        }

        Console.WriteLine($"# plot: {summaries.Count} points written to {output}");
        return 0;
    }

    private static void Panel(Plot plot, List<ScaleRow> rows, Func<ScaleRow, double> value, string title, bool logY)
    {
        plot.Title(title);
        plot.XLabel("vectors (n)");
        var palette = new ScottPlot.Palettes.Category10();
        var families = rows.Select(r => r.Dataset).Distinct().Order(StringComparer.Ordinal).ToList();
        var peers = rows.Select(r => r.Library).Where(l => l != "ours").Distinct().Order(StringComparer.Ordinal).ToList();
        MarkerShape[] peerMarkers = [MarkerShape.OpenCircle, MarkerShape.OpenSquare, MarkerShape.OpenTriangleUp, MarkerShape.OpenDiamond];
        LinePattern[] peerLines = [LinePattern.Dashed, LinePattern.Dotted];
        foreach (var series in rows.GroupBy(r => (r.Dataset, r.Library)).OrderBy(g => g.Key.Dataset, StringComparer.Ordinal).ThenBy(g => g.Key.Library != "ours"))
        {
            var points = series.Where(r => value(r) > 0 && !double.IsNaN(value(r))).OrderBy(r => r.N).ToList();
            if (points.Count == 0) continue;
            double[] xs = points.Select(r => Math.Log10(r.N)).ToArray();
            double[] ys = points.Select(r => logY ? Math.Log10(value(r)) : value(r)).ToArray();
            var scatter = plot.Add.Scatter(xs, ys);
            scatter.Color = palette.GetColor(families.IndexOf(series.Key.Dataset));
            scatter.LegendText = $"{series.Key.Dataset} {series.Key.Library}";
            scatter.LineWidth = 2;
            scatter.MarkerSize = 8;
            if (series.Key.Library != "ours")
            {
                int peer = peers.IndexOf(series.Key.Library);
                scatter.LinePattern = peerLines[peer % peerLines.Length];
                scatter.MarkerShape = peerMarkers[peer % peerMarkers.Length];
            }
        }

        plot.Axes.Bottom.TickGenerator = LogTicks(rows.Min(r => r.N), rows.Max(r => r.N));
        if (logY)
        {
            var values = rows.Select(value).Where(v => v > 0).ToList();
            plot.Axes.Left.TickGenerator = LogTicks(values.Min(), values.Max());
        }

        plot.HideLegend(); // items with legend text would show one on every panel; the last panel shows the only one
    }

    // ScottPlot 5 has no log axis: values are plotted as log10, with ticks at 1, 2 and 5 x 10^k labelled by their value
    // (minor ticks at the other digits), so that even a narrow range (a smoke run's 10k and 20k) gets labels.
    private static ScottPlot.TickGenerators.NumericManual LogTicks(double min, double max)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int power = (int)Math.Floor(Math.Log10(min)) - 1; power <= (int)Math.Ceiling(Math.Log10(max)); power++)
        {
            for (int digit = 1; digit <= 9; digit++)
            {
                double v = digit * Math.Pow(10, power);
                if (digit is 1 or 2 or 5) ticks.AddMajor(Math.Log10(v), Label(v));
                else ticks.AddMinor(Math.Log10(v));
            }
        }

        return ticks;
    }

    private static string Label(double v)
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        return v >= 1e6 ? (v / 1e6).ToString("0.#", c) + "M" : v >= 1e4 ? (v / 1e3).ToString("0.#", c) + "k" : v.ToString("0.###", c);
    }
}
