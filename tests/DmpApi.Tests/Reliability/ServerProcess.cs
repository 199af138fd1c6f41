using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DmpApi.Auth;
using DmpApi.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace DmpApi.Tests.Reliability;

/// <summary>
/// The real server process (the built DmpApi.dll under `dotnet`, Development environment unless told) over a test
/// database, on a port of the reliability range (5300-5399), so that it can be killed with SIGKILL and started again on
/// the same data, or started several times on one database as a fleet.
/// Rate limiting is off: the load drives one requester at full speed (RateLimits__Enabled=false).
/// </summary>
public sealed class ServerProcess : IDisposable
{
    private const int FirstPort = 5300, LastPort = 5399;

    private readonly Process _process;
    private readonly Queue<string> _lastLines = new();

    private ServerProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>What the server wrote last (stdout and stderr), for a failing test's message.</summary>
    public string Output
    {
        get
        {
            lock (_lastLines)
            {
                return string.Join(Environment.NewLine, _lastLines);
            }
        }
    }

    /// <summary>The folder of the built server, next to the solution (same configuration as the tests).</summary>
    public static string ServerFolder
    {
        get
        {
            var testFolder = AppContext.BaseDirectory;
            var configuration = new DirectoryInfo(testFolder).Parent!.Name; // …/bin/<Configuration>/net10.0/
            var root = new DirectoryInfo(testFolder);
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "DmpApi.sln")))
            {
                root = root.Parent;
            }

            var built = root is null ? null : Path.Combine(root.FullName, "src", "DmpApi", "bin", configuration, "net10.0");
            return built is not null && File.Exists(Path.Combine(built, "DmpApi.dll")) ? built : testFolder;
        }
    }

    /// <summary>The development token settings the server reads from its own appsettings files.</summary>
    public static AuthOptions DevelopmentAuth()
    {
        var configuration = new ConfigurationBuilder().SetBasePath(ServerFolder)
            .AddJsonFile("appsettings.json").AddJsonFile("appsettings.Development.json").Build();
        return configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? throw new InvalidOperationException("No Auth section.");
    }

    /// <param name="database">The database it serves.</param>
    /// <param name="portOffset">Where to start looking for a free port in the range.</param>
    /// <param name="environment">ASPNETCORE_ENVIRONMENT (Production: what a Release build defaults to).</param>
    /// <param name="settings">More configuration, as environment variables (e.g. "Search__PageTokenKey").</param>
    public static async Task<ServerProcess> StartAsync(TestDatabase database, int portOffset,
        string environment = "Development", IReadOnlyDictionary<string, string>? settings = null)
    {
        var port = FreePort(portOffset);
        var start = Dotnet(database, environment, settings);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        start.Environment["RateLimits__Enabled"] = "false";
        start.Environment["Logging__LogLevel__Default"] = "Warning";

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        var server = new ServerProcess(process, new Uri($"http://127.0.0.1:{port}/"));
        process.OutputDataReceived += (_, e) => server.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => server.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await server.WaitUntilReadyAsync();
        return server;
    }

    /// <summary>Runs one of the binary's commands (e.g. verify-audit) on the database; its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunCommandAsync(TestDatabase database, string environment,
        IReadOnlyDictionary<string, string>? settings, params string[] command)
    {
        var start = Dotnet(database, environment, settings, command);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }

    private static ProcessStartInfo Dotnet(TestDatabase database, string environment, IReadOnlyDictionary<string, string>? settings, params string[] command)
    {
        var folder = ServerFolder;
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(folder, "DmpApi.dll"));
        foreach (var argument in command)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = environment;
        start.Environment["Database__Provider"] = database.Provider.ToString();
        start.Environment["ConnectionStrings__Dmp"] = database.ConnectionString;
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        return start;
    }

    /// <summary>SIGKILL: no shutdown, no flush, no drain (Process.Kill sends SIGKILL on Unix).</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private async Task WaitUntilReadyAsync()
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The server exited with {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var response = await http.GetAsync("healthz");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        Kill();
        throw new TimeoutException($"The server did not answer /healthz within 90 s:\n{Output}");
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lastLines)
        {
            _lastLines.Enqueue(line);
            while (_lastLines.Count > 50)
            {
                _lastLines.Dequeue();
            }
        }
    }

    private static int FreePort(int offset)
    {
        for (var i = 0; i <= LastPort - FirstPort; i++)
        {
            var port = FirstPort + (offset + i) % (LastPort - FirstPort + 1);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken: try the next one of the range.
            }
        }

        throw new InvalidOperationException($"No free port in {FirstPort}-{LastPort}.");
    }
}
