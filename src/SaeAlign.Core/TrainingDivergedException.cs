namespace SaeAlign.Core;

/// <summary>Training produced a non-finite loss; the message names the step (and the model) and the field to change.</summary>
public sealed class TrainingDivergedException(InputMessage message) : Exception(message.ToString())
{
    public TrainingDivergedException(InputMessageHandler message) : this(message.ToMessage()) { }

    /// <summary>The message with its fields still fields.</summary>
    public InputMessage Input { get; } = message;
}
