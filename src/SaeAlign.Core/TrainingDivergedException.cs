namespace SaeAlign.Core;

/// <summary>Training produced a non-finite loss; the message names the step (and the model) so the run can be fixed.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
