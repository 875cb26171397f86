using SaeAlign.Core;

namespace SaeAlign.Worker;

/// <summary>The job types a worker knows, by name.</summary>
public sealed class JobTypeRegistry
{
    private readonly IReadOnlyDictionary<string, IJobType> types;

    public JobTypeRegistry(IEnumerable<IJobType> types)
    {
        this.types = types.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The types a spec may name.</summary>
    public IReadOnlyCollection<string> Names => types.Values.Where(t => t.Public).Select(t => t.Name).Order(StringComparer.Ordinal).ToArray();

    /// <summary>The type called <paramref name="name"/>; an unknown name is bad input that lists the known ones.</summary>
    public IJobType Get(string name) => types.TryGetValue(name, out var type)
        ? type
        : throw new InvalidInputException($"type: unknown job type '{name}'. Known types: {string.Join(", ", Names)}.");

    /// <summary><see cref="Get"/> for a spec, which may not name a type that only SaeAlign queues.</summary>
    public IJobType GetPublic(string name) => Get(name) is { Public: true } type
        ? type
        : throw new InvalidInputException($"type: '{name}' is queued by SaeAlign itself (a pipeline job's stages); enqueue a \"pipeline\" spec.");
}

/// <summary>The one place job types are registered: add a new type's class to <see cref="All"/>.</summary>
public static class JobTypes
{
    public static JobTypeRegistry All() => new([
        new TrainToyJob(),
        new TrainSaeJob(),
        new EncodeJob(),
        new AlignJob(),
        new PipelineJob(),
        new PipelineStageJob(),
    ]);
}
