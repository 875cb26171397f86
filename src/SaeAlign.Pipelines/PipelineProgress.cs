namespace SaeAlign.Pipelines;

/// <summary>
/// Which stage a pipeline is in and how far along it is (0..1); <see cref="Skipped"/> when its outputs already existed.
/// Stages of different seeds run concurrently, so reports can come from several threads at once.
/// </summary>
public sealed record PipelineProgress(string Stage, double Fraction, bool Skipped = false);
