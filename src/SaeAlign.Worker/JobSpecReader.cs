using System.Text.Json;
using System.Text.Json.Nodes;
using SaeAlign.Core;

namespace SaeAlign.Worker;

/// <summary>
/// Turns a spec file's text into validated jobs. A file holds one spec object or an array of them; a
/// spec's optional <c>sweep</c> maps field names to lists of values and expands into one job per
/// combination (the Cartesian product, in the order the fields are written). Every job is validated
/// before any is returned, so a bad file queues nothing.
/// </summary>
public sealed class JobSpecReader(JobTypeRegistry types, DataRoot root)
{
    /// <summary>More jobs than this from one file is almost certainly a mistake in a sweep.</summary>
    public const int MaxJobs = 10_000;

    public IReadOnlyList<JobPlan> Read(string json, string source)
    {
        JsonNode? document;
        try
        {
            document = JsonNode.Parse(json, documentOptions: JsonInputError.DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"{source}: {JsonInputError.Describe(e)}", e);
        }
        var specs = document switch
        {
            JsonObject single => [single],
            JsonArray array => array.Select((node, i) => node as JsonObject
                ?? throw new InvalidInputException($"{source}: element {i} is not a JSON object with a \"type\".")).ToArray(),
            _ => throw new InvalidInputException($"{source}: expected a JSON object with a \"type\" (or an array of them)."),
        };
        InvalidInputException.Require(specs.Length > 0, $"{source}: the array holds no job specs.");

        var plans = new List<JobPlan>();
        var outputs = new HashSet<string>(StringComparer.Ordinal);
        for (int s = 0; s < specs.Length; s++)
        {
            string where = specs.Length == 1 ? source : $"{source}[{s}]";
            IJobType type;
            try
            {
                type = types.GetPublic(TypeOf(specs[s], where));
            }
            catch (InvalidInputException e) when (!e.Message.StartsWith(where, StringComparison.Ordinal))
            {
                throw new InvalidInputException($"{where}: {e.Message}", e);
            }
            var combinations = Expand(specs[s], where);
            foreach (var (fields, label) in combinations)
            {
                JobPlan plan;
                try
                {
                    string? device = JobDevice.Take(fields);
                    plan = type.Plan(fields, root) with { Device = device };
                }
                catch (InvalidInputException e)
                {
                    throw new InvalidInputException($"{where}{label}: {e.Message}", e);
                }
                // A sweep that repeats a value names the same job twice; it runs once.
                if (outputs.Add(plan.Output)) plans.Add(plan);
            }
        }
        return plans;
    }

    private static string TypeOf(JsonObject spec, string where)
    {
        if (spec["type"] is JsonValue value && value.TryGetValue(out string? type) && !string.IsNullOrWhiteSpace(type)) return type;
        throw new InvalidInputException($"{where}: type: missing; a spec needs \"type\" (e.g. \"train-toy\").");
    }

    /// <summary>The spec's field sets, one per sweep combination, each with a label naming its swept values.</summary>
    private static List<(JsonObject Fields, string Label)> Expand(JsonObject spec, string where)
    {
        var fields = (JsonObject)spec.DeepClone();
        fields.Remove("type");
        fields.Remove("sweep", out var sweepNode);
        if (sweepNode is null) return [(fields, "")];

        var sweep = sweepNode as JsonObject
            ?? throw new InvalidInputException($"{where}: sweep: must be an object mapping field names to lists of values.");
        InvalidInputException.Require(sweep.Count > 0, $"{where}: sweep: names no fields.");
        long total = 1;
        foreach (var (name, values) in sweep)
        {
            InvalidInputException.Require(name is not ("type" or "sweep" or "out"), $"{where}: sweep.{name}: this field cannot be swept.");
            var list = values as JsonArray;
            InvalidInputException.Require(list is { Count: > 0 }, $"{where}: sweep.{name}: must be a non-empty list of values.");
            total *= list!.Count;
            InvalidInputException.Require(total <= MaxJobs, $"{where}: sweep: expands into more than {MaxJobs} jobs.");
        }

        var result = new List<(JsonObject, string)> { (fields, "") };
        foreach (var (name, values) in sweep)
        {
            var next = new List<(JsonObject, string)>();
            foreach (var (partial, label) in result)
            {
                foreach (var value in (JsonArray)values!)
                {
                    var combined = (JsonObject)partial.DeepClone();
                    combined[name] = value?.DeepClone();
                    next.Add((combined, $"{label}{(label.Length == 0 ? " (sweep " : ", ")}{name}={value?.ToJsonString() ?? "null"}"));
                }
            }
            result = next;
        }
        return result.Select(r => (r.Item1, r.Item2 + ")")).ToList();
    }
}
