using System.Globalization;
using ScottPlot;

namespace Kerno.Cli.Charts;

/// <summary>
/// <c>kerno bench --plot</c>: one group per model x threads, Kerno's and ONNX Runtime's median latency side by side
/// with min-max whiskers. Latencies spanning more than a decade go on a log axis so a 0.02 ms model and a 900 ms
/// model are both readable.
/// </summary>
internal static class LatencyChart
{
    /// <summary>One benchmarked (model, threads): Kerno's stats, and the peer's when it ran.</summary>
    public sealed record Group(string Model, int Threads, BenchStats Kerno, BenchStats? Peer);

    public sealed record BenchStats(double Min, double Median, double Max);

    public static readonly Color KernoColor = Color.FromHex("#2B6CB0");
    public static readonly Color PeerColor = Color.FromHex("#A0AEC0");

    /// <summary>Draws <paramref name="groups"/> to <paramref name="path"/> (.svg or .png).</summary>
    public static void Save(IReadOnlyList<Group> groups, string peerName, string path)
    {
        if (groups.Count == 0)
            throw new ArgumentException("nothing to plot");
        Plot plot = ChartFile.NewPlot();
        bool anyPeer = groups.Any(g => g.Peer is not null);
        int perGroup = anyPeer ? 2 : 1;
        double[] all = groups.SelectMany(g => g.Peer is { } p ? new[] { g.Kerno.Min, p.Min, g.Kerno.Max, p.Max } : [g.Kerno.Min, g.Kerno.Max])
            .Where(v => v > 0).ToArray();
        bool log = all.Length > 0 && all.Max() / all.Min() > 10;
        // On the log axis bars rise from a round power of ten below the fastest run.
        double floor = log ? Math.Floor(Math.Log10(all.Min())) : 0;
        double Y(double ms) => log ? Math.Log10(Math.Max(ms, 1e-9)) : ms;

        var bars = new List<Bar>();
        var stats = new List<BenchStats>();
        var ticks = new List<(double Position, string Label)>();
        for (int i = 0; i < groups.Count; ++i)
        {
            Group g = groups[i];
            double x0 = i * (perGroup + 1);
            bars.Add(Bar(x0, g.Kerno, KernoColor));
            if (g.Peer is { } p)
                bars.Add(Bar(x0 + 1, p, PeerColor));
            string ratio = g.Peer is { } q ? string.Create(CultureInfo.InvariantCulture, $"\n{q.Median / g.Kerno.Median:0.00}x") : "";
            ticks.Add((x0 + (perGroup - 1) / 2.0, $"{g.Model}\n{g.Threads} thread{(g.Threads == 1 ? "" : "s")}{ratio}"));
        }

        Bar Bar(double x, BenchStats s, Color color)
        {
            stats.Add(s);
            return new() { Position = x, ValueBase = floor, Value = Y(s.Median), FillColor = color, LineWidth = 0 };
        }

        plot.Add.Bars(bars);
        // Min-max whiskers: a bar's own error is symmetric, the spread of latencies is not.
        var whiskers = new ScottPlot.Plottables.ErrorBar(bars.Select(b => b.Position).ToList(), bars.Select(b => b.Value).ToList(), null, null, null, null)
        {
            YErrorPositive = stats.Select(s => Y(s.Max) - Y(s.Median)).ToList(),
            YErrorNegative = stats.Select(s => Y(s.Median) - Y(s.Min)).ToList(),
            Color = Colors.Black,
        };
        plot.Add.Plottable(whiskers);
        // The median's value above the whisker, where no line crosses it.
        for (int i = 0; i < bars.Count; ++i)
        {
            var text = plot.Add.Text(Ms(stats[i].Median), bars[i].Position, Y(stats[i].Max));
            text.LabelAlignment = Alignment.LowerCenter;
            text.LabelFontSize = 11;
            text.OffsetY = -3;
        }
        plot.Axes.Bottom.SetTicks(ticks.Select(t => t.Position).ToArray(), ticks.Select(t => t.Label).ToArray());
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Bottom.TickLabelStyle.FontSize = 12;
        plot.Axes.Left.TickLabelStyle.FontSize = 12;
        if (log)
        {
            double top = Math.Ceiling(Math.Log10(all.Max() * 1.5));
            var generator = new ScottPlot.TickGenerators.NumericManual();
            for (double e = floor; e <= top; ++e)
            {
                generator.AddMajor(e, Ms(Math.Pow(10, e)));
                for (int m = 2; m <= 9 && e < top; ++m)
                    generator.AddMinor(e + Math.Log10(m));
            }
            plot.Axes.Left.TickGenerator = generator;
            plot.Axes.SetLimitsY(floor, top);
            plot.YLabel("latency, ms (log scale)");
        }
        else
        {
            plot.Axes.Margins(bottom: 0, top: 0.15);
            plot.YLabel("latency, ms");
        }
        plot.Axes.SetLimitsX(-0.75, groups.Count * (perGroup + 1) - 1.25);
        plot.Title("Latency: median, whiskers min-max");
        if (anyPeer)
            plot.XLabel($"ratio = {peerName} median / Kerno median (> 1: Kerno faster)");
        plot.Axes.Bottom.Label.FontSize = 12;
        plot.Axes.Title.Label.FontSize = 14;
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "Kerno", FillColor = KernoColor });
        if (anyPeer)
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = peerName, FillColor = PeerColor });
        plot.Legend.FontSize = 12;
        // Outside the data area: no bar is ever hidden behind it.
        plot.ShowLegend(Edge.Right);
        plot.Grid.XAxisStyle.IsVisible = false;
        int width = Math.Max(620, 260 + groups.Count * perGroup * 70);
        ChartFile.Save(plot, path, width, 460);
    }

    private static string Ms(double ms) => ms.ToString(ms >= 100 ? "0" : ms >= 10 ? "0.#" : ms >= 1 ? "0.##" : "0.####", CultureInfo.InvariantCulture);
}
