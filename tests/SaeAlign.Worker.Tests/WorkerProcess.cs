using System.Diagnostics;
using System.Text;

namespace SaeAlign.Worker.Tests;

/// <summary>A real `saealign worker` process (the tool's build output, run with dotnet) on a PostgreSQL store.</summary>
internal sealed class WorkerProcess : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    public WorkerProcess(string connection, string schema, string dataRoot, TimeSpan invisibilityTimeout, int concurrency = 1)
    {
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = dataRoot,
        };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "saealign.dll"), "worker", "--storage", "postgres", "--data-root", dataRoot,
                     "--threads", "1", "--concurrency", concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(a);
        // Credentials and tuning through the environment, as an operator would pass them.
        start.Environment["SAEALIGN_Worker__Connection"] = connection;
        start.Environment["SAEALIGN_Worker__Schema"] = schema;
        start.Environment["SAEALIGN_Worker__InvisibilityTimeout"] = invisibilityTimeout.ToString("c");
        start.Environment["SAEALIGN_Worker__PollInterval"] = "00:00:00.2";
        process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Id => process.Id;

    public bool HasExited => process.HasExited;

    /// <summary>Everything the worker wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (output) return output.ToString();
        }
    }

    /// <summary>SIGKILL: no chance to clean up or give the job back.</summary>
    public void Kill() => process.Kill();

    /// <summary>SIGTERM, what systemd or docker stop sends.</summary>
    public void Terminate() => Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();

    public bool WaitForExit(TimeSpan timeout) => process.WaitForExit(timeout);

    public void Dispose()
    {
        if (!process.HasExited) process.Kill();
        process.WaitForExit();
        process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (output) output.AppendLine(line);
    }
}
