using Gatehouse.Tests.Infrastructure;
using Gatehouse.Tokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Tests.Tokens;

/// <summary>Signing keys: sealed in the database, published as JWKS, rotated with overlap, shared by nodes.</summary>
public abstract class SigningKeyTests(DatabaseKind database) : JwtTestBase(database)
{
    private static readonly Dictionary<string, string?> LongAccessTokens = new() { ["Gatehouse:Tokens:AccessTokenLifetime"] = "01:00:00" };

    private static Task RunWorkerAsync(GatehouseApp app) => app.Services.GetRequiredService<TokenKeyWorker>().RunOnceAsync(CancellationToken.None);

    [Fact]
    public async Task FirstStart_MakesOneES256Key_SealedInTheDatabase_AndPublishesOnlyItsPublicPart()
    {
        var app = await StartAsync();

        var row = await app.DbAsync(db => db.SigningKeys.SingleAsync());
        var jwks = await JwksAsync(app);
        using var http = app.CreateClient();
        using var raw = await http.GetAsync(TokensApi.JwksPath);

        Assert.StartsWith("gh1:", row.PrivateKey, StringComparison.Ordinal);
        Assert.Equal("ES256", row.Algorithm);
        var key = Assert.Single(jwks.GetProperty("keys").EnumerateArray());
        Assert.Equal(row.Kid, key.GetProperty("kid").GetString());
        Assert.Equal("EC", key.GetProperty("kty").GetString());
        Assert.Equal("P-256", key.GetProperty("crv").GetString());
        Assert.Equal("sig", key.GetProperty("use").GetString());
        Assert.False(key.TryGetProperty("d", out _));
        Assert.Equal("public, max-age=300", raw.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task RS256_IsUsedWhenConfigured()
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Tokens:Algorithm"] = "RS256" });

        var pair = await LoginAsync(app);

        Assert.Equal("RS256", Decode(pair.Access).Alg);
        Assert.Equal(200, (await WithBearerAsync(app, HttpMethod.Get, "auth/session", pair.Access)).StatusCode);
        var key = Assert.Single((await JwksAsync(app)).GetProperty("keys").EnumerateArray());
        Assert.Equal("RSA", key.GetProperty("kty").GetString());
    }

    [Fact]
    public async Task Rotation_PublishesTheNewKeyFirst_SignsWithItLater_AndKeepsTheOldOneUntilItsTokensExpired()
    {
        var app = await StartAsync(LongAccessTokens);
        var before = await LoginAsync(app);
        var oldKid = Decode(before.Access).Kid;

        var rotated = await Keys(app).RotateAsync(CancellationToken.None);

        // Published at once, not signing yet.
        Assert.Equal([rotated.Kid, oldKid], Kids(await JwksAsync(app)));
        Assert.Equal(oldKid, Decode((await PasswordLoginAsync(app)).Access).Kid);

        app.Clock.Advance(TimeSpan.FromMinutes(10));
        var after = await PasswordLoginAsync(app);
        Assert.Equal(rotated.Kid, Decode(after.Access).Kid);
        // A token of the old key is still good, on Gatehouse and for the validation service.
        Assert.Equal(200, (await WithBearerAsync(app, HttpMethod.Get, "auth/session", before.Access)).StatusCode);
        await RunWorkerAsync(app);
        Assert.Equal([rotated.Kid, oldKid], Kids(await JwksAsync(app)));

        // Once the longest token the old key may have signed has expired, the key goes.
        app.Clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(31));
        await RunWorkerAsync(app);
        Assert.Equal([rotated.Kid], Kids(await JwksAsync(app)));
        Assert.Equal(1, await app.DbAsync(db => db.SigningKeys.CountAsync()));
        var later = await PasswordLoginAsync(app);
        Assert.Equal(rotated.Kid, Decode(later.Access).Kid);
        Assert.Equal(200, (await WithBearerAsync(app, HttpMethod.Get, "auth/session", later.Access)).StatusCode);
    }

    [Fact]
    public async Task ScheduledRotation_AddsAKeyWhenTheNewestIsOlderThanTheInterval()
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Tokens:KeyRotationInterval"] = "1.00:00:00" });
        await RunWorkerAsync(app);
        Assert.Equal(1, await app.DbAsync(db => db.SigningKeys.CountAsync()));

        app.Clock.Advance(TimeSpan.FromDays(1));
        await RunWorkerAsync(app);

        Assert.Equal([1, 2], await app.DbAsync(db => db.SigningKeys.OrderBy(k => k.Generation).Select(k => k.Generation).ToListAsync()));
    }

    [Fact]
    public async Task TwoNodesOnOneDatabase_ShareTheKeys_AndEachHonoursTheOthersTokensAndLogouts()
    {
        var a = await StartAsync();
        await using var b = await GatehouseApp.StartAsync(Database, a.ConnectionString, Settings);
        var pair = await LoginAsync(a);

        Assert.Equal(Kids(await JwksAsync(a)), Kids(await JwksAsync(b)));
        Assert.Equal(1, await a.DbAsync(db => db.SigningKeys.CountAsync()));
        Assert.Equal(200, (await WithBearerAsync(b, HttpMethod.Get, "auth/session", pair.Access)).StatusCode);
        var refreshed = await RefreshAsync(b, pair.Refresh);
        Assert.Equal(200, refreshed.StatusCode);
        var access = refreshed.Data.GetProperty("access_token").GetString()!;
        Assert.Equal(200, (await WithBearerAsync(a, HttpMethod.Get, "auth/session", access)).StatusCode);

        // A key added by one node is known to the other after its reload, before it signs.
        var rotated = await Keys(a).RotateAsync(CancellationToken.None);
        await RunWorkerAsync(b);
        Assert.Contains(rotated.Kid, Kids(await JwksAsync(b)));

        Assert.Equal(401, (await WithBearerAsync(a, HttpMethod.Delete, "auth/session", access)).StatusCode);
        Assert.Equal(410, (await WithBearerAsync(b, HttpMethod.Get, "auth/session", access)).StatusCode);
    }

    [Fact]
    public async Task AKeySealedUnderAnotherSecretKey_IsIgnored_AndANewOneIsMade()
    {
        var a = await StartAsync();
        var oldKid = Assert.Single(Kids(await JwksAsync(a)));
        var settings = new Dictionary<string, string?>(Settings) { ["Gatehouse:SecretKey"] = Convert.ToBase64String(new byte[32].Select((_, i) => (byte)(200 - i)).ToArray()) };

        await using var b = await GatehouseApp.StartAsync(Database, a.ConnectionString, settings);

        var kids = Kids(await JwksAsync(b));
        Assert.DoesNotContain(oldKid, kids);
        Assert.Single(kids);
    }
}

public sealed class SqliteSigningKeyTests() : SigningKeyTests(DatabaseKind.Sqlite);
public sealed class PostgresSigningKeyTests() : SigningKeyTests(DatabaseKind.Postgres);
