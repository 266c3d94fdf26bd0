using System.Text.Json.Nodes;
using Gatehouse.Sessions;
using Gatehouse.Tests.Api;
using Gatehouse.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Gatehouse.Tests.CookieTokens;

/// <summary>
/// token/2fa/webauthn/: a security key as the second factor of a cookie login (token/ answered "2FA required"),
/// through the real pipeline on both databases with a software authenticator.
/// </summary>
public abstract class CookieTokenWebAuthnTests(DatabaseKind database) : WebAuthnTestBase(database)
{
    private const string PendingPath = "/api/auth/";
    private const string KeyPath = "token/2fa/webauthn/";

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Gatehouse:CookieTokens:Enabled"] = "true",
    };

    [Fact]
    public async Task AKeyOnlyUser_GetsTheOptions_AndTheAssertionLogsInWithHttpOnlyCookies()
    {
        var app = await StartAsync();
        using var key = new SoftwareAuthenticator();
        var (_, id) = await WithKeyAsync(app, ClientKind.App, key);
        using var client = new CookieJwtClient(app);

        var login = await client.PostAsync("token/", new { email = Email, password = Password });
        var options = await client.GetAsync(KeyPath, csrf: true);
        var requestOptions = options.Json.GetProperty("request_options");
        var done = await client.PostAsync(KeyPath, new { credential = key.Get(requestOptions) });
        var check = await client.GetAsync("auth-check/");

        Assert.Equal(403, login.StatusCode);
        Assert.Equal("2FA required", login.Detail);
        Assert.Equal("mfa_required", login.Code);
        Assert.Equal(["recovery_codes", "webauthn"], login.Json.GetProperty("types").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(200, options.StatusCode);
        Assert.True(options.NoStore);
        Assert.False(options.Json.TryGetProperty("data", out _)); // the allauth data, not its envelope
        Assert.Equal([key.CredentialIdText],
            requestOptions.GetProperty("publicKey").GetProperty("allowCredentials").EnumerateArray().Select(c => c.GetProperty("id").GetString()));
        Assert.Equal(200, done.StatusCode);
        Assert.True(done.NoStore);
        Assert.NotNull(done.Access);
        Assert.False(done.Json.TryGetProperty("refresh", out _));
        Assert.True(new JsonWebToken(done.Access).GetPayloadValue<bool>("has_mfa"));
        Assert.Contains("httponly", done.SetCookie("access_token")!.ToLowerInvariant());
        Assert.Contains("httponly", done.SetCookie("refresh_token")!.ToLowerInvariant());
        Assert.Equal(done.Access, client.Cookie("access_token"));
        Assert.NotNull(client.Cookie("refresh_token", PendingPath));
        Assert.Null(client.Cookie("mfa_pending", PendingPath));
        Assert.Equal(200, check.StatusCode);
        Assert.Equal(Email, check.Json.GetProperty("user").GetProperty("email").GetString());
        Assert.Equal(1, await CounterAsync(app, id));
        Assert.Equal(200, (await client.PostAsync("token/refresh/")).StatusCode);
    }

    [Fact]
    public async Task AWrongOrTamperedAssertion_IsRefused_AndDoesNotLogIn_WhileTheRightOneStillDoes()
    {
        var app = await StartAsync();
        using var key = new SoftwareAuthenticator();
        using var otherKey = new SoftwareAuthenticator();
        var (_, id) = await WithKeyAsync(app, ClientKind.App, key);
        await WithKeyAsync(app, ClientKind.App, otherKey, OtherEmail);
        using var client = new CookieJwtClient(app);
        Assert.Equal(403, (await client.PostAsync("token/", new { email = Email, password = Password })).StatusCode);
        var requestOptions = (await client.GetAsync(KeyPath, csrf: true)).Json.GetProperty("request_options");

        var tampered = JsonNode.Parse(key.Get(requestOptions).GetRawText())!;
        var signature = SoftwareAuthenticator.FromBase64Url(tampered["response"]!["signature"]!.GetValue<string>());
        signature[^1] ^= 0x01;
        tampered["response"]!["signature"] = SoftwareAuthenticator.Base64Url(signature);
        var badSignature = await client.PostAsync(KeyPath, new { credential = tampered });
        var otherChallenge = await client.PostAsync(KeyPath, new { credential = key.Get(requestOptions, challengeOverride: SoftwareAuthenticator.Base64Url(new byte[32])) });
        var othersKey = await client.PostAsync(KeyPath, new { credential = otherKey.Get(requestOptions) });
        var missing = await client.PostAsync(KeyPath, new { });
        var checkBefore = await client.GetAsync("auth-check/");

        foreach (var refused in new[] { badSignature, otherChallenge, othersKey })
        {
            Assert.Equal(400, refused.StatusCode);
            Assert.Equal(["Incorrect code."], refused.FieldErrors("credential"));
            Assert.Null(refused.SetCookie("access_token"));
            Assert.Null(refused.SetCookie("refresh_token"));
        }
        Assert.Equal(400, missing.StatusCode);
        Assert.NotEmpty(missing.FieldErrors("credential"));
        Assert.Equal(401, checkBefore.StatusCode);
        Assert.Null(client.Cookie("access_token"));
        Assert.Equal(0, await CounterAsync(app, id));
        // Refusals change nothing: the pending login and its ceremony still take the genuine answer.
        var right = await client.PostAsync(KeyPath, new { credential = key.Get(requestOptions) });
        Assert.Equal(200, right.StatusCode);
        Assert.Equal(200, (await client.GetAsync("auth-check/")).StatusCode);
    }

    [Fact]
    public async Task WithoutAPendingLogin_BothAnswer401_AndAUsedLoginCannotBeAnsweredAgain()
    {
        var app = await StartAsync();
        using var key = new SoftwareAuthenticator();
        await WithKeyAsync(app, ClientKind.App, key);
        using var client = new CookieJwtClient(app);
        await client.GetAsync("auth-check/"); // the csrftoken cookie

        var options = await client.GetAsync(KeyPath, csrf: true);
        var post = await client.PostAsync(KeyPath, new { credential = new { id = key.CredentialIdText } });
        client.SetCookie("mfa_pending", "not-a-session", PendingPath);
        var unknown = await client.GetAsync(KeyPath, csrf: true);
        Assert.Equal(403, (await client.PostAsync("token/", new { email = Email, password = Password })).StatusCode);
        var requestOptions = (await client.GetAsync(KeyPath, csrf: true)).Json.GetProperty("request_options");
        Assert.Equal(200, (await client.PostAsync(KeyPath, new { credential = key.Get(requestOptions) })).StatusCode);
        var replayed = await client.PostAsync(KeyPath, new { credential = key.Get(requestOptions) });

        foreach (var answer in new[] { options, post, unknown, replayed })
        {
            Assert.Equal(401, answer.StatusCode);
            Assert.Equal("token_not_valid", answer.Code);
        }
    }

    [Fact]
    public async Task WithoutTheCsrfHeader_TheOptionsAndTheAssertionAreRefused403_AndTheCeremonyStays()
    {
        var app = await StartAsync();
        using var key = new SoftwareAuthenticator();
        await WithKeyAsync(app, ClientKind.App, key);
        using var client = new CookieJwtClient(app);
        Assert.Equal(403, (await client.PostAsync("token/", new { email = Email, password = Password })).StatusCode);
        var requestOptions = (await client.GetAsync(KeyPath, csrf: true)).Json.GetProperty("request_options");

        // What a cross-site navigation can send (cookies, no header) must not replace the ceremony being answered.
        var crossSiteGet = await client.GetAsync(KeyPath);
        var withoutHeader = await client.PostAsync(KeyPath, new { credential = key.Get(requestOptions) }, csrf: false);
        var foreign = await client.PostAsync(KeyPath, new { credential = key.Get(requestOptions) },
            headers: new Dictionary<string, string> { ["Origin"] = "https://evil.example" });

        Assert.Equal(403, withoutHeader.StatusCode);
        Assert.Equal("csrf_failed", withoutHeader.Code);
        Assert.Equal(403, foreign.StatusCode);
        Assert.Equal("csrf_failed", foreign.Code);
        Assert.Equal(403, crossSiteGet.StatusCode);
        Assert.Equal("csrf_failed", crossSiteGet.Code);
        Assert.Null(client.Cookie("access_token"));
        Assert.Equal(401, (await client.GetAsync("auth-check/")).StatusCode);
        Assert.Equal(200, (await client.PostAsync(KeyPath, new { credential = key.Get(requestOptions) })).StatusCode);
    }

    [Fact]
    public async Task AfterTooManyWrongAssertions_ThePendingLoginEnds()
    {
        var app = await StartAsync();
        using var key = new SoftwareAuthenticator();
        await WithKeyAsync(app, ClientKind.App, key);
        using var client = new CookieJwtClient(app);
        Assert.Equal(403, (await client.PostAsync("token/", new { email = Email, password = Password })).StatusCode);
        var requestOptions = (await client.GetAsync(KeyPath, csrf: true)).Json.GetProperty("request_options");

        var answers = new List<int>();
        for (var i = 0; i < 6; i++)
        {
            var wrong = key.Get(requestOptions, challengeOverride: SoftwareAuthenticator.Base64Url(new byte[32]));
            answers.Add((await client.PostAsync(KeyPath, new { credential = wrong })).StatusCode);
        }
        var right = await client.PostAsync(KeyPath, new { credential = key.Get(requestOptions) });

        Assert.Contains(429, answers);
        Assert.NotEqual(200, right.StatusCode);
        Assert.Null(client.Cookie("access_token"));
        Assert.Null(client.Cookie("mfa_pending", PendingPath));
    }

    [Fact]
    public async Task WithWebAuthnNotSupported_TheRoutesAre404_AndTheCodeRouteStays()
    {
        var app = await StartAsync(new Dictionary<string, string?>
        {
            ["Gatehouse:Mfa:SupportedTypes:0"] = "totp",
            ["Gatehouse:Mfa:SupportedTypes:1"] = "recovery_codes",
        });
        using var client = new CookieJwtClient(app);
        await client.GetAsync("auth-check/");

        Assert.Equal(404, (await client.GetAsync(KeyPath, csrf: true)).StatusCode);
        Assert.Equal(404, (await client.PostAsync(KeyPath, new { credential = new { } })).StatusCode);
        Assert.Equal(401, (await client.PostAsync("token/2fa/", new { code = "123456" })).StatusCode);
    }
}

public sealed class SqliteCookieTokenWebAuthnTests() : CookieTokenWebAuthnTests(DatabaseKind.Sqlite);
public sealed class PostgresCookieTokenWebAuthnTests() : CookieTokenWebAuthnTests(DatabaseKind.Postgres);
