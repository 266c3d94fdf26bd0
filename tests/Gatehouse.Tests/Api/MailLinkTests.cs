using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;

namespace Gatehouse.Tests.Api;

public abstract class MailLinkTests(DatabaseKind database) : ApiTestBase(database)
{
    [Theory, MemberData(nameof(Clients))]
    public async Task ResetLink_WithForgedHostHeader_StillPointsAtTheConfiguredFrontend(ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:FrontendUrls:BaseUrl"] = "https://app.example.com" });
        await SignedUpAndVerifiedAsync(app, kind, "alice@example.com");
        var attacker = app.Client(kind);

        using var request = new HttpRequestMessage(HttpMethod.Post, attacker.Prefix + "auth/password/request")
        {
            Content = new StringContent("""{"email":"alice@example.com"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Host = "evil.example";
        var response = await attacker.SendRawAsync(request);

        Assert.Equal(200, response.StatusCode);
        var mail = await app.Mail.WaitForMailAsync(m => m.Subject.Contains("Password Reset Email", StringComparison.Ordinal));
        Assert.StartsWith("https://app.example.com/account/password/reset/key/", mail.FirstUrl(), StringComparison.Ordinal);
        Assert.DoesNotContain("evil.example", mail.TextBody, StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AHostHeaderTooLongForASiteName_DoesNotBreakMail_InDevelopment(ClientKind kind)
    {
        // Development without BaseUrl: the only setup where the site name in subjects comes from the Host.
        var app = await StartAsync(new Dictionary<string, string?>
        {
            [GatehouseApp.EnvironmentSetting] = "Development",
            ["Gatehouse:FrontendUrls:BaseUrl"] = null,
        });
        var client = app.Client(kind);
        var host = string.Join('.', Enumerable.Repeat(new string('a', 60), 16)) + ".example"; // ~1,000 characters

        var signup = await SignupWithHostAsync(client, "alice@example.com", host);

        Assert.Equal(401, signup.StatusCode);
        Assert.Equal("verify_email", signup.PendingFlow);
        var mail = await app.Mail.WaitForMailAsync(m => m.To.Contains("alice@example.com"));
        Assert.StartsWith("[localhost] ", mail.Subject, StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AHostHeaderThatIsNoPlausibleHost_DoesNotGoIntoTheMailLink_InDevelopment(ClientKind kind)
    {
        // Development without BaseUrl: links are joined to the request's host, which the client chooses. A host the
        // site name would refuse must not become the link's origin either (a phishing link in a genuine mail).
        var app = await StartAsync(new Dictionary<string, string?>
        {
            [GatehouseApp.EnvironmentSetting] = "Development",
            ["Gatehouse:FrontendUrls:BaseUrl"] = null,
        });
        var hosts = new[]
        {
            string.Join('.', Enumerable.Repeat(new string('a', 60), 16)) + ".example", // ~1,000 characters
            "-evil.example", // no DNS name: a label cannot start with a hyphen
        };
        for (var i = 0; i < hosts.Length; i++)
        {
            var client = app.Client(kind);
            var email = $"user{i}@example.com";
            var signup = await SignupWithHostAsync(client, email, hosts[i]);

            Assert.Equal(401, signup.StatusCode);
            var mail = await app.Mail.WaitForMailAsync(m => m.To.Contains(email));
            Assert.StartsWith("http://localhost/", mail.FirstUrl(), StringComparison.Ordinal);
            Assert.DoesNotContain(hosts[i], mail.TextBody, StringComparison.Ordinal);
        }
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task APlausibleHostHeader_IsTheLinksOriginAndTheSiteName_InDevelopment(ClientKind kind)
    {
        // The positive side of the two tests above: the mailer reads the request it is queued from (AuthContext.Http).
        var app = await StartAsync(new Dictionary<string, string?>
        {
            [GatehouseApp.EnvironmentSetting] = "Development",
            ["Gatehouse:FrontendUrls:BaseUrl"] = null,
        });
        var client = app.Client(kind);
        var signup = await SignupWithHostAsync(client, "carol@example.com", "dev.example:5000");

        Assert.Equal(401, signup.StatusCode);
        var mail = await app.Mail.WaitForMailAsync(m => m.To.Contains("carol@example.com"));
        Assert.StartsWith("http://dev.example:5000/", mail.FirstUrl(), StringComparison.Ordinal);
        Assert.StartsWith("[dev.example:5000] ", mail.Subject, StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task WithoutBaseUrl_OutsideDevelopment_TheSiteNameIsTheTemplatesHost_NeverTheHostHeader(ClientKind kind)
    {
        // Absolute templates make BaseUrl optional; the client's Host header must not then name the site in a genuine mail.
        var app = await StartAsync(new Dictionary<string, string?>
        {
            ["Gatehouse:FrontendUrls:BaseUrl"] = null,
            ["Gatehouse:FrontendUrls:account_confirm_email"] = "https://app.example.com/verify/{key}",
            ["Gatehouse:FrontendUrls:account_reset_password_from_key"] = "https://app.example.com/reset/{key}",
            ["Gatehouse:FrontendUrls:account_reset_password"] = "https://app.example.com/reset",
            ["Gatehouse:FrontendUrls:account_signup"] = "https://app.example.com/signup",
        });
        var client = app.Client(kind);
        var signup = await SignupWithHostAsync(client, "dave@example.com", "evil.example");

        Assert.Equal(401, signup.StatusCode);
        var mail = await app.Mail.WaitForMailAsync(m => m.To.Contains("dave@example.com"));
        Assert.StartsWith("[app.example.com] ", mail.Subject, StringComparison.Ordinal);
        Assert.DoesNotContain("evil.example", mail.TextBody, StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AbsoluteTemplate_IsUsedAsGiven_WithTheKeyPercentEncoded(ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?>
        {
            ["Gatehouse:FrontendUrls:account_confirm_email"] = "myapp://verify?key={key}",
        });
        var client = app.Client(kind);
        await client.PostAsync("auth/signup", new { email = "bob@example.com", password = Password });

        var mail = await app.Mail.WaitForMailAsync(m => m.To.Contains("bob@example.com"));
        Assert.Contains("go to myapp://verify?key=", mail.TextBody, StringComparison.Ordinal);
        Assert.NotNull(mail.HtmlBody);
    }

    /// <summary>An app or browser signup whose request carries the given Host header (the client's to choose).</summary>
    private static async Task<ApiResponse> SignupWithHostAsync(ApiClient client, string email, string host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, client.Prefix + "auth/signup")
        {
            Content = new StringContent($$"""{"email":"{{email}}","password":"Tr0ub4dor&3-horse"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Host = host;
        return await client.SendRawAsync(request);
    }
}

public sealed class SqliteMailLinkTests() : MailLinkTests(DatabaseKind.Sqlite);
public sealed class PostgresMailLinkTests() : MailLinkTests(DatabaseKind.Postgres);
