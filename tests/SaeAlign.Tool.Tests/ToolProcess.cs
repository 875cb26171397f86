using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace SaeAlign.Tool.Tests;

/// <summary>A real `saealign` process (the tool's build output, run with dotnet), for what only a process shows: signals, exit codes.</summary>
internal sealed class ToolProcess : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder stdout = new(), stderr = new();

    public ToolProcess(string workingDirectory, params string[] args) : this(workingDirectory, unprivileged: false, args)
    {
    }

    /// <param name="unprivileged">
    /// Run as user nobody when this process is root: root reads and writes through any permission bits, so only an
    /// unprivileged process shows what a user sees for an unreadable file or an unwritable folder.
    /// </param>
    public ToolProcess(string workingDirectory, bool unprivileged, params string[] args)
    {
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        bool drop = unprivileged && Environment.UserName == "root";
        var start = new ProcessStartInfo(drop ? "setpriv" : dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        if (drop)
        {
            foreach (string a in new[] { "--reuid=nobody", "--regid=nogroup", "--clear-groups", dotnet }) start.ArgumentList.Add(a);
            // nobody has no home; the runtime only needs somewhere to not write.
            start.Environment["HOME"] = Path.GetTempPath();
            start.Environment["DOTNET_CLI_HOME"] = Path.GetTempPath();
        }
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "saealign.dll"));
        foreach (string a in args) start.ArgumentList.Add(a);
        process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public bool HasExited => process.HasExited;

    /// <summary>Sends a signal by name (INT, TERM, KILL), as a terminal's Ctrl-C, systemd or an OOM killer would.</summary>
    public void Signal(string name) =>
        Process.Start("kill", [$"-{name}", process.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();

    /// <summary>Waits for the exit and returns the exit code and the output.</summary>
    public Cli.Result WaitForExit(TimeSpan timeout)
    {
        if (!process.WaitForExit(timeout)) throw new TimeoutException($"saealign did not exit within {timeout}; stderr so far: {Text(stderr)}");
        process.WaitForExit(); // drains the redirected streams
        return new Cli.Result(process.ExitCode, Text(stdout), Text(stderr));
    }

    public void Dispose()
    {
        if (!process.HasExited) process.Kill();
        process.WaitForExit();
        process.Dispose();
    }

    private static void Append(StringBuilder buffer, string? line)
    {
        if (line is null) return;
        lock (buffer) buffer.AppendLine(line);
    }

    private static string Text(StringBuilder buffer)
    {
        lock (buffer) return buffer.ToString();
    }
}
