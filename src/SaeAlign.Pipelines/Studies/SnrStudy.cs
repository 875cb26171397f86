using System.Globalization;
using SaeAlign.Alignment;
using SaeAlign.Core;
using SaeAlign.Data;
using SaeAlign.ToyModels.Networks;
using static SaeAlign.Core.InputField;

namespace SaeAlign.Pipelines.Studies;

/// <summary>
/// Options of the signal-to-noise and sample-size study: an ensemble of <see cref="Members"/> linear networks
/// y = B A x trained on the same inputs with targets from one linear teacher plus independent noise per member.
/// </summary>
public sealed record SnrStudyOptions
{
    public long Seed { get; init; }
    public int Inputs { get; init; } = 16;
    public int Outputs { get; init; } = 8;
    public int Hidden { get; init; } = 8;
    public int Members { get; init; } = 5;
    /// <summary>The SNR sweep (clean output variance over noise variance), at <see cref="TrainSize"/> samples.</summary>
    public IReadOnlyList<double> Snr { get; init; } = Enumerable.Range(0, 8).Select(i => Math.Pow(10, -1.5 + 3.0 * i / 7)).ToArray();
    public int TrainSize { get; init; } = 48;
    /// <summary>The sample-size sweep, at <see cref="SizeSnr"/>; it crosses the interpolation threshold N = <see cref="Inputs"/>.</summary>
    public IReadOnlyList<int> Sizes { get; init; } = [4, 6, 8, 10, 12, 14, 16, 18, 20, 24, 32, 48, 64];
    public double SizeSnr { get; init; } = 2;
    /// <summary>Held-out inputs on which hidden layers are compared and test error is measured.</summary>
    public int TestSize { get; init; } = 500;
    public int Steps { get; init; } = 2000;
    public double LearningRate { get; init; } = 0.05;
    public double InitScale { get; init; } = 1e-3;
    /// <summary>Folds for the fitted metrics (ridge, semi) between members' hidden layers.</summary>
    public int Folds { get; init; } = 5;
    /// <summary>Whether to run the ReLU MLP tasks (regression on a random-feature teacher, and classification) too.</summary>
    public bool Mlp { get; init; } = true;
    public int MlpInputs { get; init; } = 6;
    public int MlpHidden { get; init; } = 6;
    /// <summary>Outputs of the MLP regression, and classes of the classification task (one-hot targets).</summary>
    public int MlpOutputs { get; init; } = 2;
    /// <summary>Hidden ReLU features of the random-feature teacher.</summary>
    public int TeacherFeatures { get; init; } = 16;
    public int MlpTrainSize { get; init; } = 112;
    /// <summary>The MLP's sample-size sweep; it crosses the threshold N = parameters per output (28 by default).</summary>
    public IReadOnlyList<int> MlpSizes { get; init; } = [7, 10, 14, 18, 22, 26, 28, 30, 34, 40, 56, 80, 112];
    public int MlpSteps { get; init; } = 2000;
    public double MlpLearningRate { get; init; } = 0.05;

    /// <summary>The MLP's interpolation threshold: its parameters per output.</summary>
    public double MlpThreshold => ReluMlp.ParameterCount(MlpInputs, MlpHidden, MlpOutputs) / (double)MlpOutputs;

    public void Validate()
    {
        InvalidInputException.Require(Snr.Count > 0, $"{Named("snr")} must list at least one value.");
        foreach (var snr in Snr)
            InvalidInputException.Require(snr > 0 && double.IsFinite(snr), $"{Named("snr")}: {snr.ToString(CultureInfo.InvariantCulture)} is not a signal-to-noise ratio (finite, > 0).");
        foreach (var (sizes, option) in new[] { (Sizes, Named("sizes")), (MlpSizes, Named("mlpSizes")) })
        {
            InvalidInputException.Require(sizes.Count > 0, $"{option} must list at least one training-set size.");
            foreach (var size in sizes)
                InvalidInputException.Require(size >= 1, $"{option}: {size} is not a training-set size (at least 1).");
        }
        InvalidInputException.Require(SizeSnr > 0 && double.IsFinite(SizeSnr), $"the sample-size sweep's SNR must be finite and > 0, got {SizeSnr}.");
        InvalidInputException.Require(TrainSize >= 1, $"the SNR sweep's training-set size must be at least 1, got {TrainSize}.");
        InvalidInputException.Require(Members >= 2, $"{Named("members")} must be at least 2 (alignment is between members), got {Members}.");
        InvalidInputException.Require(Inputs >= 1 && Outputs >= 1 && Hidden >= 2, "the network needs at least 1 input, 1 output and 2 hidden units.");
        InvalidInputException.Require(MlpInputs >= 1 && MlpOutputs >= 2 && MlpHidden >= 2 && TeacherFeatures >= 1 && MlpTrainSize >= 1,
            "the MLP needs at least 1 input, 2 outputs (classes), 2 hidden units, a teacher feature and a training sample.");
        InvalidInputException.Require(MlpSteps >= 1 && MlpLearningRate > 0, "MLP steps and learning rate must be positive.");
        InvalidInputException.Require(TestSize >= Math.Max(Folds, 4), $"the test set needs at least {Math.Max(Folds, 4)} inputs, got {TestSize}.");
        InvalidInputException.Require(Steps >= 1 && LearningRate > 0 && InitScale > 0, "steps, learning rate and init scale must be positive.");
        InvalidInputException.Require(Folds >= 2, $"folds must be at least 2, got {Folds}.");
    }
}

/// <summary>
/// `saealign study snr`: alignment between ensemble members (hidden layers on held-out inputs: CKA, ridge and
/// semi-matching, mean and SEM over member pairs) and test error, as a function of the SNR and of the training-set
/// size N (Umar &amp; Laio). Beside the trained networks, the closed-form minimum-norm solution that gradient descent from
/// small initialisation approaches; its CKA dips where N crosses the interpolation threshold N = inputs.
/// </summary>
public static class SnrStudy
{
    public const string Name = "snr";
    public const string SnrSweep = "snr";
    public const string SizeSweep = "size";
    public const string Trained = "linear-gd";
    public const string ClosedForm = "linear-min-norm";
    public const string MlpRegression = "mlp-regression";
    public const string MlpClassification = "mlp-classification";
    /// <summary>Mean squared error against the clean teacher (regression) or error rate against the clean labels (classification).</summary>
    public const string TestError = "test_error";

    private static readonly string[] FittedAndCka = [AlignmentMetric.Cka, AlignmentMetric.Ridge, AlignmentMetric.Semi];

    /// <summary>The members of one model at one sweep point: hidden layers on the test inputs and test errors.</summary>
    private sealed record Ensemble(string Model, ActivationSet[] Hidden, double[] TestErrors, string[] Metrics);

    private sealed record Row(string Sweep, string Model, double Snr, int N, string Metric, double Mean, double Sem, int Count);

    public static StudyResult Run(SnrStudyOptions options, string folder, bool force = false, IProgress<StudyProgress>? progress = null, CancellationToken ct = default)
    {
        options.Validate();
        return StudyFolder.Run(Name, options, [options.Seed], folder, force, () => Outcome(Compute(options, progress, ct), options));
    }

    private static List<Row> Compute(SnrStudyOptions options, IProgress<StudyProgress>? progress, CancellationToken ct)
    {
        var linear = Linear(options, ct);
        var points = options.Snr.Select(snr => (Sweep: SnrSweep, Snr: snr, N: options.TrainSize, Run: linear))
            .Concat(options.Sizes.Select(n => (Sweep: SizeSweep, Snr: options.SizeSnr, N: n, Run: linear)));
        if (options.Mlp)
        {
            var mlp = Mlp(options, ct);
            points = points.Concat(options.Snr.Select(snr => (Sweep: SnrSweep, Snr: snr, N: options.MlpTrainSize, Run: mlp)))
                .Concat(options.MlpSizes.Select(n => (Sweep: SizeSweep, Snr: options.SizeSnr, N: n, Run: mlp)));
        }
        var all = points.ToArray();
        var rows = new List<Row>();
        for (int p = 0; p < all.Length; p++)
        {
            ct.ThrowIfCancellationRequested();
            var (sweep, snr, n, run) = all[p];
            progress?.Report(new StudyProgress($"snr: {sweep} sweep", p, all.Length));
            foreach (var ensemble in run(snr, n))
            {
                var scores = ensemble.Metrics.ToDictionary(m => m, _ => new List<double>());
                for (int a = 0; a < ensemble.Hidden.Length; a++)
                    for (int b = a + 1; b < ensemble.Hidden.Length; b++)
                        foreach (var (metric, score) in Align(ensemble.Hidden[a], ensemble.Hidden[b], ensemble.Metrics, options, ct))
                            scores[metric].Add(score);
                foreach (var (metric, values) in scores) rows.Add(Summarised(sweep, ensemble.Model, snr, n, metric, values));
                rows.Add(Summarised(sweep, ensemble.Model, snr, n, TestError, ensemble.TestErrors));
            }
        }
        progress?.Report(new StudyProgress("snr: sweeps", all.Length, all.Length));
        return rows;
    }

    /// <summary>Seeds that depend on the training-set size and member but not on the SNR: the SNR sweep varies only the noise level (common random numbers).</summary>
    private static long Seed(SnrStudyOptions options, string purpose, int n, int member = 0) =>
        Seeds.Derive(options.Seed, string.Create(CultureInfo.InvariantCulture, $"{purpose}/{n}/{member}"));

    /// <summary>Linear networks on a linear teacher: trained by gradient descent, and the closed-form minimum-norm solution.</summary>
    private static Func<double, int, IEnumerable<Ensemble>> Linear(SnrStudyOptions options, CancellationToken ct)
    {
        var teacher = LinearTeacher.Draw(options.Inputs, options.Outputs, Seeds.Derive(options.Seed, "teacher"));
        var test = teacher.DrawInputs(options.TestSize, Seeds.Derive(options.Seed, "test"));
        var truth = teacher.Clean(test, options.TestSize);
        return (snr, n) =>
        {
            var inputs = teacher.DrawInputs(n, Seed(options, "inputs", n));
            var clean = teacher.Clean(inputs, n);
            var trained = new LinearNetwork[options.Members];
            var closed = new LinearNetwork[options.Members];
            for (int m = 0; m < options.Members; m++)
            {
                var targets = LinearTeacher.Noisy(clean, snr, Seed(options, "noise", n, m));
                trained[m] = LinearNetwork.Train(inputs, targets, n, options.Inputs, options.Hidden, options.Outputs,
                    options.Steps, options.LearningRate, options.InitScale, Seed(options, "init", 0, m), ct);
                closed[m] = LinearNetwork.MinimumNorm(inputs, targets, n, options.Inputs, options.Hidden, options.Outputs);
            }
            Ensemble Of(string model, LinearNetwork[] networks, string[] metrics) => new(model,
                networks.Select(net => ToSet(net.HiddenOf(test, options.TestSize), options.TestSize, options.Hidden)).ToArray(),
                networks.Select(net => LinearTeacher.MeanSquaredError(net.Predict(test, options.TestSize), truth)).ToArray(), metrics);
            // Only CKA for the closed form: its hidden units are fixed only up to the rotation that CKA ignores.
            return [Of(Trained, trained, FittedAndCka), Of(ClosedForm, closed, [AlignmentMetric.Cka])];
        };
    }

    /// <summary>
    /// ReLU MLPs: regression on a random-feature teacher (noisy targets), and classification of a linear teacher's
    /// argmax class, whose labels come from noisy logits (so the SNR sets the label noise).
    /// </summary>
    private static Func<double, int, IEnumerable<Ensemble>> Mlp(SnrStudyOptions options, CancellationToken ct)
    {
        int d = options.MlpInputs, h = options.MlpHidden, o = options.MlpOutputs;
        var regression = RandomFeatureTeacher.Draw(d, options.TeacherFeatures, o, Seeds.Derive(options.Seed, "mlp-teacher"));
        var classes = LinearTeacher.Draw(d, o, Seeds.Derive(options.Seed, "class-teacher"));
        var test = regression.DrawInputs(options.TestSize, Seeds.Derive(options.Seed, "mlp-test"));
        var regressionTruth = regression.Clean(test, options.TestSize);
        var classTruth = Classes.OneHot(classes.Clean(test, options.TestSize), o);
        return (snr, n) =>
        {
            var inputs = regression.DrawInputs(n, Seed(options, "mlp-inputs", n));
            var cleanRegression = regression.Clean(inputs, n);
            var cleanLogits = classes.Clean(inputs, n);
            var regressors = new ReluMlp[options.Members];
            var classifiers = new ReluMlp[options.Members];
            for (int m = 0; m < options.Members; m++)
            {
                long init = Seed(options, "mlp-init", 0, m);
                regressors[m] = ReluMlp.Train(inputs, LinearTeacher.Noisy(cleanRegression, snr, Seed(options, "mlp-noise", n, m)), n, d, h, o,
                    options.MlpSteps, options.MlpLearningRate, init, ct);
                var labels = Classes.OneHot(LinearTeacher.Noisy(cleanLogits, snr, Seed(options, "label-noise", n, m)), o);
                classifiers[m] = ReluMlp.Train(inputs, labels, n, d, h, o, options.MlpSteps, options.MlpLearningRate, init, ct);
            }
            Ensemble Of(string model, ReluMlp[] networks, Func<double[], double> error) => new(model,
                networks.Select(net => ToSet(net.HiddenOf(test, options.TestSize), options.TestSize, h)).ToArray(),
                networks.Select(net => error(net.Predict(test, options.TestSize))).ToArray(), FittedAndCka);
            return
            [
                Of(MlpRegression, regressors, predicted => LinearTeacher.MeanSquaredError(predicted, regressionTruth)),
                Of(MlpClassification, classifiers, predicted => Classes.ErrorRate(predicted, classTruth, o)),
            ];
        };
    }

    /// <summary>
    /// CKA from the moments directly, so that hidden units a rank-deficient solution leaves at zero do no harm; ridge and
    /// semi-matching through the alignment protocol (cross-validated).
    /// </summary>
    private static IEnumerable<(string Metric, double Score)> Align(ActivationSet x, ActivationSet y, string[] metrics, SnrStudyOptions options, CancellationToken ct)
    {
        yield return (AlignmentMetric.Cka, StudyMetrics.Cka(x, y));
        var fitted = metrics.Where(m => m != AlignmentMetric.Cka).ToArray();
        if (fitted.Length == 0) yield break;
        // The protocol needs two varying units a side; a ReLU layer that died on the test inputs has no fitted score.
        if (StudyMetrics.VaryingUnits(x) < 2 || StudyMetrics.VaryingUnits(y) < 2)
        {
            foreach (var metric in fitted) yield return (metric, double.NaN);
            yield break;
        }
        var report = AlignmentRunner.Run(new InMemoryPairedRows(x, y), new AlignmentOptions
        {
            Metrics = fitted,
            Cv = new CrossValidation(options.Folds, Seeds.Derive(options.Seed, "folds")),
        }, ct);
        foreach (var result in report.Metrics) yield return (result.Metric, result.Score);
    }

    private static ActivationSet ToSet(double[] values, int rows, int columns) => new(Array.ConvertAll(values, v => (float)v), rows, columns);

    private static Row Summarised(string sweep, string model, double snr, int n, string metric, IReadOnlyList<double> values)
    {
        var (mean, sem) = CrossValidation.Summarise(values);
        return new Row(sweep, model, snr, n, metric, mean, sem, values.Count);
    }

    private static StudyOutcome Outcome(IReadOnlyList<Row> rows, SnrStudyOptions options)
    {
        var table = new[]
        {
            TableColumn.String("sweep", rows.Select(r => r.Sweep).ToArray()),
            TableColumn.String("model", rows.Select(r => r.Model).ToArray()),
            TableColumn.Float64("snr", rows.Select(r => r.Snr).ToArray()),
            TableColumn.Int32("n", rows.Select(r => r.N).ToArray()),
            TableColumn.String("metric", rows.Select(r => r.Metric).ToArray()),
            TableColumn.Float64("mean", rows.Select(r => r.Mean).ToArray()),
            TableColumn.Float64("sem", rows.Select(r => r.Sem).ToArray()),
            TableColumn.Int32("count", rows.Select(r => r.Count).ToArray()),
        };
        var summary = new Dictionary<string, double> { ["linear.interpolation_threshold"] = options.Inputs };
        if (options.Mlp) summary["mlp.interpolation_threshold"] = options.MlpThreshold;
        foreach (var model in rows.Select(r => r.Model).Distinct())
        {
            var bySize = rows.Where(r => r.Sweep == SizeSweep && r.Model == model && r.Metric == AlignmentMetric.Cka).ToArray();
            summary[$"{model}.cka.argmin_n"] = bySize.MinBy(r => r.Mean)!.N;
            var bySnr = rows.Where(r => r.Sweep == SnrSweep && r.Model == model && r.Metric == AlignmentMetric.Cka).ToArray();
            summary[$"{model}.cka.lowest_snr"] = bySnr[0].Mean;
            summary[$"{model}.cka.highest_snr"] = bySnr[^1].Mean;
        }

        var plots = new List<StudyPlot>();
        void Family(string prefix, string[] models, double threshold, int trainSize, string setup, string errorLabel)
        {
            var mine = rows.Where(r => models.Contains(r.Model)).ToArray();
            List<(string Label, double[] X, double[] Mean, double[] Error, bool Dashed)> Series(string sweep, Func<Row, double> x, bool error) =>
                mine.Where(r => r.Sweep == sweep && (r.Metric == TestError) == error).GroupBy(r => (r.Model, r.Metric)).Select(g => (
                    Label: $"{g.Key.Metric} ({g.Key.Model})", X: g.Select(x).ToArray(), Mean: g.Select(r => r.Mean).ToArray(),
                    Error: g.Select(r => r.Sem).ToArray(), Dashed: g.Key.Model == ClosedForm)).ToList();
            var versusError = mine.Where(r => r.Metric == AlignmentMetric.Cka)
                .Select(r => (Row: r, Error: mine.Single(e => e.Metric == TestError && e.Sweep == r.Sweep && e.Model == r.Model && e.N == r.N && e.Snr == r.Snr).Mean))
                .GroupBy(p => p.Row.Model)
                .Select(g => g.OrderBy(p => p.Error).ToArray())
                .Select(g => (Label: $"cka ({g[0].Row.Model})", X: g.Select(p => p.Error).ToArray(), Mean: g.Select(p => p.Row.Mean).ToArray(),
                    Error: g.Select(p => p.Row.Sem).ToArray(), Dashed: g[0].Row.Model == ClosedForm)).ToList();
            string size = options.SizeSnr.ToString(CultureInfo.InvariantCulture), at = threshold.ToString("0.#", CultureInfo.InvariantCulture);
            const string alignment = "alignment (mean ± SEM over member pairs)";
            plots.Add(new($"{prefix}alignment_vs_snr.png", path => ReportPlots.Sweep(path, $"Alignment between members vs SNR (N = {trainSize}; {setup})",
                "SNR", alignment, true, Series(SnrSweep, r => r.Snr, false))));
            plots.Add(new($"{prefix}alignment_vs_n.png", path => ReportPlots.Sweep(path, $"Alignment vs training-set size (SNR = {size}; threshold N = {at})",
                "training-set size N", alignment, true, Series(SizeSweep, r => r.N, false))));
            plots.Add(new($"{prefix}test_error_vs_n.png", path => ReportPlots.Sweep(path, $"Test error vs training-set size (SNR = {size}; threshold N = {at})",
                "training-set size N", errorLabel, true, Series(SizeSweep, r => r.N, true))));
            plots.Add(new($"{prefix}alignment_vs_test_error.png", path => ReportPlots.Sweep(path, "CKA between members vs test error (both sweeps)",
                errorLabel, "CKA", versusError.All(v => v.X.All(e => e > 0)), versusError)));
        }
        Family("", [Trained, ClosedForm], options.Inputs, options.TrainSize,
            string.Create(CultureInfo.InvariantCulture, $"linear {options.Inputs}-{options.Hidden}-{options.Outputs}, {options.Members} members"), "test MSE against the clean teacher");
        if (options.Mlp)
            Family("mlp_", [MlpRegression, MlpClassification], options.MlpThreshold, options.MlpTrainSize,
                string.Create(CultureInfo.InvariantCulture, $"ReLU MLP {options.MlpInputs}-{options.MlpHidden}-{options.MlpOutputs}, {options.Members} members"),
                "test error (MSE; error rate for classification)");
        return new StudyOutcome(table, summary, plots);
    }
}
