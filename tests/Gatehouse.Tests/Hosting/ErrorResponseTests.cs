using Gatehouse.Sessions;
using Gatehouse.Tests.Api;
using Gatehouse.Tests.Infrastructure;

namespace Gatehouse.Tests.Hosting;

/// <summary>
/// An unhandled error under /_allauth is a 500 in the envelope with a fixed message, in every environment:
/// in Development ASP.NET Core's developer exception page sits inside Gatehouse's middleware and would
/// otherwise answer with the exception's text and stack trace. The exception is logged once, at Error.
/// The error is real: the users table disappears under a running server.
/// </summary>
public abstract class ErrorResponseTests(DatabaseKind database) : ApiTestBase(database)
{
    public static TheoryData<string, ClientKind> Cases => new()
    {
        { "Development", ClientKind.App },
        { "Development", ClientKind.Browser },
        { "Production", ClientKind.App },
        { "Production", ClientKind.Browser },
    };

    [Theory, MemberData(nameof(Cases))]
    public async Task AnUnhandledError_Answers500InTheEnvelope_WithoutTheExceptionText_AndIsLoggedOnce(string environment, ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?>
        {
            [GatehouseApp.EnvironmentSetting] = environment,
            ["Gatehouse:Account:EmailVerification"] = "None",
        });
        var client = app.Client(kind);
        Assert.Equal(200, (await client.PostAsync("auth/signup", new { email = "alice@example.com", password = Password })).StatusCode);
        await app.ExecuteSqlAsync("ALTER TABLE users RENAME TO users_gone");

        using var request = new HttpRequestMessage(HttpMethod.Get, client.Prefix + "auth/session");
        if (kind == ClientKind.App)
        {
            request.Headers.Add("X-Session-Token", client.SessionToken);
        }
        using var response = await client.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(500, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("""{"status":500,"errors":[{"message":"Internal server error.","code":"server_error"}]}""", body);
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        // EF Core's own command logging is the host's to configure; the exception itself is logged once.
        var errors = app.Logs.Lines.Where(l => l.StartsWith("Error ", StringComparison.Ordinal) &&
            !l.StartsWith("Error Microsoft.EntityFrameworkCore", StringComparison.Ordinal)).ToList();
        var error = Assert.Single(errors);
        Assert.Contains("users", error, StringComparison.Ordinal);
        var token = kind == ClientKind.App ? client.SessionToken! : client.Cookie("sessionid")!;
        Assert.DoesNotContain(app.Logs.Lines, l => l.Contains(token, StringComparison.Ordinal));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task ALoneSurrogateInAPropertyName_IsA400_NotA500(ClientKind kind)
    {
        // Found by JsonInputPropertyTests: a lookup compares names from the last one back, and threw on this one.
        var app = await StartAsync();
        var client = app.Client(kind);

        var response = await client.PostAsync("auth/login", """{"email":"alice@example.com","password":"x","\udc00":1}""");

        Assert.Equal(400, response.StatusCode);
        Assert.Equal(["invalid_json"], response.ErrorCodes);
    }
}

public sealed class SqliteErrorResponseTests() : ErrorResponseTests(DatabaseKind.Sqlite);
public sealed class PostgresErrorResponseTests() : ErrorResponseTests(DatabaseKind.Postgres);
