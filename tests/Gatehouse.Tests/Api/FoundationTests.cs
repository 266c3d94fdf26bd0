using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Tests.Api;

/// <summary>
/// Regression tests for the defects found when the core was tried from outside: logins in flight that
/// outlived a password reset, a key used many times at once, switched-off features that still answered. Code
/// attempt limits under concurrency, double submits of a code and GETs without one are covered for all three
/// mailed-code flows in <see cref="MailedCodeTests"/>.
/// </summary>
public abstract class FoundationTests(DatabaseKind database) : ApiTestBase(database)
{
    private const string Email = "alice@example.com";
    private const string NewPassword = "N3w-Tr0ub4dor&3-horse";

    /// <summary>An app whose next login is held after it verified the password and read the user, before it saves.</summary>
    private async Task<(GatehouseApp App, CommandGate Gate)> StartWithLoginGateAsync(IDictionary<string, string?>? settings = null)
    {
        // LoginCompletion uses up the user's reset links first thing when it logs in: the login has checked
        // the password and read the user (and its security stamp) by then.
        var gate = new CommandGate("UPDATE", "verification_keys");
        var app = await StartAsync(settings, services => services.ConfigureDbContext<Gatehouse.Storage.GatehouseDbContext>(o => o.AddInterceptors(gate)));
        return (app, gate);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task ALoginWithTheOldPassword_StillInFlightDuringAPasswordReset_GetsASessionThatIsAlreadyDead(ClientKind kind)
    {
        var (app, gate) = await StartWithLoginGateAsync(new Dictionary<string, string?> { ["Gatehouse:Account:PasswordResetByCodeEnabled"] = "true" });
        var owner = await SignedUpAndVerifiedAsync(app, kind, Email);
        await owner.DeleteAsync("auth/session");
        var resetter = app.Client(kind);
        await resetter.PostAsync("auth/password/request", new { email = Email });
        var code = (await MailToAsync(app, Email, "Password Reset Code")).CodeLine()!;

        var intruder = app.Client(kind);
        gate.Arm();
        var login = intruder.PostAsync("auth/login", new { email = Email, password = Password });
        await gate.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        var reset = await resetter.PostAsync("auth/password/reset", new { key = code, password = NewPassword });
        Assert.Equal(401, reset.StatusCode);
        gate.Open();
        var loggedIn = await login;

        // The login answered (it verified the old password before the reset committed), but its session
        // carries the stamp from before the reset and is refused from the first request on.
        Assert.Equal(200, loggedIn.StatusCode);
        var session = await intruder.GetAsync("auth/session");
        Assert.Equal(kind == ClientKind.App ? 410 : 401, session.StatusCode);
        Assert.Equal(200, (await app.Client(kind).PostAsync("auth/login", new { email = Email, password = NewPassword })).StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task ALoginWithTheOldPassword_StillInFlightDuringAPasswordChange_GetsASessionThatIsAlreadyDead(ClientKind kind)
    {
        var (app, gate) = await StartWithLoginGateAsync();
        var owner = await SignedUpAndVerifiedAsync(app, kind, Email);

        var other = app.Client(kind);
        gate.Arm();
        var login = other.PostAsync("auth/login", new { email = Email, password = Password });
        await gate.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        var change = await owner.PostAsync("account/password/change", new { current_password = Password, new_password = NewPassword });
        Assert.Equal(200, change.StatusCode);
        gate.Open();
        Assert.Equal(200, (await login).StatusCode);

        Assert.False((await other.GetAsync("auth/session")).StatusCode == 200, "a session of the old password survived the change");
        Assert.Equal(200, (await owner.GetAsync("auth/session")).StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task ConcurrentPasswordChangesAndReauthentications_OnOneSession_NeverAnswer500(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);

        var changes = Enumerable.Range(0, 4).Select(i => client.PostAsync("account/password/change", new { current_password = Password, new_password = NewPassword + i }));
        var reauths = Enumerable.Range(0, 4).Select(_ => client.PostAsync("auth/reauthenticate", new { password = Password }));
        var answers = await Task.WhenAll(changes.Concat(reauths));

        Assert.All(answers, a => Assert.True(a.StatusCode is 200 or 400 or 401 or 409 or 410, a.ToString()));
        Assert.All(answers, AssertEnvelope);
        Assert.Contains(answers.Take(4), a => a.StatusCode == 200);
        Assert.DoesNotContain(app.Logs.Lines, line => line.StartsWith("Error", StringComparison.Ordinal) || line.StartsWith("Critical", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TwentyParallelUsesOfOneVerificationKey_VerifyOnce()
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Account:EmailVerification"] = "Optional" });
        var client = app.Client(ClientKind.App);
        Assert.Equal(200, (await client.PostAsync("auth/signup", new { email = Email, password = Password })).StatusCode);
        var key = await VerificationKeyAsync(app, Email);

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => app.Client(ClientKind.App).PostAsync("auth/email/verify", new { key })));

        Assert.Single(answers, a => a.StatusCode is 200 or 401);
        Assert.All(answers.Where(a => a.StatusCode is not (200 or 401)), a => Assert.Contains("invalid_or_expired_key@key", a.ErrorCodes));
        Assert.Equal(1, await app.DbAsync(db => db.AuditEvents.CountAsync(e => e.EventType == "email_confirmed")));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task VerificationByCode_ALoginWithinTheMailCooldown_KeepsItsFlowThroughATypo_AndPassesWithTheResentCode(ClientKind kind)
    {
        // The cooldown is allauth's confirm_email rate limit (1/10s per address with codes).
        var app = await StartAsync(new Dictionary<string, string?>
        {
            ["Gatehouse:Account:EmailVerificationByCodeEnabled"] = "true",
            ["Gatehouse:RateLimits:Enabled"] = "true",
        });
        await app.Client(kind).PostAsync("auth/signup", new { email = Email, password = Password });
        await MailToAsync(app, Email, "Confirm Your Email");

        // Within the cooldown no second mail goes out, but the new flow still counts attempts like any other.
        var client = app.Client(kind);
        Assert.Equal("verify_email", (await client.PostAsync("auth/login", new { email = Email, password = Password })).PendingFlow);
        Assert.Equal(400, (await client.PostAsync("auth/email/verify", new { key = "BCDF-GHJK" })).StatusCode);
        Assert.Equal(400, (await client.PostAsync("auth/email/verify", new { key = "BCDF-GHJK" })).StatusCode);
        app.Clock.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal(200, (await client.PostAsync("auth/email/verify/resend")).StatusCode);
        var code = (await MailToAsync(app, Email, "Confirm Your Email")).CodeLine()!;

        Assert.Equal(200, (await client.PostAsync("auth/email/verify", new { key = code })).StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task VerificationByCode_AnAddressAddedWhileLoggedIn_IsVerifiedWithTheMailedCode(ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Account:EmailVerificationByCodeEnabled"] = "true" });
        var client = app.Client(kind);
        await client.PostAsync("auth/signup", new { email = Email, password = Password });
        var first = (await MailToAsync(app, Email, "Confirm Your Email")).CodeLine()!;
        Assert.Equal(200, (await client.PostAsync("auth/email/verify", new { key = first })).StatusCode);

        Assert.Equal(200, (await client.PostAsync("account/email", new { email = "second@example.com" })).StatusCode);
        var mail = await MailToAsync(app, "second@example.com", "Confirm Your Email");
        Assert.DoesNotContain("/account/verify-email/", mail.TextBody, StringComparison.Ordinal);
        var code = mail.CodeLine()!;
        Assert.Equal(400, (await client.PostAsync("auth/email/verify", new { key = "BCDF-GHJK" })).StatusCode);
        var verified = await client.PostAsync("auth/email/verify", new { key = code });

        Assert.Equal(200, verified.StatusCode);
        Assert.True(verified.IsAuthenticated);
        var list = await client.GetAsync("account/email");
        Assert.Contains(list.Data.EnumerateArray(), e => e.GetProperty("email").GetString() == "second@example.com" && e.GetProperty("verified").GetBoolean());
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task LoginByCodeSwitchedOff_ItsRoutesDoNotExist_AndNoCodeIsMailed(ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Account:LoginByCodeEnabled"] = "false" });
        await SignedUpAndVerifiedAsync(app, kind, Email);
        var client = app.Client(kind);

        Assert.Equal(404, (await client.PostAsync("auth/code/request", new { email = Email })).StatusCode);
        Assert.Equal(404, (await client.PostAsync("auth/code/confirm", new { code = "BCDF-GHJK" })).StatusCode);
        Assert.Equal(404, (await client.PostAsync("auth/code/resend")).StatusCode);
        Assert.Equal(0, await OutboxCountAsync(app, Email, "Sign-In Code"));
        Assert.DoesNotContain("login_by_code", (await client.GetAsync("auth/session")).FlowIds);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task VerificationByCodeSwitchedOff_TheResendRouteDoesNotExist(ClientKind kind)
    {
        var app = await StartAsync();
        var client = app.Client(kind);
        await client.PostAsync("auth/signup", new { email = Email, password = Password });

        Assert.Equal(404, (await client.PostAsync("auth/email/verify/resend")).StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task LoginOnPasswordReset_GoesThroughTheLoginStages_InsteadOfAroundThem(ClientKind kind)
    {
        // The reset proves the mailbox by its link, but that is the stages' business: the reset login asks
        // the same registry as every other way in (MFA will be a stage there), and verify_email still applies.
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Account:LoginOnPasswordReset"] = "true" });
        var signup = app.Client(kind);
        await signup.PostAsync("auth/signup", new { email = Email, password = Password });
        app.Mail.Clear();
        var client = app.Client(kind);
        await client.PostAsync("auth/password/request", new { email = Email });
        var key = KeyFromUrl((await MailToAsync(app, Email, "Password Reset Email")).FirstUrl());

        var reset = await client.PostAsync("auth/password/reset", new { key, password = NewPassword });

        Assert.Equal(401, reset.StatusCode);
        Assert.Equal("verify_email", reset.PendingFlow);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task ASquatterWithAVerifiedSecondAddress_LosesTheAccount_WhenTheOwnerOfItsPrimaryAddressLogsInByCode(ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Account:EmailVerification"] = "Optional" });
        var squatter = app.Client(kind);
        Assert.Equal(200, (await squatter.PostAsync("auth/signup", new { email = Email, password = Password })).StatusCode);
        Assert.Equal(200, (await squatter.PostAsync("account/email", new { email = "evil@example.com" })).StatusCode);
        var evilKey = KeyFromUrl((await MailToAsync(app, "evil@example.com", "Confirm Your Email")).FirstUrl());
        Assert.Equal(200, (await squatter.PostAsync("auth/email/verify", new { key = evilKey })).StatusCode);
        app.Mail.Clear();

        var owner = app.Client(kind);
        await owner.PostAsync("auth/code/request", new { email = Email });
        var code = (await MailToAsync(app, Email, "Sign-In Code")).CodeLine()!;
        Assert.Equal(200, (await owner.PostAsync("auth/code/confirm", new { code })).StatusCode);

        // The squatter's password, session and address are all gone; the address cannot reset the password.
        Assert.NotEqual(200, (await squatter.GetAsync("auth/session")).StatusCode);
        Assert.Equal(400, (await app.Client(kind).PostAsync("auth/login", new { email = Email, password = Password })).StatusCode);
        var addresses = await owner.GetAsync("account/email");
        Assert.Equal([Email], addresses.Data.EnumerateArray().Select(e => e.GetProperty("email").GetString()));
        await app.Client(kind).PostAsync("auth/password/request", new { email = "evil@example.com" });
        Assert.Equal(0, await OutboxCountAsync(app, "evil@example.com", "Password Reset Email"));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task APendingLoginWithTheOldPassword_CannotFinishItsStages_AfterAPasswordReset(ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Account:EmailVerificationByCodeEnabled"] = "true" });
        await app.Client(kind).PostAsync("auth/signup", new { email = Email, password = Password });
        await MailToAsync(app, Email, "Confirm Your Email");
        var intruder = app.Client(kind);
        Assert.Equal("verify_email", (await intruder.PostAsync("auth/login", new { email = Email, password = Password })).PendingFlow);
        var code = (await MailToAsync(app, Email, "Confirm Your Email")).CodeLine()!;

        var owner = app.Client(kind);
        await owner.PostAsync("auth/password/request", new { email = Email });
        var key = KeyFromUrl((await MailToAsync(app, Email, "Password Reset Email")).FirstUrl());
        Assert.Equal(401, (await owner.PostAsync("auth/password/reset", new { key, password = NewPassword })).StatusCode);

        Assert.Equal(409, (await intruder.PostAsync("auth/email/verify", new { key = code })).StatusCode);
        Assert.NotEqual(200, (await intruder.GetAsync("auth/session")).StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task ALoggedInUser_ResettingTheirOwnPassword_WithLoginOnPasswordReset_IsLoggedInWithTheNewOne(ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Account:LoginOnPasswordReset"] = "true" });
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);
        await client.PostAsync("auth/password/request", new { email = Email });
        var key = KeyFromUrl((await MailToAsync(app, Email, "Password Reset Email")).FirstUrl());

        Assert.Equal(200, (await client.PostAsync("auth/password/reset", new { key, password = NewPassword })).StatusCode);
        Assert.Equal(200, (await client.GetAsync("auth/session")).StatusCode);
        Assert.Equal(200, (await app.Client(kind).PostAsync("auth/login", new { email = Email, password = NewPassword })).StatusCode);
    }

    [Fact]
    public async Task AMailedCode_IsCheckedOnlyForThePurposeItWasIssuedFor()
    {
        var app = await StartAsync();
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<Gatehouse.Storage.GatehouseDbContext>();
        var challenges = scope.ServiceProvider.GetRequiredService<Gatehouse.Security.CodeChallenges>();
        var key = challenges.Issue(Gatehouse.Storage.Entities.CodePurposes.LoginByCode, "ABCD-EFGH", DateTime.UtcNow.AddMinutes(5));
        await db.SaveChangesAsync();

        var asReset = await challenges.CheckAsync(Gatehouse.Storage.Entities.CodePurposes.PasswordReset, key, "ABCD-EFGH", 3, consume: true, CancellationToken.None);
        var wrongAsReset = await challenges.CheckAsync(Gatehouse.Storage.Entities.CodePurposes.PasswordReset, key, "XXXX-XXXX", 3, consume: true, CancellationToken.None);

        Assert.Equal(Gatehouse.Security.CodeCheck.Exhausted, asReset);
        Assert.Equal(Gatehouse.Security.CodeCheck.Exhausted, wrongAsReset);
        Assert.Equal(0, await app.DbAsync(d => d.CodeChallenges.Where(c => c.Key == key).Select(c => c.Attempts).SingleAsync()));
        Assert.Equal(Gatehouse.Security.CodeCheck.Accepted,
            await challenges.CheckAsync(Gatehouse.Storage.Entities.CodePurposes.LoginByCode, key, "ABCD-EFGH", 3, consume: true, CancellationToken.None));
    }
}

public sealed class SqliteFoundationTests() : FoundationTests(DatabaseKind.Sqlite);
public sealed class PostgresFoundationTests() : FoundationTests(DatabaseKind.Postgres);
