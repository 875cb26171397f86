namespace SaeAlign.Sae;

/// <summary>Training metrics at one step, on that step's batch, in the units of the activations on disk.</summary>
public sealed record SaeMetricsPoint(int Step, float Loss, float Mse, float Fvu, float L0, float DeadFraction);

public sealed record SaeTrainingProgress(int Step, int Steps, float Loss, float L0, float DeadFraction);

/// <summary>
/// Quality of a dictionary on a set of rows: MSE (mean over rows of ||x - x̂||²), fraction of variance
/// unexplained, mean L0, the fraction of latents that never fire, and each latent's firing density.
/// </summary>
public sealed record SaeEvaluation(int Rows, double Mse, double Fvu, double L0, double DeadFraction, float[] Density);

public sealed record SaeTrainingResult(
    SaeDictionary Dictionary,
    IReadOnlyList<SaeMetricsPoint> Curve,
    SaeEvaluation Evaluation,
    int Steps,
    int TrainRows,
    double InputScale,
    int ResumedFromStep);
