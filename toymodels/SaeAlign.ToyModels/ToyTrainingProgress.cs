namespace SaeAlign.ToyModels;

/// <summary>Where a toy training run is: the step just finished and each model's loss there.</summary>
public sealed record ToyTrainingProgress(int Step, int Steps, IReadOnlyList<float> Losses);
