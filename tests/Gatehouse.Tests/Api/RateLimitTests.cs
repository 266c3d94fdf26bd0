using System.Net;
using Gatehouse.Configuration;
using Gatehouse.Http;
using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Tests.Api;

/// <summary>
/// allauth's default ACCOUNT_RATE_LIMITS (rl_01..rl_04): failed logins per address, signups per IP,
/// login codes and reset mails per address; overridable per action. The test server's clock is fake,
/// so windows are crossed by moving it, never by sleeping.
/// </summary>
public abstract class RateLimitTests(DatabaseKind database) : ApiTestBase(database)
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Gatehouse:RateLimits:Enabled"] = "true",
    };

    [Theory, MemberData(nameof(Clients))]
    public async Task FiveFailedLogins_BlockTheAddress_EvenForTheRightPassword_ButNotOtherAddresses(ClientKind kind)
    {
        var app = await StartAsync();
        (await SignedUpAndVerifiedAsync(app, kind, "alice@example.com")).Dispose();
        (await SignedUpAndVerifiedAsync(app, kind, "bob@example.com")).Dispose();
        var client = app.Client(kind);

        for (var i = 1; i <= 5; i++)
        {
            var failed = await client.PostAsync("auth/login", new { email = "alice@example.com", password = "wrong-password" });
            Assert.Equal(["email_password_mismatch@password"], failed.ErrorCodes);
        }
        var blocked = await client.PostAsync("auth/login", new { email = "alice@example.com", password = Password });
        var blockedOtherCase = await client.PostAsync("auth/login", new { email = "ALICE@example.com", password = Password });
        var otherWrong = await client.PostAsync("auth/login", new { email = "bob@example.com", password = "wrong-password" });

        // rl_01: 400 too_many_login_attempts without a param, also for the right password.
        Assert.Equal(400, blocked.StatusCode);
        Assert.Equal(["too_many_login_attempts"], blocked.ErrorCodes);
        Assert.Equal(["too_many_login_attempts"], blockedOtherCase.ErrorCodes);
        Assert.Equal(["email_password_mismatch@password"], otherWrong.ErrorCodes);
        Assert.Equal(200, (await app.Client(kind).PostAsync("auth/login", new { email = "bob@example.com", password = Password })).StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task ABlockedAddress_LogsInAgain_OnceFiveMinutesHavePassed(ClientKind kind)
    {
        var app = await StartAsync();
        (await SignedUpAndVerifiedAsync(app, kind, "alice@example.com")).Dispose();
        var client = app.Client(kind);
        for (var i = 0; i < 5; i++)
        {
            await client.PostAsync("auth/login", new { email = "alice@example.com", password = "wrong-password" });
        }
        Assert.Equal(["too_many_login_attempts"], (await client.PostAsync("auth/login", new { email = "alice@example.com", password = Password })).ErrorCodes);

        app.Clock.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        var login = await client.PostAsync("auth/login", new { email = "alice@example.com", password = Password });

        Assert.Equal(200, login.StatusCode);
    }

    [Fact]
    public async Task ASuccessfulLogin_GivesBackOnlyItsOwnAttempt_NotTheEarlierFailures()
    {
        // allauth rolls back the login_failed consumption of a successful login; earlier failures stay
        // counted (only a password reset clears them).
        var app = await StartAsync();
        (await SignedUpAndVerifiedAsync(app, ClientKind.App, "alice@example.com")).Dispose();
        var client = app.Client(ClientKind.App);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(["email_password_mismatch@password"],
                (await client.PostAsync("auth/login", new { email = "alice@example.com", password = "wrong-password" })).ErrorCodes);
        }
        Assert.Equal(200, (await client.PostAsync("auth/login", new { email = "alice@example.com", password = Password })).StatusCode);
        client = app.Client(ClientKind.App);

        var fifthFailure = await client.PostAsync("auth/login", new { email = "alice@example.com", password = "wrong-password" });
        var thenRight = await client.PostAsync("auth/login", new { email = "alice@example.com", password = Password });

        Assert.Equal(["email_password_mismatch@password"], fifthFailure.ErrorCodes);
        Assert.Equal(["too_many_login_attempts"], thenRight.ErrorCodes);
    }

    [Fact]
    public async Task SuccessfulLogins_NeverCountAsFailures()
    {
        var app = await StartAsync();
        (await SignedUpAndVerifiedAsync(app, ClientKind.App, "alice@example.com")).Dispose();

        for (var i = 0; i < 12; i++)
        {
            var client = app.Client(ClientKind.App);
            Assert.Equal(200, (await client.PostAsync("auth/login", new { email = "alice@example.com", password = Password })).StatusCode);
        }
    }

    [Fact]
    public async Task APasswordReset_ClearsTheFailedAttemptsOfTheAddress()
    {
        var app = await StartAsync();
        (await SignedUpAndVerifiedAsync(app, ClientKind.App, "alice@example.com")).Dispose();
        var client = app.Client(ClientKind.App);
        for (var i = 0; i < 5; i++)
        {
            await client.PostAsync("auth/login", new { email = "alice@example.com", password = "wrong-password" });
        }
        Assert.Equal(["too_many_login_attempts"], (await client.PostAsync("auth/login", new { email = "alice@example.com", password = Password })).ErrorCodes);

        Assert.Equal(200, (await client.PostAsync("auth/password/request", new { email = "alice@example.com" })).StatusCode);
        var resetKey = KeyFromUrl((await MailToAsync(app, "alice@example.com", "Password Reset Email")).FirstUrl());
        Assert.Equal(401, (await client.PostAsync("auth/password/reset", new { key = resetKey, password = "N3w-Secret-Passw0rd!" })).StatusCode);

        Assert.Equal(200, (await client.PostAsync("auth/login", new { email = "alice@example.com", password = "N3w-Secret-Passw0rd!" })).StatusCode);
    }

    [Fact]
    public async Task TenFailedLoginsFromOneIp_BlockEveryAddressFromThatIp()
    {
        // login_failed is "10/m/ip,5/5m/key": spraying many addresses from one IP hits the IP rule.
        var app = await StartAsync();
        var client = app.Client(ClientKind.App);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(["email_password_mismatch@password"],
                (await client.PostAsync("auth/login", new { email = $"user{i}@example.com", password = "wrong-password" })).ErrorCodes);
        }

        var next = await client.PostAsync("auth/login", new { email = "fresh@example.com", password = "wrong-password" });

        Assert.Equal(["too_many_login_attempts"], next.ErrorCodes);
    }

    [Fact]
    public async Task TheTwentyFirstSignupInAMinuteFromOneIp_Answers429()
    {
        var app = await StartAsync();

        for (var i = 1; i <= 20; i++)
        {
            var signup = await app.Client(ClientKind.App).PostAsync("auth/signup", new { email = $"user{i}@example.com", password = Password });
            Assert.Equal(401, signup.StatusCode);
        }
        var limited = await app.Client(ClientKind.App).PostAsync("auth/signup", new { email = "user21@example.com", password = Password });

        // rl_04: a bare {"status": 429}.
        Assert.Equal(429, limited.StatusCode);
        Assert.Equal("""{"status":429}""", limited.Body);
        Assert.Equal("application/json", limited.ContentHeaders.ContentType?.MediaType);
        Assert.Equal(20, await app.DbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.CountAsync(db.Users)));

        app.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(401, (await app.Client(ClientKind.App).PostAsync("auth/signup", new { email = "user21@example.com", password = Password })).StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task TheFourthLoginCodeRequestForOneAddressInAMinute_IsAFieldError(ClientKind kind)
    {
        var app = await StartAsync();

        for (var i = 0; i < 3; i++)
        {
            var request = await app.Client(kind).PostAsync("auth/code/request", new { email = "alice@example.com" });
            Assert.Equal(401, request.StatusCode);
            Assert.Equal("login_by_code", request.PendingFlow);
        }
        var limited = await app.Client(kind).PostAsync("auth/code/request", new { email = "Alice@Example.com" });
        var other = await app.Client(kind).PostAsync("auth/code/request", new { email = "bob@example.com" });

        // allauth consumes request_login_code inside the form: a 400 on the email field, not a 429.
        Assert.Equal(400, limited.StatusCode);
        Assert.Equal(["too_many_login_attempts@email"], limited.ErrorCodes);
        Assert.Equal(401, other.StatusCode);
    }

    [Fact]
    public async Task TheSixthPasswordResetRequestForOneAddressInAMinute_Answers429()
    {
        var app = await StartAsync();

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(200, (await app.Client(ClientKind.App).PostAsync("auth/password/request", new { email = "alice@example.com" })).StatusCode);
        }
        var limited = await app.Client(ClientKind.App).PostAsync("auth/password/request", new { email = "alice@example.com" });
        var other = await app.Client(ClientKind.App).PostAsync("auth/password/request", new { email = "bob@example.com" });

        Assert.Equal(429, limited.StatusCode);
        Assert.Equal("""{"status":429}""", limited.Body);
        Assert.Equal(200, other.StatusCode);
    }

    [Fact]
    public async Task AnOverriddenRule_ReplacesTheDefault()
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:RateLimits:Rules:login"] = "2/m/ip" });
        var client = app.Client(ClientKind.App);

        var first = await client.PostAsync("auth/login", new { email = "a@example.com", password = "wrong-password" });
        var second = await client.PostAsync("auth/login", new { email = "b@example.com", password = "wrong-password" });
        var third = await client.PostAsync("auth/login", new { email = "c@example.com", password = "wrong-password" });

        Assert.Equal(400, first.StatusCode);
        Assert.Equal(400, second.StatusCode);
        Assert.Equal(429, third.StatusCode);
        Assert.Equal("""{"status":429}""", third.Body);
    }

    [Fact]
    public async Task Reauthentication_IsLimitedToTenAMinutePerUser()
    {
        var app = await StartAsync();
        var client = await SignedUpAndVerifiedAsync(app, ClientKind.App, "alice@example.com");

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(200, (await client.PostAsync("auth/reauthenticate", new { password = Password })).StatusCode);
        }
        var limited = await client.PostAsync("auth/reauthenticate", new { password = Password });

        Assert.Equal(429, limited.StatusCode);
    }

    [Fact]
    public async Task ManageEmail_CountsEveryMethodIncludingGet()
    {
        var app = await StartAsync();
        var client = await SignedUpAndVerifiedAsync(app, ClientKind.App, "alice@example.com");

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(200, (await client.GetAsync("account/email")).StatusCode);
        }
        var limited = await client.PostAsync("account/email", new { email = "second@example.com" });

        Assert.Equal(429, limited.StatusCode);
    }

    [Fact]
    public async Task WithLimitsDisabled_FailedLoginsNeverBlock()
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:RateLimits:Enabled"] = "false" });
        (await SignedUpAndVerifiedAsync(app, ClientKind.App, "alice@example.com")).Dispose();
        var client = app.Client(ClientKind.App);
        for (var i = 0; i < 12; i++)
        {
            await client.PostAsync("auth/login", new { email = "alice@example.com", password = "wrong-password" });
        }

        Assert.Equal(200, (await client.PostAsync("auth/login", new { email = "alice@example.com", password = Password })).StatusCode);
    }

    [Fact]
    public async Task BehindATrustedProxy_EachForwardedClientHasItsOwnIpBucket()
    {
        var app = await StartAsync(new Dictionary<string, string?>
        {
            [GatehouseApp.RemoteIpSetting] = "127.0.0.1",
            ["Gatehouse:Http:TrustedProxies:0"] = "127.0.0.1",
            ["Gatehouse:RateLimits:Rules:signup"] = "2/m/ip",
        });

        var first = await SignupFromAsync(app, "198.51.100.1", "a@example.com");
        var second = await SignupFromAsync(app, "198.51.100.1", "b@example.com");
        var third = await SignupFromAsync(app, "198.51.100.1", "c@example.com");
        var otherClient = await SignupFromAsync(app, "10.9.9.9, 198.51.100.2", "d@example.com");

        Assert.Equal([401, 401, 429, 401], new[] { first.StatusCode, second.StatusCode, third.StatusCode, otherClient.StatusCode });
        var ips = await app.DbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(db.Sessions.Select(s => s.Ip)));
        Assert.Contains("198.51.100.1", ips);
        Assert.Contains("198.51.100.2", ips);
        Assert.DoesNotContain("10.9.9.9", ips);
    }

    [Fact]
    public async Task FromAnUntrustedPeer_XForwardedForCannotEscapeTheIpLimit()
    {
        var app = await StartAsync(new Dictionary<string, string?>
        {
            [GatehouseApp.RemoteIpSetting] = "203.0.113.9",
            ["Gatehouse:Http:TrustedProxies:0"] = "127.0.0.1",
            ["Gatehouse:RateLimits:Rules:signup"] = "2/m/ip",
        });

        var first = await SignupFromAsync(app, "198.51.100.1", "a@example.com");
        var second = await SignupFromAsync(app, "198.51.100.2", "b@example.com");
        var third = await SignupFromAsync(app, "198.51.100.3", "c@example.com");

        Assert.Equal([401, 401, 429], new[] { first.StatusCode, second.StatusCode, third.StatusCode });
        var ips = await app.DbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(db.Sessions.Select(s => s.Ip)));
        Assert.All(ips, ip => Assert.Equal("203.0.113.9", ip));
    }

    private static async Task<ApiResponse> SignupFromAsync(GatehouseApp app, string forwardedFor, string email)
    {
        var client = app.Client(ClientKind.App);
        using var request = new HttpRequestMessage(HttpMethod.Post, client.Prefix + "auth/signup")
        {
            Content = new StringContent(System.Text.Json.JsonSerializer.Serialize(new { email, password = Password }), System.Text.Encoding.UTF8, "application/json"),
        };
        return await client.SendRawAsync(request, new Dictionary<string, string> { ["X-Forwarded-For"] = forwardedFor });
    }
}

public sealed class SqliteRateLimitTests() : RateLimitTests(DatabaseKind.Sqlite);
public sealed class PostgresRateLimitTests() : RateLimitTests(DatabaseKind.Postgres);

/// <summary>
/// The client address behind proxies: ASP.NET Core's forwarded-headers middleware as
/// UseGatehouseForwardedHeaders configures it, then the resolver. X-Forwarded-For is believed only from a
/// trusted peer, and then read right to left up to the first address that is not a trusted proxy.
/// </summary>
public sealed class ClientIpResolverTests
{
    [Fact]
    public async Task WithoutAPeerAddressOrHeader_TheClientIsUnknown()
    {
        Assert.Equal("unknown", await ResolveAsync(["127.0.0.1"], null));
    }

    [Fact]
    public async Task WithoutAPeerAddress_TheForwardedClientIsTaken()
    {
        // No peer address means a unix socket or pipe: only a local proxy can be on the other end.
        Assert.Equal("198.51.100.7", await ResolveAsync(["127.0.0.1"], null, "198.51.100.7"));
    }

    [Fact]
    public async Task WithoutTrustedProxies_XForwardedForIsIgnored()
    {
        Assert.Equal("203.0.113.9", await ResolveAsync([], "203.0.113.9", "198.51.100.7"));
    }

    [Fact]
    public async Task FromAnUntrustedPeer_XForwardedForIsIgnored()
    {
        Assert.Equal("203.0.113.9", await ResolveAsync(["127.0.0.1", "10.0.0.0/8"], "203.0.113.9", "198.51.100.7"));
    }

    [Fact]
    public async Task FromATrustedPeer_TheRightmostHopIsTheClient()
    {
        // The leftmost entry was written by the client itself and may be forged.
        Assert.Equal("198.51.100.7", await ResolveAsync(["127.0.0.1"], "127.0.0.1", "1.2.3.4, 198.51.100.7"));
    }

    [Fact]
    public async Task TrustedHops_AreSkipped_UpToTheFirstUntrustedOne()
    {
        Assert.Equal("198.51.100.7",
            await ResolveAsync(["127.0.0.1", "10.0.0.0/8"], "127.0.0.1", "6.6.6.6, 198.51.100.7, 10.1.2.3, 10.200.0.1"));
    }

    [Fact]
    public async Task ACidrRange_TrustsEveryPeerInIt()
    {
        Assert.Equal("198.51.100.7", await ResolveAsync(["10.0.0.0/8"], "10.20.30.40", "198.51.100.7"));
        Assert.Equal("11.0.0.1", await ResolveAsync(["10.0.0.0/8"], "11.0.0.1", "198.51.100.7"));
    }

    [Fact]
    public async Task AnIpv6Range_AndAnIpv4MappedPeer_AreUnderstood()
    {
        Assert.Equal("2001:db8::7", await ResolveAsync(["fd00::/8"], "fd00::1", "2001:db8::7"));
        Assert.Equal("198.51.100.7", await ResolveAsync(["127.0.0.1"], "::ffff:127.0.0.1", "198.51.100.7"));
        Assert.Equal("198.51.100.7", await ResolveAsync(["127.0.0.1"], "127.0.0.1", "::ffff:198.51.100.7"));
    }

    [Fact]
    public async Task SeveralXForwardedForHeaders_AreReadAsOneList()
    {
        Assert.Equal("198.51.100.7", await ResolveAsync(["127.0.0.1"], "127.0.0.1", "6.6.6.6", "198.51.100.7"));
    }

    [Theory]
    [InlineData("198.51.100.7, garbage")]
    [InlineData("198.51.100.7, <script>")]
    [InlineData("198.51.100.7, unknown")]
    public async Task AGarbageHop_StopsTheWalk_AndThePeerIsUsed(string forwardedFor)
    {
        // Nothing left of an unparseable hop can be trusted to be what the proxy saw.
        Assert.Equal("127.0.0.1", await ResolveAsync(["127.0.0.1"], "127.0.0.1", forwardedFor));
    }

    [Fact]
    public async Task AHopWithAPort_IsReadAsItsAddress()
    {
        // Some balancers write "ip:port" ("[v6]:port" for IPv6).
        Assert.Equal("198.51.100.8", await ResolveAsync(["127.0.0.1"], "127.0.0.1", "6.6.6.6, 198.51.100.8:1234"));
        Assert.Equal("2001:db8::8", await ResolveAsync(["127.0.0.1"], "127.0.0.1", "[2001:db8::8]:443"));
    }

    [Fact]
    public async Task GarbageLeftOfTheClient_IsNeverReached()
    {
        Assert.Equal("198.51.100.7", await ResolveAsync(["127.0.0.1"], "127.0.0.1", "garbage, 198.51.100.7"));
    }

    [Fact]
    public async Task AnEmptyOrMissingHeader_FromATrustedPeer_GivesThePeer()
    {
        Assert.Equal("127.0.0.1", await ResolveAsync(["127.0.0.1"], "127.0.0.1"));
        Assert.Equal("127.0.0.1", await ResolveAsync(["127.0.0.1"], "127.0.0.1", " , ,"));
    }

    [Fact]
    public async Task TheSchemeFromATrustedProxy_IsTaken_AndFromAnyoneElseIgnored()
    {
        // Behind a TLS-terminating proxy: cookies get Secure and the CSRF origin check compares https with https.
        Assert.Equal("https", (await RunAsync(["127.0.0.1"], "127.0.0.1", ["198.51.100.7"], proto: "https")).Request.Scheme);
        Assert.Equal("http", (await RunAsync(["127.0.0.1"], "203.0.113.9", ["198.51.100.7"], proto: "https")).Request.Scheme);
    }

    private static async Task<string> ResolveAsync(string[] trusted, string? peer, params string[] forwardedFor) =>
        new ClientIpResolver().Resolve(await RunAsync(trusted, peer, forwardedFor));

    /// <summary>One request through the pipeline UseGatehouseForwardedHeaders builds for <paramref name="trusted"/>.</summary>
    private static async Task<DefaultHttpContext> RunAsync(string[] trusted, string? peer, string[] forwardedFor, string? proto = null)
    {
        await using var services = new ServiceCollection()
            .AddLogging()
            .Configure<HttpOptions>(o => o.TrustedProxies = trusted)
            .BuildServiceProvider();
        var app = new Microsoft.AspNetCore.Builder.ApplicationBuilder(services);
        app.UseGatehouseForwardedHeaders();
        var pipeline = app.Build();

        var context = new DefaultHttpContext { RequestServices = services };
        context.Request.Scheme = "http";
        context.Connection.RemoteIpAddress = peer is null ? null : IPAddress.Parse(peer);
        foreach (var value in forwardedFor)
        {
            context.Request.Headers.Append("X-Forwarded-For", value);
        }
        if (proto is not null)
        {
            context.Request.Headers["X-Forwarded-Proto"] = proto;
        }
        await pipeline(context);
        return context;
    }
}
