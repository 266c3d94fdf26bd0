using Gatehouse.Sessions;
using Gatehouse.Storage;
using Gatehouse.Storage.Entities;
using Gatehouse.Tests.Infrastructure;
using Gatehouse.Tokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Tests.Tokens;

/// <summary>The claims seam (what organisations will fill), claims read at issue time, and the stateful validation setting.</summary>
public abstract class AccessTokenClaimsTests(DatabaseKind database) : JwtTestBase(database)
{
    /// <summary>What an organisations feature will do: add tenant claims, and (wrongly) try to take over a reserved one.</summary>
    private sealed class TenantClaims : IAccessTokenClaims
    {
        public ValueTask AddClaimsAsync(AccessTokenSubject subject, IDictionary<string, object> claims, CancellationToken ct)
        {
            claims["tenant_id"] = "t-" + subject.UserId;
            claims["current_tenant_id"] = "t-current";
            claims["sub"] = "999999";
            claims["token_use"] = "refresh";
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task Contributors_AddClaims_ButCannotOverrideReservedOnes()
    {
        var app = await StartAsync(services: s => s.AddScoped<IAccessTokenClaims, TenantClaims>());

        var pair = await LoginAsync(app);
        var refreshed = await RefreshAsync(app, pair.Refresh);

        foreach (var token in new[] { pair.Access, refreshed.Data.GetProperty("access_token").GetString()! })
        {
            var jwt = Decode(token);
            Assert.StartsWith("t-", jwt.GetPayloadValue<string>("tenant_id"), StringComparison.Ordinal);
            Assert.Equal("t-current", jwt.GetPayloadValue<string>("current_tenant_id"));
            Assert.NotEqual("999999", jwt.Subject);
            Assert.Equal("access", jwt.GetPayloadValue<string>("token_use"));
            Assert.Equal(200, (await WithBearerAsync(app, HttpMethod.Get, "auth/session", token)).StatusCode);
        }
    }

    [Fact]
    public async Task StaffAndMfa_AreReadWhenTheTokenIsIssued()
    {
        var app = await StartAsync();
        var pair = await LoginAsync(app);
        Assert.False(Decode(pair.Access).GetPayloadValue<bool>("is_staff"));

        var userId = await app.DbAsync(db => db.Users.Select(u => u.Id).SingleAsync());
        await app.DbAsync(db => db.Users.ExecuteUpdateAsync(u => u.SetProperty(x => x.IsStaff, true)));
        await app.DbAsync(async db =>
        {
            db.Authenticators.Add(new Authenticator { UserId = userId, Type = "totp", Data = "{}", CreatedAt = DateTime.UtcNow });
            return await db.SaveChangesAsync();
        });
        var refreshed = Decode((await RefreshAsync(app, pair.Refresh)).Data.GetProperty("access_token").GetString()!);

        Assert.True(refreshed.GetPayloadValue<bool>("is_staff"));
        Assert.True(refreshed.GetPayloadValue<bool>("has_mfa"));
    }

    [Fact]
    public async Task StatefulValidationSetting_MakesTheValidationServiceRefuseAnEndedSession()
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Tokens:StatefulValidation"] = "true" });
        var pair = await LoginAsync(app);
        var validator = app.Services.GetRequiredService<AccessTokenValidator>();
        var alive = await validator.ValidateAsync(pair.Access, CancellationToken.None);
        Assert.True(alive.IsValid);
        Assert.Equal(alive.Token!.SessionId, alive.Session!.Id);
        Assert.Equal(Email, alive.Session.User!.Email);

        await WithBearerAsync(app, HttpMethod.Delete, "auth/session", pair.Access);

        Assert.Equal(AccessTokenFailure.SessionEnded, (await validator.ValidateAsync(pair.Access, CancellationToken.None)).Failure);
    }
}

public sealed class SqliteAccessTokenClaimsTests() : AccessTokenClaimsTests(DatabaseKind.Sqlite);
public sealed class PostgresAccessTokenClaimsTests() : AccessTokenClaimsTests(DatabaseKind.Postgres);
