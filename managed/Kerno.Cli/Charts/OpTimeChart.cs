using System.Globalization;
using ScottPlot;

namespace Kerno.Cli.Charts;

/// <summary>
/// <c>kerno profile --plot</c>: share of the run's time per operator type and kernel (the rows of the "by operator"
/// table), largest on top. Split by kernel because one fused type (kerno.FusedConv) is most of a CNN's time.
/// </summary>
internal static class OpTimeChart
{
    /// <summary>Op types drawn one bar each; the rest share an "other" bar so the chart stays readable.</summary>
    private const int MaxBars = 14;

    /// <summary>Draws the (label, microseconds, nodes) totals to <paramref name="path"/> (.svg or .png).</summary>
    public static void Save(IReadOnlyList<(string Label, double Microseconds, int Nodes)> byOp, string title, string path)
    {
        double total = byOp.Sum(o => o.Microseconds);
        if (byOp.Count == 0 || total <= 0)
            throw new ArgumentException("nothing to plot: the profile has no timed nodes");
        var sorted = byOp.OrderByDescending(o => o.Microseconds).ToList();
        if (sorted.Count > MaxBars)
        {
            var rest = sorted.Skip(MaxBars - 1).ToList();
            sorted = [.. sorted.Take(MaxBars - 1), ($"other ({rest.Count} types)", rest.Sum(o => o.Microseconds), rest.Sum(o => o.Nodes))];
        }
        Plot plot = ChartFile.NewPlot();
        var inside = new List<Bar>();
        var outside = new List<Bar>();
        double widest = sorted.Max(o => 100 * o.Microseconds / total);
        var positions = new double[sorted.Count];
        var labels = new string[sorted.Count];
        for (int i = 0; i < sorted.Count; ++i)
        {
            var (op, us, nodes) = sorted[i];
            double pct = 100 * us / total;
            // Largest at the top: ScottPlot's y grows upwards.
            positions[i] = sorted.Count - 1 - i;
            labels[i] = $"{op} (x{nodes})";
            // Long bars carry their label inside, short ones after the bar: no label runs off the chart.
            (pct > widest * 0.55 ? inside : outside).Add(new Bar
            {
                Position = positions[i],
                Value = pct,
                FillColor = LatencyChart.KernoColor,
                LineWidth = 0,
                Label = string.Create(CultureInfo.InvariantCulture, $"{pct:0.0}% ({us / 1000:0.###} ms)"),
                CenterLabel = pct > widest * 0.55,
            });
        }
        foreach (List<Bar> bars in new[] { inside, outside }.Where(b => b.Count > 0))
        {
            var barPlot = plot.Add.Bars(bars);
            barPlot.Horizontal = true;
            barPlot.ValueLabelStyle.FontSize = 11;
            if (bars == inside)
                barPlot.ValueLabelStyle.ForeColor = Colors.White;
        }
        plot.Axes.Left.SetTicks(positions, labels);
        plot.Axes.Left.MajorTickStyle.Length = 0;
        plot.Axes.Left.TickLabelStyle.FontSize = 12;
        plot.Axes.Bottom.TickLabelStyle.FontSize = 11;
        plot.Axes.SetLimitsX(0, Math.Min(100, widest * 1.05 + 1));
        plot.Axes.SetLimitsY(-0.6, sorted.Count - 0.4);
        // Shares of the summed node times (medians per node), not of the run's wall time, which also holds the gaps between nodes.
        plot.XLabel("% of the time in nodes (median per node over the profiled runs)");
        plot.Title(title);
        plot.Axes.Title.Label.FontSize = 14;
        plot.Grid.YAxisStyle.IsVisible = false;
        ChartFile.Save(plot, path, 860, 120 + 28 * sorted.Count);
    }
}
