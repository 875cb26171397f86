using System.CommandLine;
using SaeAlign.Alignment;

namespace SaeAlign.Tool.Commands;

/// <summary>The calibration options of the commands that score alignment (README, "Calibration").</summary>
internal sealed class CalibrationOptions
{
    private readonly Option<int?> nullPermutations = new("--null-permutations")
    {
        Description = $"Permutation-null replicates per score: the target's stimuli shuffled within folds, fitted and scored alike (default {Calibration.DefaultPermutations}; 0: none).",
    };
    private readonly Option<int?> bootstrap = new("--bootstrap")
    {
        Description = "Bootstrap replicates per score for 95% percentile intervals (stimuli resampled within folds; default 0: none; each costs one run of the metrics).",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(nullPermutations);
        command.Options.Add(bootstrap);
    }

    /// <summary>The replicates given, null where the flag was not (so a spec file's value stands).</summary>
    public (int? NullPermutations, int? Bootstrap) Read(ParseResult parse) => (parse.GetValue(nullPermutations), parse.GetValue(bootstrap));
}
