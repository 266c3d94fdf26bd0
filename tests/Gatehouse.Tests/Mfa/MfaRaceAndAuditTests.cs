using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Tests.Mfa;

/// <summary>Lost races answer 409 (never a 500, nothing doubled), and every MFA change is audited with IP and user agent.</summary>
public abstract class MfaRaceAndAuditTests(DatabaseKind database) : MfaTestBase(database)
{
    [Theory, MemberData(nameof(Clients))]
    public async Task TenConcurrentActivations_ActivateOnce_AndTheOthersAreRefusedCleanly(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await VerifiedAndLoggedInAsync(app, kind);
        var secret = (await client.GetAsync("account/authenticators/totp")).Meta.GetProperty("secret").GetString()!;
        var code = TotpCode(app, secret);

        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => client.PostAsync("account/authenticators/totp", new { code })));

        Assert.Equal(1, answers.Count(a => a.StatusCode == 200));
        Assert.All(answers.Where(a => a.StatusCode != 200), a => Assert.True(a.StatusCode is 409 or 400, a.ToString()));
        Assert.All(answers, AssertEnvelope);
        Assert.Equal(1, await app.DbAsync(db => db.Authenticators.CountAsync(a => a.Type == "totp")));
        Assert.Equal(1, await app.DbAsync(db => db.Authenticators.CountAsync(a => a.Type == "recovery_codes")));
        Assert.Equal(10, await app.DbAsync(db => db.RecoveryCodes.CountAsync()));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task TenConcurrentRegenerations_LeaveOneSet(ClientKind kind)
    {
        var app = await StartAsync();
        var (client, _, _) = await TotpUserAsync(app, kind);

        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => client.PostAsync("account/authenticators/recovery-codes")));

        Assert.Contains(answers, a => a.StatusCode == 200);
        Assert.All(answers, a => Assert.True(a.StatusCode is 200 or 409, a.ToString()));
        Assert.All(answers, AssertEnvelope);
        Assert.Equal(1, await app.DbAsync(db => db.Authenticators.CountAsync(a => a.Type == "recovery_codes")));
        Assert.Equal(10, await app.DbAsync(db => db.RecoveryCodes.CountAsync()));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task EveryMfaChange_IsAudited_WithIpAndUserAgent(ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?> { [GatehouseApp.RemoteIpSetting] = "203.0.113.7" });
        var (client, secret, codes) = await TotpUserAsync(app, kind);
        NextStep(app);
        var login = await AtMfaStageAsync(app, kind);
        Assert.Equal(["incorrect_code@code"], (await login.PostAsync("auth/2fa/authenticate", new { code = codes[0] + "9" })).ErrorCodes);
        Assert.Equal(200, (await login.PostAsync("auth/2fa/authenticate", new { code = codes[0] })).StatusCode);
        Assert.Equal(200, (await client.PostAsync("account/authenticators/recovery-codes")).StatusCode);
        Assert.Equal(200, (await client.DeleteAsync("account/authenticators/totp")).StatusCode);

        var events = await app.DbAsync(db => db.AuditEvents.Where(e => e.EventType.StartsWith("mfa_")).OrderBy(e => e.Id).ToListAsync());

        Assert.Equal(
            ["mfa_authenticator_added", "mfa_authenticator_added", "mfa_failed", "mfa_authenticated", "mfa_recovery_codes_generated",
             "mfa_authenticator_removed", "mfa_authenticator_removed"],
            events.Select(e => e.EventType));
        Assert.All(events, e => Assert.Equal("203.0.113.7", e.Ip));
        Assert.All(events, e => Assert.Equal("gatehouse-tests", e.UserAgent));
        Assert.All(events, e => Assert.DoesNotContain(secret, e.Data ?? "", StringComparison.Ordinal));
        Assert.All(events, e => Assert.DoesNotContain(codes[0], e.Data ?? "", StringComparison.Ordinal));
    }
}

public sealed class SqliteMfaRaceAndAuditTests() : MfaRaceAndAuditTests(DatabaseKind.Sqlite);
public sealed class PostgresMfaRaceAndAuditTests() : MfaRaceAndAuditTests(DatabaseKind.Postgres);
