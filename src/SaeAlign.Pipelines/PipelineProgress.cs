namespace SaeAlign.Pipelines;

/// <summary>Which stage a pipeline is in and how far along it is (0..1); <see cref="Skipped"/> when its outputs already existed.</summary>
public sealed record PipelineProgress(string Stage, double Fraction, bool Skipped = false);
