// The usings the README's "Hosting Gatehouse inside your own ASP.NET Core app" snippet names: if the
// snippet needs another one, this file stops compiling.
using Gatehouse;
using Gatehouse.Http;
using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Gatehouse.Tests.Hosting;

/// <summary>
/// A new user's first hour with the library: the README's snippet, line for line, in a host of its own
/// (temp SQLite, AutoMigrate on, real SMTP catcher), signs a user up and verifies them through the API,
/// and the host's own route answers as it did without Gatehouse.
/// </summary>
public sealed class ReadmeSnippetTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gatehouse-readme-").FullName;
    private SmtpCatcher? _mail;
    private WebApplication? _app;

    [Fact]
    public async Task TheReadmeSnippet_SignsUpAndVerifiesAUser_AndLeavesTheHostsRouteAlone()
    {
        _mail = await SmtpCatcher.StartAsync();
        var settings = LibraryHost.BaseSettings(DatabaseKind.Sqlite, $"Data Source={Path.Combine(_directory, "app.db")};Pooling=false");
        settings["Gatehouse:Email:Smtp:Port"] = _mail.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Gatehouse:Email:Smtp:Security"] = "None";
        settings["Gatehouse:Database:AutoMigrate"] = "true";

        // --- the README's snippet (AutoMigrate in place of MigrateGatehouseAsync, as its comment offers) ---
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseTestServer();
        builder.Services.AddGatehouse(builder.Configuration);
        var app = builder.Build();
        app.UseGatehouseForwardedHeaders();
        app.MapGatehouse();
        // --- the host's own route ---
        app.MapGet("/hello", () => "hello from the host");
        _app = app;
        await app.StartAsync();

        using var http = app.GetTestClient();
        using var hello = await http.GetAsync("/hello");
        Assert.Equal(200, (int)hello.StatusCode);
        Assert.Equal("hello from the host", await hello.Content.ReadAsStringAsync());
        Assert.StartsWith("text/plain", hello.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        Assert.False(hello.Headers.Contains("X-Frame-Options"));

        using var client = new ApiClient(ClientKind.App, app.GetTestClient(), new System.Net.CookieContainer());
        var signup = await client.PostAsync("auth/signup", new { email = "newcomer@example.com", password = "Tr0ub4dor&3-horse" });
        Assert.Equal(401, signup.StatusCode);
        Assert.Equal("verify_email", signup.PendingFlow);

        var mail = await _mail.WaitForMailAsync(m => m.To.Contains("newcomer@example.com"));
        var url = mail.FirstUrl();
        var key = Uri.UnescapeDataString(url[(url.LastIndexOf('/') + 1)..]);
        var verified = await client.PostAsync("auth/email/verify", new { key });
        Assert.Equal(200, verified.StatusCode);
        Assert.True(verified.IsAuthenticated);

        var session = await client.GetAsync("auth/session");
        Assert.Equal(200, session.StatusCode);
        Assert.Equal("newcomer@example.com", session.Data.GetProperty("user").GetProperty("email").GetString());

        using var helloAgain = await http.GetAsync("/hello");
        Assert.Equal("hello from the host", await helloAgain.Content.ReadAsStringAsync());
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
        if (_mail is not null)
        {
            await _mail.DisposeAsync();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // a file still open on a slow shutdown; the temp folder is cleaned by the OS
        }
    }
}
