namespace SaeAlign.ToyModels;

/// <summary>What a toy experiment produced: the run folder and, per seed, the model and its geometry.</summary>
public sealed record ToyExperimentResult(
    string Folder,
    ToyModelConfig Config,
    IReadOnlyList<TrainedToyModel> Models,
    IReadOnlyList<FeatureGeometry> Geometry,
    IReadOnlyList<string> Files);
