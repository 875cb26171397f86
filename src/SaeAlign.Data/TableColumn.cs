namespace SaeAlign.Data;

/// <summary>
/// One named column of a <see cref="TableParquet"/> table. <see cref="Values"/> is an int[], long[],
/// float[], double[] or string[]; the factories are the only way in, so no other type reaches the writer.
/// </summary>
public sealed record TableColumn
{
    private TableColumn(string name, Array values)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        Values = values;
    }

    public string Name { get; }
    public Array Values { get; }

    public static TableColumn Int32(string name, int[] values) => new(name, values);
    public static TableColumn Int64(string name, long[] values) => new(name, values);
    public static TableColumn Float32(string name, float[] values) => new(name, values);
    public static TableColumn Float64(string name, double[] values) => new(name, values);
    public static TableColumn String(string name, string[] values) => new(name, values);
}
