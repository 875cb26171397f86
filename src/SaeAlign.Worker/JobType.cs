using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using SaeAlign.Core;

namespace SaeAlign.Worker;

/// <summary>
/// Base class of a job type whose spec is the record <typeparamref name="TSpec"/> (camelCase JSON,
/// kebab-case enum values, unknown fields rejected). A subclass says how to normalise and validate a
/// spec and how to run it; planning, hashing and the output folder are done here the same way for all.
/// </summary>
public abstract class JobType<TSpec> : IJobType where TSpec : class
{
    /// <summary>The JSON form of specs: field names as the CLI options in camelCase.</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false) },
    };

    public abstract string Name { get; }

    /// <summary>
    /// Checks every field and returns the spec with all defaults filled in and paths made relative to
    /// <paramref name="root"/> (<see cref="DataRoot.Relative"/>). Two specs that mean the same job must
    /// normalise to equal records: their hash, and so their output folder, is the same.
    /// </summary>
    protected abstract TSpec Normalize(TSpec spec, DataRoot root);

    /// <summary>The folder, relative to the data root, that holds this job's hash-named run folder (the spec's <c>out</c>).</summary>
    protected abstract string OutputParent(TSpec normalized);

    /// <summary>Does the work; see <see cref="IJobType.RunAsync"/>.</summary>
    protected abstract Task RunAsync(TSpec spec, JobRun run, CancellationToken cancellationToken);

    public JobPlan Plan(JsonObject fields, DataRoot root)
    {
        TSpec spec;
        try
        {
            spec = fields.Deserialize<TSpec>(Json) ?? throw new InvalidInputException("the spec is null.");
        }
        catch (JsonException e)
        {
            throw new InvalidInputException(JsonInputError.Describe(e), e);
        }
        // Validation errors name fields as specs spell them (evalRows): InvalidInputException.Message is that spelling.
        TSpec normalized = Normalize(spec, root);
        var canonical = JsonSerializer.SerializeToNode(normalized, Json)!.AsObject();
        var hashed = (JsonObject)canonical.DeepClone();
        hashed.Remove("out");
        hashed.Insert(0, "type", Name);
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(hashed.ToJsonString())))[..16];
        string output = Path.Combine(OutputParent(normalized), hash).Replace('\\', '/');
        return new JobPlan(Name, canonical, hash, output);
    }

    public Task RunAsync(JobPlan plan, JobRun run, CancellationToken cancellationToken) =>
        RunAsync(plan.Spec.Deserialize<TSpec>(Json)!, run, cancellationToken);
}
