using Gatehouse.Configuration;
using Gatehouse.Mfa.Totp;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Gatehouse.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Tests.Mfa;

/// <summary>The mfa_authenticate stage after every way in, and its attempt limit.</summary>
public abstract class MfaLoginTests(DatabaseKind database) : MfaTestBase(database)
{
    [Theory, MemberData(nameof(Clients))]
    public async Task FiftyParallelWrongCodes_AreEvaluatedAtMostMaxAttemptsTimes_ThenTheLoginEnds(ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Mfa:MaxAttempts"] = "5" });
        var (_, secret, codes) = await TotpUserAsync(app, kind);
        NextStep(app);
        var client = await AtMfaStageAsync(app, kind);
        var right = TotpCode(app, secret);
        var wrong = Enumerable.Range(0, 50).Select(i => (100000 + i * 17).ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Where(c => c != right && c != TotpCode(app, secret, -1) && c != TotpCode(app, secret, 1)).Take(50).ToList();

        var answers = await Task.WhenAll(wrong.Select(code => client.PostAsync("auth/2fa/authenticate", new { code })));

        Assert.Equal(5, answers.Count(a => a.ErrorCodes.SequenceEqual(["incorrect_code@code"])));
        // The others were refused unevaluated: while the flow was still being ended, or after (no stage pending).
        Assert.All(answers.Where(a => !a.ErrorCodes.SequenceEqual(["incorrect_code@code"])), a =>
            Assert.True(a.ErrorCodes.SequenceEqual(["too_many_login_attempts@code"]) || a.StatusCode == 401 && a.PendingFlow is null, a.ToString()));
        Assert.Equal(5, await app.DbAsync(db => db.CodeChallenges.Where(c => c.Purpose == "mfa_authenticate").Select(c => c.Attempts).SingleAsync()));
        // The login is over: neither the TOTP code nor a recovery code finishes it now.
        var late = await client.PostAsync("auth/2fa/authenticate", new { code = right });
        Assert.Equal(401, late.StatusCode);
        Assert.Null(late.PendingFlow);
        Assert.Equal(401, (await client.PostAsync("auth/2fa/authenticate", new { code = codes[0] })).StatusCode);
        Assert.Equal(401, (await client.GetAsync("auth/session")).StatusCode);
        // A new login starts over with the password.
        var again = await AtMfaStageAsync(app, kind);
        Assert.Equal(200, (await again.PostAsync("auth/2fa/authenticate", new { code = right })).StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task WrongCodes_CountPerUser_AcrossFreshLogins(ClientKind kind)
    {
        // Knowing the password lets an attacker start a new pending login at will; each one's own attempts must
        // not reset the guessing budget. allauth's login_failed under mfa-auth-user-<id>: 5 per 5 minutes.
        var app = await StartAsync(new Dictionary<string, string?>
        {
            ["Gatehouse:RateLimits:Enabled"] = "true",
            ["Gatehouse:RateLimits:Rules:login"] = "1000/m/ip",
            ["Gatehouse:Mfa:MaxAttempts"] = "3",
        });
        var (_, secret, _) = await TotpUserAsync(app, kind);
        NextStep(app);
        var right = TotpCode(app, secret);
        var wrong = Enumerable.Range(0, 20).Select(i => (200000 + i * 31).ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Where(c => c != right && c != TotpCode(app, secret, -1) && c != TotpCode(app, secret, 1)).ToList();

        var first = await AtMfaStageAsync(app, kind);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(["incorrect_code@code"], (await first.PostAsync("auth/2fa/authenticate", new { code = wrong[i] })).ErrorCodes);
        }
        var second = await AtMfaStageAsync(app, kind);
        for (var i = 3; i < 5; i++)
        {
            Assert.Equal(["incorrect_code@code"], (await second.PostAsync("auth/2fa/authenticate", new { code = wrong[i] })).ErrorCodes);
        }

        // The sixth wrong guess of the user, in a login whose own attempts are not used up, is not evaluated; nor is the right code.
        Assert.Equal(["too_many_login_attempts@code"], (await second.PostAsync("auth/2fa/authenticate", new { code = wrong[5] })).ErrorCodes);
        Assert.Equal(["too_many_login_attempts@code"], (await second.PostAsync("auth/2fa/authenticate", new { code = right })).ErrorCodes);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task LoginByCode_StopsAtMfa(ClientKind kind)
    {
        var app = await StartAsync();
        var (_, secret, _) = await TotpUserAsync(app, kind);
        NextStep(app);
        var client = app.Client(kind);
        Assert.Equal(401, (await client.PostAsync("auth/code/request", new { email = Email })).StatusCode);
        var code = (await MailToAsync(app, Email, "Sign-In Code")).CodeLine()!;

        var confirmed = await client.PostAsync("auth/code/confirm", new { code });

        await AssertStoppedAtMfaAsync(client, confirmed);
        Assert.Equal(200, (await client.PostAsync("auth/2fa/authenticate", new { code = TotpCode(app, secret) })).StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task PasswordResetLogin_StopsAtMfa(ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Account:LoginOnPasswordReset"] = "true" });
        var (_, secret, _) = await TotpUserAsync(app, kind);
        NextStep(app);
        var client = app.Client(kind);
        Assert.Equal(200, (await client.PostAsync("auth/password/request", new { email = Email })).StatusCode);
        var key = KeyFromUrl((await MailToAsync(app, Email, "Password Reset")).FirstUrl());

        var reset = await client.PostAsync("auth/password/reset", new { key, password = "An0ther-Tr0ub4dor&3" });

        await AssertStoppedAtMfaAsync(client, reset);
        Assert.Equal(200, (await client.PostAsync("auth/2fa/authenticate", new { code = TotpCode(app, secret) })).StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task EmailConfirmationLogin_StopsAtMfa(ClientKind kind)
    {
        var app = await StartAsync();
        var signup = app.Client(kind);
        Assert.Equal(401, (await signup.PostAsync("auth/signup", new { email = Email, password = Password })).StatusCode);
        app.Mail.Clear();
        // An account with TOTP and an address not verified yet (set up outside the API, as an import would).
        const string secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GatehouseDbContext>();
            var userId = await db.Users.Select(u => u.Id).SingleAsync();
            scope.ServiceProvider.GetRequiredService<TotpAuthenticator>().Activate(userId, secret, acceptedStep: 0);
            await db.SaveChangesAsync();
        }
        var client = app.Client(kind);
        var login = await client.PostAsync("auth/login", new { email = Email, password = Password });
        Assert.Equal("verify_email", login.PendingFlow);
        var key = await VerificationKeyAsync(app, Email);

        var confirmed = await client.PostAsync("auth/email/verify", new { key });

        await AssertStoppedAtMfaAsync(client, confirmed);
        Assert.Equal(["totp"], Types(PendingMfa(confirmed)));
        Assert.Equal(200, (await client.PostAsync("auth/2fa/authenticate", new { code = TotpCode(app, secret) })).StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AUserWithoutMfa_LogsInWithoutTheStage(ClientKind kind)
    {
        var app = await StartAsync();
        await VerifiedAndLoggedInAsync(app, kind);

        Assert.Equal(0, await app.DbAsync(db => db.CodeChallenges.CountAsync(c => c.Purpose == "mfa_authenticate")));
    }

    private static async Task AssertStoppedAtMfaAsync(ApiClient client, ApiResponse answer)
    {
        Assert.Equal(401, answer.StatusCode);
        Assert.False(answer.IsAuthenticated);
        Assert.Equal("mfa_authenticate", answer.PendingFlow);
        Assert.Contains("totp", Types(PendingMfa(answer)));
        var session = await client.GetAsync("auth/session");
        Assert.Equal(401, session.StatusCode);
        Assert.Equal("mfa_authenticate", session.PendingFlow);
        Assert.Equal(401, (await client.GetAsync("account/authenticators")).StatusCode);
    }
}

public sealed class SqliteMfaLoginTests() : MfaLoginTests(DatabaseKind.Sqlite);
public sealed class PostgresMfaLoginTests() : MfaLoginTests(DatabaseKind.Postgres);
