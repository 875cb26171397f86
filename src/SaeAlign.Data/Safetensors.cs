using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SaeAlign.Core;

namespace SaeAlign.Data;

/// <summary>One tensor of a safetensors file, converted to float32, row-major.</summary>
public sealed record SafeTensor(long[] Shape, float[] Values);

/// <summary>
/// The safetensors format (huggingface/safetensors): an 8-byte little-endian header length N, N bytes of
/// JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}, then the
/// tensors' bytes, little-endian, row-major. No .NET package exists; this reads F32, F64, F16 and BF16 and
/// writes F32, rejecting any header that does not describe the data exactly.
/// </summary>
public static class Safetensors
{
    private const long MaxHeaderBytes = 100_000_000;
    private const string MetadataKey = "__metadata__";

    public static void Write(string path, IReadOnlyList<(string Name, SafeTensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) meta[key] = value;
            header[MetadataKey] = meta;
        }
        long offset = 0;
        foreach (var (name, tensor) in tensors)
        {
            long bytes = tensor.Values.LongLength * 4;
            header[name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(tensor.Shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        // The format pads the header with spaces to a multiple of 8 so the data is aligned.
        int padded = (json.Length + 7) / 8 * 8;
        AtomicFile.Write(path, temp =>
        {
            using var stream = new FileStream(temp, FileMode.Create, FileAccess.Write);
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            stream.Write(length);
            stream.Write(json);
            for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
            foreach (var (_, tensor) in tensors)
            {
                var bytes = new byte[tensor.Values.Length * 4];
                for (int i = 0; i < tensor.Values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), tensor.Values[i]);
                stream.Write(bytes);
            }
        });
    }

    /// <summary>Reads every tensor and the metadata; a malformed file is <see cref="InvalidInputException"/> naming the problem.</summary>
    public static (IReadOnlyDictionary<string, SafeTensor> Tensors, IReadOnlyDictionary<string, string> Metadata) Read(string path)
    {
        InputFile.RequireReadable(path);
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8) throw Malformed(path, "shorter than the 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > MaxHeaderBytes || 8 + (long)headerLength > bytes.Length)
            throw Malformed(path, $"the header length {headerLength} does not fit in the file's {bytes.Length} bytes");
        JsonObject header;
        try
        {
            header = JsonNode.Parse(bytes.AsSpan(8, (int)headerLength)) as JsonObject ?? throw Malformed(path, "the header is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"{path}: malformed safetensors header: not valid JSON ({e.Message}).", e);
        }
        var data = bytes.AsMemory(8 + (int)headerLength);
        var tensors = new Dictionary<string, SafeTensor>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, node) in header)
        {
            if (name == MetadataKey)
            {
                if (node is not JsonObject meta) throw Malformed(path, $"'{MetadataKey}' is not an object");
                foreach (var (key, value) in meta)
                    metadata[key] = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw Malformed(path, $"metadata '{key}' is not a string");
                continue;
            }
            tensors[name] = ReadTensor(path, name, node, data.Span);
        }
        return (tensors, metadata);
    }

    private static SafeTensor ReadTensor(string path, string name, JsonNode? node, ReadOnlySpan<byte> data)
    {
        try
        {
            var entry = node as JsonObject ?? throw Malformed(path, $"tensor '{name}' is not an object");
            string dtype = entry["dtype"]?.GetValue<string>() ?? throw Malformed(path, $"tensor '{name}' has no dtype");
            var shape = (entry["shape"] as JsonArray ?? throw Malformed(path, $"tensor '{name}' has no shape")).Select(d => d!.GetValue<long>()).ToArray();
            var offsets = (entry["data_offsets"] as JsonArray ?? throw Malformed(path, $"tensor '{name}' has no data_offsets")).Select(d => d!.GetValue<long>()).ToArray();
            int size = dtype switch
            {
                "F32" => 4,
                "F64" => 8,
                "F16" or "BF16" => 2,
                _ => throw new InvalidInputException($"{path}: tensor '{name}' has dtype {dtype}; SaeAlign reads F32, F64, F16 and BF16."),
            };
            if (shape.Any(d => d < 0)) throw Malformed(path, $"tensor '{name}' has a negative dimension");
            long count = shape.Aggregate(1L, (a, b) => checked(a * b));
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > data.Length)
                throw Malformed(path, $"tensor '{name}' has data_offsets [{string.Join(", ", offsets)}] outside the {data.Length} data bytes");
            if (offsets[1] - offsets[0] != count * size)
                throw Malformed(path, $"tensor '{name}' of shape [{string.Join(", ", shape)}] {dtype} needs {count * size} bytes, its offsets span {offsets[1] - offsets[0]}");
            var raw = data.Slice((int)offsets[0], (int)(offsets[1] - offsets[0]));
            var values = new float[count];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = dtype switch
                {
                    "F32" => BinaryPrimitives.ReadSingleLittleEndian(raw[(i * 4)..]),
                    "F64" => (float)BinaryPrimitives.ReadDoubleLittleEndian(raw[(i * 8)..]),
                    "F16" => (float)BinaryPrimitives.ReadHalfLittleEndian(raw[(i * 2)..]),
                    _ => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(raw[(i * 2)..]) << 16),
                };
            }
            return new SafeTensor(shape, values);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or OverflowException or JsonException)
        {
            throw new InvalidInputException($"{path}: malformed safetensors header for tensor '{name}' ({e.Message}).", e);
        }
    }

    private static InvalidInputException Malformed(string path, string problem) => new($"{path}: malformed safetensors file: {problem}.");
}
