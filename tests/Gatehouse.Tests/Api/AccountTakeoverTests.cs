using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Tests.Api;

/// <summary>
/// Regression tests from the security review: ways to end up in, or keep a foot in, someone else's
/// account through their email address.
/// </summary>
public abstract class AccountTakeoverTests(DatabaseKind database) : ApiTestBase(database)
{
    private const string AttackerPassword = "Attacker-Chosen-Pass-1";

    [Theory, MemberData(nameof(Clients))]
    public async Task LoginByCode_IntoAnAccountNobodyVerified_DropsThePasswordItWasSignedUpWith(ClientKind kind)
    {
        var app = await StartAsync();
        await app.Client(kind).PostAsync("auth/signup", new { email = "victim@example.com", password = AttackerPassword });
        app.Mail.Clear();

        var victim = app.Client(kind);
        await victim.PostAsync("auth/code/request", new { email = "victim@example.com" });
        var mail = await app.Mail.WaitForMailAsync(m => m.Subject.Contains("Sign-In Code", StringComparison.Ordinal));
        var confirm = await victim.PostAsync("auth/code/confirm", new { code = mail.CodeLine() });
        Assert.Equal(200, confirm.StatusCode);
        Assert.False(confirm.Data.GetProperty("user").GetProperty("has_usable_password").GetBoolean());

        var attacker = await app.Client(kind).PostAsync("auth/login", new { email = "victim@example.com", password = AttackerPassword });
        Assert.Equal(["email_password_mismatch@password"], attacker.ErrorCodes);

        // the owner sets a password of their own without knowing the old one
        var set = await victim.PostAsync("account/password/change", new { new_password = "Owner-Own-Pass-77" });
        Assert.Equal(200, set.StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AnAddressAddedButNotVerified_DoesNotLeadItsOwnerIntoTheAddersAccount(ClientKind kind)
    {
        var app = await StartAsync();
        var attacker = await SignedUpAndVerifiedAsync(app, kind, "attacker@example.com");
        Assert.Equal(200, (await attacker.PostAsync("account/email", new { email = "victim@example.com" })).StatusCode);
        app.Mail.Clear();

        var victim = app.Client(kind);
        var request = await victim.PostAsync("auth/code/request", new { email = "victim@example.com" });
        Assert.Equal(401, request.StatusCode);
        await app.Mail.WaitForMailAsync(m => m.To.Contains("victim@example.com") && m.Subject.Contains("Unknown Account", StringComparison.Ordinal));
        Assert.DoesNotContain(app.Mail.Messages, m => m.Subject.Contains("Sign-In Code", StringComparison.Ordinal));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task Signup_WithAnAddressSomeoneOnlyClaimed_CreatesTheOwnersAccount(ClientKind kind)
    {
        var app = await StartAsync();
        var attacker = await SignedUpAndVerifiedAsync(app, kind, "attacker@example.com");
        await attacker.PostAsync("account/email", new { email = "victim@example.com" });
        app.Mail.Clear();

        var owner = app.Client(kind);
        Assert.Equal(401, (await owner.PostAsync("auth/signup", new { email = "victim@example.com", password = Password })).StatusCode);
        var mail = await app.Mail.WaitForMailAsync(m => m.To.Contains("victim@example.com") && m.TextBody.Contains("register an account", StringComparison.Ordinal));
        var verified = await owner.PostAsync("auth/email/verify", new { key = KeyFromUrl(mail.FirstUrl()) });

        Assert.Equal(200, verified.StatusCode);
        Assert.Equal("victim@example.com", verified.Data.GetProperty("user").GetProperty("email").GetString());
        var attackerEmails = await attacker.GetAsync("account/email");
        Assert.DoesNotContain("victim@example.com", attackerEmails.Body, StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task ASignupThatFailsAfterReleasingAClaim_LeavesTheClaim_AndCreatesNoUser(ClientKind kind)
    {
        var app = await StartAsync();
        var attacker = await SignedUpAndVerifiedAsync(app, kind, "attacker@example.com");
        Assert.Equal(200, (await attacker.PostAsync("account/email", new { email = "victim@example.com" })).StatusCode);
        app.Mail.Clear();
        // The signup deletes the unverified claim first (a delete that runs at once), then inserts the new
        // account and its address: that insert fails here.
        await FailingInserts.StartAsync(app, "email_addresses");

        var failed = await app.Client(kind).PostAsync("auth/signup", new { email = "victim@example.com", password = Password });

        Assert.True(failed.StatusCode is >= 400 and < 500, failed.ToString());
        AssertEnvelope(failed);
        await FailingInserts.StopAsync(app, "email_addresses");
        Assert.Equal(1, await app.DbAsync(db => db.Users.CountAsync()));
        var claim = await app.DbAsync(db => db.EmailAddresses.SingleAsync(e => e.EmailNormalized == "victim@example.com"));
        Assert.False(claim.Verified);
        Assert.Contains("victim@example.com", (await attacker.GetAsync("account/email")).Body, StringComparison.Ordinal);
        // Nothing was left half done: the retry releases the claim and creates the owner's account.
        Assert.Equal(401, (await app.Client(kind).PostAsync("auth/signup", new { email = "victim@example.com", password = Password })).StatusCode);
        Assert.Equal(2, await app.DbAsync(db => db.Users.CountAsync()));
        Assert.DoesNotContain("victim@example.com", (await attacker.GetAsync("account/email")).Body, StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task ResendDuringADuplicateSignup_AnswersLikeAFreshSignup(ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Account:EmailVerificationByCodeEnabled"] = "true" });
        var first = app.Client(kind);
        await first.PostAsync("auth/signup", new { email = "taken@example.com", password = Password });

        var duplicate = app.Client(kind);
        await duplicate.PostAsync("auth/signup", new { email = "taken@example.com", password = Password });
        var fresh = app.Client(kind);
        await fresh.PostAsync("auth/signup", new { email = "new@example.com", password = Password });

        var forDuplicate = await duplicate.PostAsync("auth/email/verify/resend");
        var forFresh = await fresh.PostAsync("auth/email/verify/resend");
        Assert.Equal(forFresh.StatusCode, forDuplicate.StatusCode);
        Assert.Equal(200, forDuplicate.StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task ResetKey_RequestedBeforeAPasswordChange_NoLongerWorks(ClientKind kind)
    {
        var app = await StartAsync();
        var owner = await SignedUpAndVerifiedAsync(app, kind, "alice@example.com");
        await app.Client(kind).PostAsync("auth/password/request", new { email = "alice@example.com" });
        var mail = await app.Mail.WaitForMailAsync(m => m.Subject.Contains("Password Reset Email", StringComparison.Ordinal));
        var key = KeyFromUrl(mail.FirstUrl());

        Assert.Equal(200, (await owner.PostAsync("account/password/change", new { current_password = Password, new_password = "Brand-New-Pass-42x" })).StatusCode);
        var reset = await app.Client(kind).PostAsync("auth/password/reset", new { key, password = "Attacker-Pass-42xy" });

        Assert.Equal(["invalid_password_reset@key"], reset.ErrorCodes);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task ResetKey_RequestedBeforeALogin_NoLongerWorks(ClientKind kind)
    {
        var app = await StartAsync();
        await SignedUpAndVerifiedAsync(app, kind, "alice@example.com");
        await app.Client(kind).PostAsync("auth/password/request", new { email = "alice@example.com" });
        var mail = await app.Mail.WaitForMailAsync(m => m.Subject.Contains("Password Reset Email", StringComparison.Ordinal));
        var key = KeyFromUrl(mail.FirstUrl());

        Assert.Equal(200, (await app.Client(kind).PostAsync("auth/login", new { email = "alice@example.com", password = Password })).StatusCode);
        var info = await app.Client(kind).GetAsync("auth/password/reset", new Dictionary<string, string> { ["X-Password-Reset-Key"] = key });

        Assert.Equal(["invalid_password_reset@key"], info.ErrorCodes);
    }

    [Fact]
    public async Task MailWaitingInTheOutbox_IsSealed_AndDeliveredMailIsWiped()
    {
        var app = await StartAsync();
        app.Mail.RejectMail = true;
        var client = app.Client(ClientKind.App);
        await client.PostAsync("auth/password/request", new { email = "nobody@example.com" });
        await client.PostAsync("auth/signup", new { email = "alice@example.com", password = Password });

        var waiting = await app.DbAsync(db => db.OutboxMessages.AsNoTracking().ToListAsync());
        Assert.NotEmpty(waiting);
        Assert.All(waiting, m =>
        {
            Assert.StartsWith("gh1:", m.TextBody, StringComparison.Ordinal);
            Assert.DoesNotContain("verify-email", m.TextBody, StringComparison.Ordinal);
        });

        app.Mail.RejectMail = false;
        app.Clock.Advance(TimeSpan.FromHours(2));
        await app.DrainOutboxAsync();
        var mail = await app.Mail.WaitForMailAsync(m => m.To.Contains("alice@example.com"));
        Assert.Contains("/account/verify-email/", mail.TextBody, StringComparison.Ordinal);
        var sent = await app.DbAsync(db => db.OutboxMessages.AsNoTracking().Where(m => m.SentAt != null).ToListAsync());
        Assert.NotEmpty(sent);
        Assert.All(sent, m => Assert.Equal("", m.TextBody));
    }
}

public sealed class SqliteAccountTakeoverTests() : AccountTakeoverTests(DatabaseKind.Sqlite);
public sealed class PostgresAccountTakeoverTests() : AccountTakeoverTests(DatabaseKind.Postgres);
