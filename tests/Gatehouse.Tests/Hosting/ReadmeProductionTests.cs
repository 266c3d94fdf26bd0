using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;

namespace Gatehouse.Tests.Hosting;

/// <summary>
/// The README's "Running on PostgreSQL" block, run as a newcomer would: its <c>export</c> lines and its two
/// <c>dotnet run</c> commands, as real processes, against the test PostgreSQL and a real SMTP listener. Only
/// what names the reader's own infrastructure is replaced (the connection string, the secret, the SMTP host,
/// port and TLS mode: the listener has no certificate the system trusts); everything else is the README's text.
/// If the block stops being enough to start in production, or stops running in Production, this fails.
/// </summary>
public sealed partial class PostgresReadmeProductionTests : IAsyncLifetime
{
    private string? _connectionString;
    private SmtpCatcher? _mail;
    private Process? _server;
    private readonly StringBuilder _output = new();

    [Fact]
    public async Task TheProductionBlock_MigratesAndStartsInProduction_AndMailsOverSmtp()
    {
        var root = RepositoryRoot();
        var block = ProductionBlock(File.ReadAllText(Path.Combine(root, "README.md")));
        var environment = Exports(block);
        Assert.Contains("Gatehouse__Email__Smtp__Username", environment.Keys);

        _connectionString = await PostgresServer.CreateDatabaseAsync("readme_production");
        _mail = await SmtpCatcher.StartAsync(username: environment["Gatehouse__Email__Smtp__Username"], password: environment["Gatehouse__Email__Smtp__Password"]);
        environment["Gatehouse__Database__ConnectionString"] = _connectionString;
        environment["Gatehouse__SecretKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        environment["Gatehouse__Email__Smtp__Host"] = _mail.Host;
        environment["Gatehouse__Email__Smtp__Port"] = _mail.Port.ToString(CultureInfo.InvariantCulture);
        environment["Gatehouse__Email__Smtp__Security"] = "None"; // a relay on localhost: allowed with a username
        var port = FreePort();
        environment["Urls"] = $"http://127.0.0.1:{port}";

        var commands = block.Split('\n').Select(l => l.Trim()).Where(l => l.Contains("dotnet run", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, commands.Count);
        var migrate = Command(commands[0]);
        var serve = Command(commands[1]);
        Assert.Contains("migrate", migrate.Arguments, StringComparison.Ordinal);
        Assert.Equal("Production", serve.Environment.GetValueOrDefault("ASPNETCORE_ENVIRONMENT"));

        using (var migration = Start(root, migrate, environment))
        {
            await migration.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
            Assert.True(migration.ExitCode == 0, $"migrate exited with {migration.ExitCode}:\n{_output}");
        }

        _output.Clear();
        _server = Start(root, serve, environment);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await WaitUntilUpAsync(http);
        Assert.Contains("Hosting environment: Production", _output.ToString(), StringComparison.Ordinal);

        using var client = new ApiClient(ClientKind.App, http, new CookieContainer());
        var signup = await client.PostAsync("auth/signup", new { email = "newcomer@example.com", password = "Tr0ub4dor&3-horse" });
        Assert.Equal(401, signup.StatusCode);
        Assert.Equal("verify_email", signup.PendingFlow);
        var mail = await _mail.WaitForMailAsync(m => m.To.Contains("newcomer@example.com"), TimeSpan.FromSeconds(30));
        Assert.StartsWith("https://app.example.com/account/verify-email/", mail.FirstUrl(), StringComparison.Ordinal);
        Assert.Contains("noreply@example.com", mail.From, StringComparison.Ordinal);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Gatehouse.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Gatehouse.slnx not found above " + AppContext.BaseDirectory);
    }

    private static string ProductionBlock(string readme)
    {
        var section = readme[readme.IndexOf("## Running on PostgreSQL", StringComparison.Ordinal)..];
        var start = section.IndexOf("```sh\n", StringComparison.Ordinal) + "```sh\n".Length;
        return section[start..section.IndexOf("```", start, StringComparison.Ordinal)];
    }

    /// <summary>The block's <c>export NAME=VALUE</c> lines, comments and shell quotes removed.</summary>
    private static Dictionary<string, string> Exports(string block)
    {
        var exports = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match match in ExportLine().Matches(block))
        {
            var value = match.Groups["value"].Value.Trim();
            exports[match.Groups["name"].Value] = value.Length >= 2 && value[0] == '"' && value[^1] == '"' ? value[1..^1] : value;
        }
        return exports;
    }

    private sealed record ShellCommand(Dictionary<string, string> Environment, string Arguments);

    /// <summary>"[NAME=value ...] dotnet run ARGS  # comment" → the leading variables and the arguments after "dotnet".</summary>
    private static ShellCommand Command(string line)
    {
        var text = line.Split("  #", 2)[0].Trim();
        var at = text.IndexOf("dotnet ", StringComparison.Ordinal);
        var variables = text[..at].Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(v => v.Split('=', 2)).ToDictionary(v => v[0], v => v[1], StringComparer.Ordinal);
        // --no-build: the test run has built the server already, and a second build of the same output would race it.
        var arguments = text[(at + "dotnet ".Length)..].Replace("run ", "run --no-build ", StringComparison.Ordinal);
        return new ShellCommand(variables, arguments);
    }

    private Process Start(string root, ShellCommand command, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in command.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            start.ArgumentList.Add(argument);
        }
        // The test process's own ASP.NET Core variables must not leak into the newcomer's shell.
        start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        foreach (var (name, value) in environment.Concat(command.Environment))
        {
            start.Environment[name] = value;
        }
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private async Task WaitUntilUpAsync(HttpClient http)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(_server!.HasExited, $"the server exited with {(_server.HasExited ? _server.ExitCode : 0)}:\n{_output}");
            try
            {
                using var health = await http.GetAsync("/healthz");
                if (health.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(200);
        }
        Assert.Fail("the server did not answer /healthz within two minutes:\n" + _output);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"^export (?<name>[A-Za-z_][A-Za-z0-9_]*)=(?<value>""[^""]*""|\S+)", RegexOptions.Multiline)]
    private static partial Regex ExportLine();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_server is { HasExited: false })
        {
            _server.Kill(entireProcessTree: true);
            await _server.WaitForExitAsync();
        }
        _server?.Dispose();
        if (_mail is not null)
        {
            await _mail.DisposeAsync();
        }
        if (_connectionString is not null)
        {
            await PostgresServer.DropDatabaseAsync(_connectionString);
        }
    }
}
