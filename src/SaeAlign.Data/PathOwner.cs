using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace SaeAlign.Data;

/// <summary>
/// The process that owns a temporary path (a run folder's staging folder, an atomic write's temporary file), written
/// into the path's name as <c>{host}-{pid}-{start}</c> so that a later run can tell a leftover of a process that died
/// (SIGKILL, power loss) from the work of a live one. The start time (Unix seconds) tells a reused pid from its owner.
/// </summary>
public sealed record PathOwner(string Host, int Pid, long StartedAt)
{
    // Process start times read back on Linux move by a few milliseconds (they are derived from the boot time).
    private const long StartTolerance = 2;

    /// <summary>This process.</summary>
    public static PathOwner Current()
    {
        using var self = Process.GetCurrentProcess();
        return new PathOwner(HostName(), self.Id, StartSeconds(self));
    }

    /// <summary>The name part: <c>{host}-{pid}-{start}</c>.</summary>
    public string Tag => string.Create(CultureInfo.InvariantCulture, $"{Host}-{Pid}-{StartedAt}");

    /// <summary>
    /// True only when the owner is known to be gone: it ran on this machine and no process with its pid and start time
    /// runs now. An owner on another machine (a shared file system) cannot be checked and counts as alive.
    /// </summary>
    public bool IsGone()
    {
        if (Host != HostName()) return false;
        try
        {
            using var process = Process.GetProcessById(Pid);
            return Math.Abs(StartSeconds(process) - StartedAt) > StartTolerance;
        }
        catch (ArgumentException)
        {
            return true; // no such process
        }
        catch (InvalidOperationException)
        {
            return true; // it exited while being looked at
        }
        catch (Win32Exception)
        {
            return false; // it exists but may not be inspected
        }
    }

    /// <summary>
    /// Removes the entries of <paramref name="directory"/> named <c>{prefix}{owner tag}-{anything}</c> whose owner is gone.
    /// Names without an owner tag (made by older versions) are left alone: nothing says their owner is gone.
    /// </summary>
    public static void RemoveLeftovers(string directory, string prefix)
    {
        if (!Directory.Exists(directory)) return;
        foreach (string path in Directory.EnumerateFileSystemEntries(directory, prefix + "*"))
        {
            if (TryParse(Path.GetFileName(path)[prefix.Length..]) is not { } owner || !owner.IsGone()) continue;
            try
            {
                if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
                else File.Delete(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another run cleaning up at the same time, or not ours to delete: the leftover does no harm to this run.
            }
        }
    }

    /// <summary>Reads the owner from <c>{host}-{pid}-{start}-{unique}</c> (the host may contain '-'); null when it is not one.</summary>
    public static PathOwner? TryParse(string tagged)
    {
        string[] parts = tagged.Split('-');
        if (parts.Length < 4) return null;
        string host = string.Join('-', parts[..^3]);
        return host.Length > 0
            && int.TryParse(parts[^3], NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
            && long.TryParse(parts[^2], NumberStyles.None, CultureInfo.InvariantCulture, out long start)
                ? new PathOwner(host, pid, start)
                : null;
    }

    private static long StartSeconds(Process process) => new DateTimeOffset(process.StartTime).ToUnixTimeSeconds();

    /// <summary>The machine name, reduced to characters that are safe in a file name on every system.</summary>
    private static string HostName()
    {
        var name = new StringBuilder();
        foreach (char c in Environment.MachineName) name.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '_');
        return name.ToString();
    }
}
