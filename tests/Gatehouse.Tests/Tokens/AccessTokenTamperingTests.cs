using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;
using Gatehouse.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.Tests.Tokens;

/// <summary>Access tokens that were not issued as they stand are refused with allauth's 401 (not 500, not 410).</summary>
public abstract class AccessTokenTamperingTests(DatabaseKind database) : JwtTestBase(database)
{
    private sealed record Forgery(string Name, string Token);

    /// <summary>A token with the real token's claims, changed by <paramref name="change"/>, signed by <paramref name="key"/>.</summary>
    private static string Forge(GatehouseApp app, JsonWebToken real, SecurityKey key, string algorithm, Action<Dictionary<string, object>>? change = null,
        DateTime? issuedAt = null, DateTime? notBefore = null, DateTime? expires = null, string? issuer = null, string? audience = null)
    {
        var now = app.Clock.GetUtcNow().UtcDateTime;
        var claims = new Dictionary<string, object>
        {
            ["sub"] = real.Subject, ["sid"] = real.GetPayloadValue<string>("sid"), ["jti"] = Guid.NewGuid().ToString(),
            ["token_use"] = "access", ["email"] = Email,
        };
        change?.Invoke(claims);
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        return handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer ?? real.Issuer,
            Audience = audience ?? real.Audiences.Single(),
            IssuedAt = issuedAt ?? now,
            NotBefore = notBefore ?? now,
            Expires = expires ?? now.AddMinutes(5),
            Claims = claims,
            SigningCredentials = new SigningCredentials(key, algorithm),
        });
    }

    private static string B64(string json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));

    [Fact]
    public async Task TamperedTokens_AreAnswered401_WhileTheSameForgeryWithTheRealKeyIsAccepted()
    {
        var app = await StartAsync();
        var pair = await LoginAsync(app);
        var real = Decode(pair.Access);
        var now = app.Clock.GetUtcNow().UtcDateTime;
        var signing = Keys(app).Current.SigningKeyAt(now)!;
        var realKey = signing.PrivateKey;
        realKey.KeyId = signing.Kid;

        // Control: the forging path itself yields accepted tokens, so each refusal below is about its one change.
        var control = Forge(app, real, realKey, "ES256");
        Assert.Equal(200, (await WithBearerAsync(app, HttpMethod.Get, "auth/session", control)).StatusCode);

        var spki = ((ECDsaSecurityKey)signing.PublicKey).ECDsa.ExportSubjectPublicKeyInfo();
        var pem = Encoding.UTF8.GetBytes(((ECDsaSecurityKey)signing.PublicKey).ECDsa.ExportSubjectPublicKeyInfoPem());
        var jwksJson = Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(signing.PublicJwk));
        using var otherEc = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var otherRsa = RSA.Create(2048);
        var parts = pair.Access.Split('.');
        var otherUser = real.Subject == "1" ? "2" : "1";

        var forgeries = new List<Forgery>
        {
            new("alg none", B64($$"""{"alg":"none","typ":"JWT","kid":"{{signing.Kid}}"}""") + "." + parts[1] + "."),
            new("alg none without signature part", B64($$"""{"alg":"none","kid":"{{signing.Kid}}"}""") + "." + parts[1]),
            new("HS256 keyed with the public key (SPKI)", Forge(app, real, new SymmetricSecurityKey(spki) { KeyId = signing.Kid }, "HS256")),
            new("HS256 keyed with the public key (PEM)", Forge(app, real, new SymmetricSecurityKey(pem) { KeyId = signing.Kid }, "HS256")),
            new("HS256 keyed with the JWK", Forge(app, real, new SymmetricSecurityKey(jwksJson) { KeyId = signing.Kid }, "HS256")),
            new("RS256 under the EC key's kid", Forge(app, real, new RsaSecurityKey(otherRsa) { KeyId = signing.Kid }, "RS256")),
            new("another key under the real kid", Forge(app, real, new ECDsaSecurityKey(otherEc) { KeyId = signing.Kid }, "ES256")),
            new("an unknown kid", Forge(app, real, new ECDsaSecurityKey(otherEc) { KeyId = "unknown-kid" }, "ES256")),
            new("no kid", Forge(app, real, new ECDsaSecurityKey(ECDsa.Create(((ECDsaSecurityKey)realKey).ECDsa.ExportParameters(true))), "ES256")),
            new("a payload changed under the real signature", parts[0] + "." + B64(Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[1])).Replace($"\"sub\":\"{real.Subject}\"", $"\"sub\":\"{otherUser}\"", StringComparison.Ordinal)) + "." + parts[2]),
            new("a signature cut short", pair.Access[..^4]),
            new("iat in the future", Forge(app, real, realKey, "ES256", issuedAt: now.AddMinutes(5), expires: now.AddMinutes(10))),
            new("nbf in the future", Forge(app, real, realKey, "ES256", notBefore: now.AddMinutes(5), expires: now.AddMinutes(10))),
            new("expired", Forge(app, real, realKey, "ES256", issuedAt: now.AddMinutes(-10), notBefore: now.AddMinutes(-10), expires: now.AddMinutes(-2))),
            new("another audience", Forge(app, real, realKey, "ES256", audience: "https://other.example.com")),
            new("another issuer", Forge(app, real, realKey, "ES256", issuer: "https://evil.example.com")),
            new("a refresh token_use", Forge(app, real, realKey, "ES256", c => c["token_use"] = "refresh")),
            new("no sid", Forge(app, real, realKey, "ES256", c => c.Remove("sid"))),
            new("a sid that is not a number", Forge(app, real, realKey, "ES256", c => c["sid"] = "abc")),
            new("garbage", "eyJhbGciOi.not.atoken"),
            new("a very long value", new string('a', 10_000)),
        };

        var validator = app.Services.GetRequiredService<AccessTokenValidator>();
        foreach (var forgery in forgeries)
        {
            var response = await WithBearerAsync(app, HttpMethod.Get, "auth/session", forgery.Token);
            Assert.True(response.StatusCode == 401, $"{forgery.Name}: {response}");
            Assert.False(response.IsAuthenticated, forgery.Name);
            Assert.True(response.Data.TryGetProperty("flows", out _), forgery.Name);
            Assert.False((await validator.ValidateAsync(forgery.Token, stateful: false, CancellationToken.None)).IsValid, forgery.Name);
        }
    }

    [Fact]
    public async Task ATokenAlreadyVerified_DoesNotVouchForAChangedCopy()
    {
        // The validator keeps verified tokens; a copy with another payload or signature is a new string and is checked in full.
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Tokens:StatefulValidation"] = "false" });
        var pair = await LoginAsync(app);
        Assert.Equal(200, (int)(await BearerMeAsync(app, pair.Access)).StatusCode);
        var parts = pair.Access.Split('.');
        var payload = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[1])).Replace("\"is_staff\":false", "\"is_staff\":true", StringComparison.Ordinal);
        var signature = Base64Url.DecodeFromChars(parts[2]);
        signature[^1] ^= 1;

        var otherPayload = await BearerMeAsync(app, $"{parts[0]}.{B64(payload)}.{parts[2]}");
        var otherSignature = await BearerMeAsync(app, $"{parts[0]}.{parts[1]}.{Base64Url.EncodeToString(signature)}");
        var again = await BearerMeAsync(app, pair.Access);

        Assert.Contains("\"is_staff\":true", payload, StringComparison.Ordinal);
        Assert.Equal(401, (int)otherPayload.StatusCode);
        Assert.Equal(401, (int)otherSignature.StatusCode);
        Assert.Equal(200, (int)again.StatusCode);
    }

    private static async Task<HttpResponseMessage> BearerMeAsync(GatehouseApp app, string access)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/users/me");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", access);
        return await app.CreateClient().SendAsync(request);
    }

    [Fact]
    public async Task AnAccessToken_IsRefusedOnceExpired_AndAcceptedWithinTheClockSkew()
    {
        var app = await StartAsync();
        var pair = await LoginAsync(app);

        app.Clock.Advance(TimeSpan.FromSeconds(300 + 20));
        var withinSkew = await WithBearerAsync(app, HttpMethod.Get, "auth/session", pair.Access);
        app.Clock.Advance(TimeSpan.FromSeconds(20));
        var expired = await WithBearerAsync(app, HttpMethod.Get, "auth/session", pair.Access);

        Assert.Equal(200, withinSkew.StatusCode);
        Assert.Equal(401, expired.StatusCode);
        Assert.False(expired.IsAuthenticated);
        // The client then refreshes.
        Assert.Equal(200, (await RefreshAsync(app, pair.Refresh)).StatusCode);
    }
}

public sealed class SqliteAccessTokenTamperingTests() : AccessTokenTamperingTests(DatabaseKind.Sqlite);
public sealed class PostgresAccessTokenTamperingTests() : AccessTokenTamperingTests(DatabaseKind.Postgres);
