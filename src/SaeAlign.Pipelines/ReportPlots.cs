using System.Globalization;
using SaeAlign.Data;
using ScottPlot;

namespace SaeAlign.Pipelines;

/// <summary>The report's PNG figures (ScottPlot). Each is written atomically under its final name.</summary>
public static class ReportPlots
{
    private const int Width = 900, Height = 520;

    /// <summary>A bar's height and error, and the central 95% of its permutation null, if any.</summary>
    public sealed record BarScore(double Mean, double Sem, (double Low, double High)? Null);

    /// <summary>
    /// Before/after bars: one group per metric, one bar per comparison, SEM error bars, and each bar's permutation null
    /// as a translucent dark band drawn over it (the null usually lies inside the bar, where a band behind would hide).
    /// </summary>
    public static void AlignmentBars(string path, string title, IReadOnlyList<string> metrics, IReadOnlyList<string> comparisons,
        Func<string, string, BarScore?> score)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        double groupWidth = comparisons.Count + 1;
        var ticks = new List<Tick>();
        var bands = new List<(double Position, double Low, double High)>();
        for (int g = 0; g < metrics.Count; g++)
        {
            for (int c = 0; c < comparisons.Count; c++)
            {
                if (score(metrics[g], comparisons[c]) is not { } s) continue;
                plot.Add.Bar(new Bar { Position = g * groupWidth + c, Value = s.Mean, Error = s.Sem, FillColor = palette.GetColor(c) });
                if (s.Null is { } band) bands.Add((g * groupWidth + c, band.Low, band.High));
            }
            ticks.Add(new Tick(g * groupWidth + (comparisons.Count - 1) / 2.0, metrics[g]));
        }
        var nullColor = Colors.Black.WithAlpha(0.45);
        foreach (var (position, low, high) in bands)
        {
            // At least a thin line, so a null concentrated at one value still shows.
            double half = Math.Max((high - low) / 2, 0.004), middle = (high + low) / 2;
            var rectangle = plot.Add.Rectangle(position - 0.4, position + 0.4, middle - half, middle + half);
            rectangle.FillStyle.Color = nullColor;
            rectangle.LineStyle.Width = 0;
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks.ToArray());
        for (int c = 0; c < comparisons.Count; c++)
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = comparisons[c], FillColor = palette.GetColor(c) });
        if (bands.Count > 0) plot.Legend.ManualItems.Add(new LegendItem { LabelText = "permutation null (central 95%)", FillColor = nullColor });
        plot.Legend.IsVisible = true;
        plot.Legend.Alignment = ScottPlot.Alignment.UpperRight;
        plot.Axes.Margins(bottom: 0, top: 0.25);
        plot.Title(title);
        plot.YLabel("alignment (mean ± SEM over folds)");
        Save(plot, path);
    }

    /// <summary>A square matrix as a heatmap, e.g. the feature Gram matrix W Wᵀ of a toy model.</summary>
    public static void Heatmap(string path, string title, double[,] values, string colorbarLabel)
    {
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(values);
        heatmap.Colormap = new ScottPlot.Colormaps.Balance();
        double limit = Math.Max(1e-12, values.Cast<double>().Max(Math.Abs));
        heatmap.ManualRange = new ScottPlot.Range(-limit, limit);
        plot.Add.ColorBar(heatmap).Label = colorbarLabel;
        plot.Title(title);
        plot.Axes.InvertY();
        Save(plot, path, Height + 160, Height);
    }

    /// <summary>Training curves, one line per series (e.g. one SAE per seed), on a log y axis when all values are positive.</summary>
    public static void Curves(string path, string title, string yLabel, IReadOnlyList<(string Label, double[] Steps, double[] Values)> series)
    {
        var plot = new Plot();
        bool log = series.All(s => s.Values.All(v => v > 0));
        foreach (var (label, steps, values) in series)
        {
            var line = plot.Add.ScatterLine(steps, log ? values.Select(Math.Log10).ToArray() : values);
            line.LegendText = label;
        }
        if (log)
        {
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                LabelFormatter = v => Math.Pow(10, v).ToString("G3", CultureInfo.InvariantCulture),
            };
        }
        plot.Title(title);
        plot.XLabel("step");
        plot.YLabel(log ? yLabel + " (log scale)" : yLabel);
        plot.Legend.IsVisible = series.Count > 1;
        Save(plot, path);
    }

    /// <summary>Per feature, the best correlation with any neuron against the best with any SAE latent; points above the diagonal are features the SAE disentangled.</summary>
    public static void FeatureRecovery(string path, string title, double[] neuronBest, double[] latentBest)
    {
        var plot = new Plot();
        var diagonal = plot.Add.Line(0, 0, 1, 1);
        diagonal.LinePattern = LinePattern.Dashed;
        diagonal.Color = Colors.Gray;
        var points = plot.Add.ScatterPoints(neuronBest, latentBest);
        points.MarkerSize = 7;
        plot.Axes.SetLimits(0, 1.02, 0, 1.02);
        plot.Title(title);
        plot.XLabel("best |Pearson r| with any neuron");
        plot.YLabel("best |Pearson r| with any SAE latent");
        Save(plot, path, Height + 160, Height);
    }

    /// <summary>
    /// Histograms of matched cosines in [-1, 1] (20 bins), one outlined series per entry (e.g. decoder, encoder and the
    /// random baseline), with the shared-latent threshold as a dashed line.
    /// </summary>
    public static void CosineHistogram(string path, string title, IReadOnlyList<(string Label, double[] Cosines)> series, double threshold)
    {
        const int bins = 20;
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (int s = 0; s < series.Count; s++)
        {
            var values = series[s].Cosines.Where(c => !double.IsNaN(c)).ToArray();
            var counts = new double[bins];
            foreach (var c in values) counts[Math.Clamp((int)Math.Floor((c + 1) / 2 * bins), 0, bins - 1)]++;
            // A step outline per series, so overlapping histograms stay readable: (x_i, 0|f_{i-1}) then (x_i, f_i).
            var stepX = new List<double>();
            var stepY = new List<double>();
            for (int i = 0; i <= bins; i++)
            {
                double x = -1 + 2.0 * i / bins;
                stepX.Add(x);
                stepY.Add(i == 0 ? 0 : counts[i - 1] / Math.Max(1, values.Length));
                stepX.Add(x);
                stepY.Add(i == bins ? 0 : counts[i] / Math.Max(1, values.Length));
            }
            var line = plot.Add.ScatterLine(stepX.ToArray(), stepY.ToArray());
            line.LegendText = series[s].Label;
            line.Color = palette.GetColor(s);
            line.LineWidth = 2;
        }
        var cut = plot.Add.VerticalLine(threshold);
        cut.LinePattern = LinePattern.Dashed;
        cut.Color = Colors.Gray;
        plot.Legend.IsVisible = true;
        plot.Legend.Alignment = ScottPlot.Alignment.UpperLeft;
        plot.Axes.SetLimitsX(-1, 1);
        plot.Title(title);
        plot.XLabel("cosine with the matched latent");
        plot.YLabel("fraction of latents");
        Save(plot, path);
    }

    /// <summary>
    /// A sweep: one line per series through (x, mean) with ± error bars (SEM or an interval half-width; none where
    /// NaN), the x axis on a log scale when <paramref name="logX"/>; dashed series are references (e.g. a noise ceiling).
    /// </summary>
    public static void Sweep(string path, string title, string xLabel, string yLabel, bool logX,
        IReadOnlyList<(string Label, double[] X, double[] Mean, double[] Error, bool Dashed)> series)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (int s = 0; s < series.Count; s++)
        {
            var (label, x, mean, error, dashed) = series[s];
            var xs = logX ? x.Select(Math.Log10).ToArray() : x;
            var line = plot.Add.Scatter(xs, mean);
            line.LegendText = label;
            line.Color = palette.GetColor(s);
            if (dashed) line.LinePattern = LinePattern.Dashed;
            if (error.Any(e => !double.IsNaN(e)))
            {
                var bars = plot.Add.ErrorBar(xs, mean, error.Select(e => double.IsNaN(e) ? 0 : e).ToArray());
                bars.Color = palette.GetColor(s);
            }
        }
        if (logX)
        {
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                LabelFormatter = v => Math.Pow(10, v).ToString("G3", CultureInfo.InvariantCulture),
            };
        }
        plot.Title(title);
        plot.XLabel(logX ? xLabel + " (log scale)" : xLabel);
        plot.YLabel(yLabel);
        plot.Legend.IsVisible = series.Count > 1;
        Save(plot, path);
    }

    private static void Save(Plot plot, string path, int width = Width, int height = Height) =>
        AtomicFile.Write(path, temp => plot.SavePng(temp, width, height));
}
