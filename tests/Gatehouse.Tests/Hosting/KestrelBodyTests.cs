using System.Net.Sockets;
using System.Text;
using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Tests.Hosting;

/// <summary>
/// A body that Kestrel cannot read (a malformed chunk) is the client's fault: 400 in the envelope and a
/// log line without stack trace, not a 500. TestServer does not parse chunked encoding, so these run on
/// a real Kestrel and write the request on a raw socket. HTTP parsing does not depend on the database:
/// SQLite only.
/// </summary>
public sealed class KestrelBodyTests : IAsyncLifetime
{
    private GatehouseApp? _app;

    [Theory, MemberData(nameof(Api.ApiTestBase.Clients), MemberType = typeof(Api.ApiTestBase))]
    public async Task AChunkSizeOverflow_Answers400InTheEnvelope_AndLogsNoStackTrace(ClientKind kind)
    {
        var (app, port) = await StartKestrelAsync();
        var csrf = new string('a', 32);
        var browserHeaders = kind == ClientKind.Browser ? $"Cookie: csrftoken={csrf}\r\nX-CSRFToken: {csrf}\r\n" : "";
        var request =
            $"POST /_allauth/{(kind == ClientKind.App ? "app" : "browser")}/v1/auth/login HTTP/1.1\r\n" +
            "Host: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n" +
            browserHeaders + "\r\n" +
            "FFFFFFFFFFFFFFFFFFFF\r\n{}\r\n0\r\n\r\n"; // a chunk size beyond any integer

        var response = await SendRawAsync(port, request);

        Assert.StartsWith("HTTP/1.1 400 ", response, StringComparison.Ordinal);
        Assert.Contains("""{"status":400,"errors":[{"message":"The request body could not be read.","code":"invalid"}]}""", response, StringComparison.Ordinal);
        var logged = Assert.Single(app.Logs.Lines, l => l.Contains("could not be read", StringComparison.Ordinal));
        Assert.StartsWith("Information Gatehouse.Http.JsonInput", logged, StringComparison.Ordinal);
        Assert.DoesNotContain(app.Logs.Lines, l => l.Contains("   at ", StringComparison.Ordinal));
        Assert.DoesNotContain(app.Logs.Lines, l => l.StartsWith("Error ", StringComparison.Ordinal) || l.StartsWith("Critical ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AWellFormedChunkedBody_IsRead()
    {
        var (_, port) = await StartKestrelAsync();
        var json = """{"email":"nobody@example.com","password":"wrong"}""";
        var request =
            "POST /_allauth/app/v1/auth/login HTTP/1.1\r\n" +
            "Host: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
            $"{Encoding.UTF8.GetByteCount(json):x}\r\n{json}\r\n0\r\n\r\n";

        var response = await SendRawAsync(port, request);

        Assert.StartsWith("HTTP/1.1 400 ", response, StringComparison.Ordinal);
        Assert.Contains("\"code\":\"email_password_mismatch\"", response, StringComparison.Ordinal);
    }

    private async Task<(GatehouseApp App, int Port)> StartKestrelAsync()
    {
        _app = await GatehouseApp.CreateUnmigratedAsync(DatabaseKind.Sqlite, new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Gatehouse"] = "Debug",
        });
        _app.UseKestrel(0);
        await _app.MigrateDatabaseAsync();
        _app.StartServer();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (_app, new Uri(address).Port);
    }

    /// <summary>Writes <paramref name="request"/> as is and reads until the server closes the connection.</summary>
    private static async Task<string> SendRawAsync(int port, string request)
    {
        // Only a guard against a hung test, never part of what is asserted.
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port, guard.Token);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), guard.Token);
        using var received = new MemoryStream();
        await stream.CopyToAsync(received, guard.Token);
        return Encoding.UTF8.GetString(received.ToArray());
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
