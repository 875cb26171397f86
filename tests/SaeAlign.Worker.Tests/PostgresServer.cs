using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SaeAlign.Worker.Tests;

/// <summary>
/// A throw-away PostgreSQL server from the system's packages: initdb into a temporary folder, listening
/// on 127.0.0.1 only. PostgreSQL refuses to run as root, so as root the server runs as the `postgres`
/// user (runuser) on a folder that user owns.
/// </summary>
internal sealed class PostgresServer : IDisposable
{
    private readonly string bin;
    private readonly string folder;
    private readonly string data;
    private readonly bool asPostgresUser;

    private PostgresServer(string bin, string folder, bool asPostgresUser)
    {
        this.bin = bin;
        this.folder = folder;
        data = Path.Combine(folder, "data");
        this.asPostgresUser = asPostgresUser;
        Port = FreePort();
    }

    public int Port { get; }

    /// <summary>A connection string for <paramref name="database"/> (trust authentication; the password is a canary for log checks).</summary>
    public string ConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Port};Database={database};Username=postgres;Password={PasswordCanary};Timeout=5";

    public const string PasswordCanary = "canary-p4ssw0rd-not-to-be-logged";

    /// <summary>Starts a server, or returns null with the reason when this machine cannot run one.</summary>
    public static PostgresServer? TryStart(out string reason)
    {
        string? bin = FindBin();
        if (bin is null)
        {
            reason = "no PostgreSQL server binaries (initdb, pg_ctl) on PATH or under /usr/lib/postgresql/*/bin; install the `postgresql` package";
            return null;
        }
        bool root = Environment.UserName == "root";
        string folder = Path.Combine(Path.GetTempPath(), $"saealign-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        var server = new PostgresServer(bin, folder, root);
        try
        {
            if (root) Run("chown", "postgres:postgres", folder);
            server.Pg("initdb", "-D", server.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync");
            server.Start();
            reason = "";
            return server;
        }
        catch (Exception e)
        {
            reason = e.Message;
            server.Dispose();
            return null;
        }
    }

    public void Start() => Pg("pg_ctl", "-D", data, "-l", Path.Combine(folder, "server.log"), "-w", "-t", "60", "-o",
        $"-p {Port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off -c max_connections=200", "start");

    /// <summary>Stops the server at once, dropping every connection (the fault the restart test injects).</summary>
    public void Stop() => Pg("pg_ctl", "-D", data, "-m", "fast", "-w", "stop");

    public void Dispose()
    {
        try
        {
            if (File.Exists(Path.Combine(data, "postmaster.pid"))) Stop();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private void Pg(string tool, params string[] args)
    {
        string exe = Path.Combine(bin, tool);
        if (asPostgresUser) Run("runuser", ["-u", "postgres", "--", exe, .. args]);
        else Run(exe, args);
    }

    private static void Run(string exe, params string[] args)
    {
        var start = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(exe)} {string.Join(' ', args.Take(2))} failed ({process.ExitCode}): {stderr}{stdout.Result}");
    }

    private static string? FindBin()
    {
        // Debian keeps the server binaries off PATH, under /usr/lib/postgresql/VERSION/bin.
        var candidates = (Directory.Exists("/usr/lib/postgresql")
                ? Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0).Select(d => Path.Combine(d, "bin"))
                : [])
            .Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries));
        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
