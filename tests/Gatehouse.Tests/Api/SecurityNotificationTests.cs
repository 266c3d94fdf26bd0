using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Tests.Api;

/// <summary>
/// Security notification mails (allauth's ACCOUNT_EMAIL_NOTIFICATIONS, on by default here): password changed,
/// set and reset, address added, removed and made primary. Each arrives through real SMTP at the owner's
/// verified address with where the change came from, carries no secret, is queued in the change's own unit of
/// work (a refused change mails nothing), and none is written with Gatehouse:Email:Notifications=false.
/// </summary>
public abstract class SecurityNotificationTests(DatabaseKind database) : ApiTestBase(database)
{
    private const string Email = "alice@example.com";
    private const string Second = "alice.work@example.com";
    private const string NewPassword = "N3w-Tr0ub4dor&3-horse";
    private const string UserAgent = "notice-test-browser/1.0";

    private static readonly string[] NoticeSubjects =
        ["] Password Changed", "] Password Set", "] Password Reset", "] Email Added", "] Email Removed", "] Email Changed"];

    [Theory, MemberData(nameof(Clients))]
    public async Task ChangingThePassword_MailsPasswordChanged_WithTheOriginAndNoSecret(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);
        var loggedIn = await LoggedInAsync(app, kind, Email, userAgent: UserAgent);

        var change = await loggedIn.PostAsync("account/password/change", new { current_password = Password, new_password = NewPassword });

        Assert.Equal(200, change.StatusCode);
        var mail = await NoticeAsync(app, Email, "Password Changed");
        Assert.Contains("Your password has been changed.", mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("- Browser: " + UserAgent, mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("- IP address: ", mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("take proper security precautions", mail.TextBody, StringComparison.Ordinal);
        AssertNoSecret(mail, Password, NewPassword, client.SessionToken, loggedIn.SessionToken, change.SessionTokenInMeta,
            client.Cookie("sessionid"), loggedIn.Cookie("sessionid"));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AWrongCurrentPassword_ChangesNothing_AndMailsNothing(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);

        var change = await client.PostAsync("account/password/change", new { current_password = "wrong-" + Password, new_password = NewPassword });

        Assert.Equal(400, change.StatusCode);
        Assert.Equal(0, await NoticeCountAsync(app));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task SettingAFirstPassword_MailsPasswordSet(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);
        // An account without a usable password (Django's "!" prefix), as after a login by code took it away.
        await app.DbAsync(db => db.Users.ExecuteUpdateAsync(s => s.SetProperty(u => u.PasswordHash, "!unusable")));

        var set = await client.PostAsync("account/password/change", new { new_password = NewPassword });

        Assert.Equal(200, set.StatusCode);
        var mail = await NoticeAsync(app, Email, "Password Set");
        Assert.Contains("Your password has been set.", mail.TextBody, StringComparison.Ordinal);
        AssertNoSecret(mail, NewPassword, set.SessionTokenInMeta, client.Cookie("sessionid"));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task ResettingThePassword_MailsPasswordReset_WithoutTheKey(ClientKind kind)
    {
        var app = await StartAsync();
        var owner = await SignedUpAndVerifiedAsync(app, kind, Email);
        await owner.DeleteAsync("auth/session");
        var client = app.Client(kind);
        Assert.Equal(200, (await client.PostAsync("auth/password/request", new { email = Email })).StatusCode);
        var key = KeyFromUrl((await MailToAsync(app, Email, "Password Reset Email")).FirstUrl());

        var reset = await client.PostAsync("auth/password/reset", new { key, password = NewPassword });

        Assert.Equal(401, reset.StatusCode); // reset, not logged in (LoginOnPasswordReset is off)
        var mail = await NoticeAsync(app, Email, "Password Reset");
        Assert.Contains("Your password has been reset.", mail.TextBody, StringComparison.Ordinal);
        AssertNoSecret(mail, NewPassword, Password, key, Uri.EscapeDataString(key));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task ResettingByCode_MailsPasswordReset_WithoutTheCode(ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Account:PasswordResetByCodeEnabled"] = "true" });
        var owner = await SignedUpAndVerifiedAsync(app, kind, Email);
        await owner.DeleteAsync("auth/session");
        var client = app.Client(kind);
        await client.PostAsync("auth/password/request", new { email = Email });
        var code = (await MailToAsync(app, Email, "Password Reset Code")).CodeLine()!;

        var reset = await client.PostAsync("auth/password/reset", new { key = code, password = NewPassword });

        Assert.Equal(401, reset.StatusCode);
        var mail = await NoticeAsync(app, Email, "Password Reset");
        AssertNoSecret(mail, NewPassword, code);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AddingAnAddress_MailsEmailAdded_ToTheVerifiedAddress_NotToTheNewOne(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);

        Assert.Equal(200, (await client.PostAsync("account/email", new { email = Second })).StatusCode);

        var mail = await NoticeAsync(app, Email, "Email Added");
        Assert.Contains($"Email address {Second} has been added to your account.", mail.TextBody, StringComparison.Ordinal);
        Assert.Equal(0, await OutboxCountAsync(app, Second, "Email Added"));
        Assert.Equal(1, await OutboxCountAsync(app, Second, "Confirm Your Email"));
        AssertNoSecret(mail, await VerificationKeyAsync(app, Second), Password, client.SessionToken, client.Cookie("sessionid"));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task RemovingAnAddress_MailsEmailRemoved_ToTheRemainingAddress(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);
        Assert.Equal(200, (await client.PostAsync("account/email", new { email = Second })).StatusCode);

        var remove = await client.DeleteAsync("account/email", new { email = Second });

        Assert.Equal(200, remove.StatusCode);
        var mail = await NoticeAsync(app, Email, "Email Removed");
        Assert.Contains($"Email address {Second} has been removed from your account.", mail.TextBody, StringComparison.Ordinal);
        Assert.Equal(0, await OutboxCountAsync(app, Second, "Email Removed"));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task MakingAnotherAddressPrimary_MailsEmailChanged_ToThePreviousPrimary(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);
        Assert.Equal(200, (await client.PostAsync("account/email", new { email = Second })).StatusCode);
        Assert.Equal(200, (await client.PostAsync("auth/email/verify", new { key = await VerificationKeyAsync(app, Second) })).StatusCode);

        var primary = await client.PatchAsync("account/email", new { email = Second, primary = true });

        Assert.Equal(200, primary.StatusCode);
        var mail = await NoticeAsync(app, Email, "Email Changed");
        Assert.Contains($"Your email has been changed from {Email} to {Second}.", mail.TextBody, StringComparison.Ordinal);
        Assert.Equal(0, await OutboxCountAsync(app, Second, "Email Changed"));
    }

    [Fact]
    public async Task AnAccountWithoutAVerifiedAddress_GetsNoNotice()
    {
        // Whoever signed up with an address nobody proved may not own its mailbox: no mail about the account goes there.
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Account:EmailVerification"] = "Optional" });
        var client = app.Client(ClientKind.App);
        Assert.Equal(200, (await client.PostAsync("auth/signup", new { email = Email, password = Password })).StatusCode);

        var change = await client.PostAsync("account/password/change", new { current_password = Password, new_password = NewPassword });

        Assert.Equal(200, change.StatusCode);
        Assert.Equal(0, await NoticeCountAsync(app));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task WithNotificationsOff_NoNoticeIsWritten(ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Email:Notifications"] = "false" });
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);

        Assert.Equal(200, (await client.PostAsync("account/email", new { email = Second })).StatusCode);
        Assert.Equal(200, (await client.PostAsync("auth/email/verify", new { key = await VerificationKeyAsync(app, Second) })).StatusCode);
        Assert.Equal(200, (await client.PatchAsync("account/email", new { email = Second, primary = true })).StatusCode);
        Assert.Equal(200, (await client.DeleteAsync("account/email", new { email = Email })).StatusCode);
        Assert.Equal(200, (await client.PostAsync("account/password/change", new { current_password = Password, new_password = NewPassword })).StatusCode);
        await client.DeleteAsync("auth/session");
        var other = app.Client(kind);
        Assert.Equal(200, (await other.PostAsync("auth/password/request", new { email = Second })).StatusCode);
        var key = KeyFromUrl((await MailToAsync(app, Second, "Password Reset Email")).FirstUrl());
        Assert.Equal(401, (await other.PostAsync("auth/password/reset", new { key, password = Password })).StatusCode);

        await app.DrainOutboxAsync();
        Assert.Equal(0, await NoticeCountAsync(app));
        Assert.DoesNotContain(app.Mail.Messages, m => NoticeSubjects.Any(s => m.Subject.EndsWith(s, StringComparison.Ordinal)));
    }

    /// <summary>The notice to <paramref name="email"/> whose subject is exactly "[site] <paramref name="subject"/>".</summary>
    private static Task<CaughtMail> NoticeAsync(GatehouseApp app, string email, string subject) =>
        app.Mail.WaitForMailAsync(m => m.To.Contains(email) && m.Subject.EndsWith("] " + subject, StringComparison.Ordinal));

    private static Task<int> NoticeCountAsync(GatehouseApp app) =>
        app.DbAsync(db => db.OutboxMessages.CountAsync(m => m.Subject.EndsWith("] Password Changed") || m.Subject.EndsWith("] Password Set")
            || m.Subject.EndsWith("] Password Reset") || m.Subject.EndsWith("] Email Added") || m.Subject.EndsWith("] Email Removed")
            || m.Subject.EndsWith("] Email Changed")));

    private static void AssertNoSecret(CaughtMail mail, params string?[] secrets)
    {
        foreach (var secret in secrets.Where(s => !string.IsNullOrEmpty(s)))
        {
            Assert.DoesNotContain(secret!, mail.Raw, StringComparison.Ordinal);
        }
        Assert.DoesNotContain("http", mail.TextBody, StringComparison.OrdinalIgnoreCase); // no link, so no key in one
    }
}

public sealed class SqliteSecurityNotificationTests() : SecurityNotificationTests(DatabaseKind.Sqlite);
public sealed class PostgresSecurityNotificationTests() : SecurityNotificationTests(DatabaseKind.Postgres);
