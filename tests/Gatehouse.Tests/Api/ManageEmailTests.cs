using System.Text.Json;
using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;

namespace Gatehouse.Tests.Api;

/// <summary>account/email: list, add, resend, make primary, remove (app_50, app_53), and the reauthentication guard.</summary>
public abstract class ManageEmailTests(DatabaseKind database) : ApiTestBase(database)
{
    private const string Email = "alice@example.com";
    private const string Second = "alice.work@example.com";

    private sealed record Row(string Email, bool Verified, bool Primary);

    private static List<Row> Rows(ApiResponse response) =>
        response.Data.EnumerateArray()
            .Select(e => new Row(e.GetProperty("email").GetString()!, e.GetProperty("verified").GetBoolean(), e.GetProperty("primary").GetBoolean()))
            .ToList();

    /// <summary>Adds <paramref name="email"/> and opens its mailed link in the same client.</summary>
    private static async Task AddedAndVerifiedAsync(GatehouseApp app, ApiClient client, string email)
    {
        Assert.Equal(200, (await client.PostAsync("account/email", new { email })).StatusCode);
        var key = await VerificationKeyAsync(app, email);
        Assert.Equal(200, (await client.PostAsync("auth/email/verify", new { key })).StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task Listing_ShowsTheVerifiedPrimaryAddress(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);

        var list = await client.GetAsync("account/email");

        Assert.Equal(200, list.StatusCode);
        Assert.Equal([new Row(Email, true, true)], Rows(list));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task Adding_StoresAnUnverifiedAddress_AndMailsALinkThatVerifiesIt(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);

        var add = await client.PostAsync("account/email", new { email = "Alice.Work@Example.com" });

        Assert.Equal(200, add.StatusCode);
        Assert.Equal([new Row(Email, true, true), new Row(Second, false, false)], Rows(add));
        var mail = await MailToAsync(app, Second, "Confirm Your Email");
        Assert.Contains("/account/verify-email/", mail.FirstUrl(), StringComparison.Ordinal);

        var verify = await client.PostAsync("auth/email/verify", new { key = KeyFromUrl(mail.FirstUrl()) });
        Assert.Equal(200, verify.StatusCode);
        Assert.True(verify.IsAuthenticated);
        var list = await client.GetAsync("account/email");
        Assert.Equal([new Row(Email, true, true), new Row(Second, true, false)], Rows(list));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task MakingAnUnverifiedAddressPrimary_IsRefused_WhileAVerifiedOneExists(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);
        await client.PostAsync("account/email", new { email = Second });

        var patch = await client.PatchAsync("account/email", new { email = Second, primary = true });

        Assert.Equal(400, patch.StatusCode);
        Assert.Equal(["unverified_primary_email@email"], patch.ErrorCodes);
        Assert.Equal([new Row(Email, true, true), new Row(Second, false, false)], Rows(await client.GetAsync("account/email")));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task MakingAVerifiedAddressPrimary_LeavesExactlyOnePrimary(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);
        await AddedAndVerifiedAsync(app, client, Second);

        var patch = await client.PatchAsync("account/email", new { email = Second, primary = true });

        Assert.Equal(200, patch.StatusCode);
        var rows = Rows(patch);
        Assert.Equal(Second, Assert.Single(rows, r => r.Primary).Email);
        Assert.Equal(2, rows.Count);
        Assert.Equal(rows, Rows(await client.GetAsync("account/email")));
        var session = await client.GetAsync("auth/session");
        Assert.Equal(Second, session.Data.GetProperty("user").GetProperty("email").GetString());
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task MakingPrimary_WithoutPrimaryTrue_AnswersRequiredOnPrimary(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);
        await AddedAndVerifiedAsync(app, client, Second);

        var missing = await client.PatchAsync("account/email", new { email = Second });
        var falseFlag = await client.PatchAsync("account/email", new { email = Second, primary = false });

        Assert.Equal(["required@primary"], missing.ErrorCodes);
        Assert.Equal(["required@primary"], falseFlag.ErrorCodes);
        Assert.Equal(Email, Assert.Single(Rows(await client.GetAsync("account/email")), r => r.Primary).Email);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task RemovingThePrimaryAddress_IsRefused(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);
        await client.PostAsync("account/email", new { email = Second });

        var delete = await client.DeleteAsync("account/email", new { email = Email });

        Assert.Equal(400, delete.StatusCode);
        Assert.Equal(["cannot_remove_primary_email@email"], delete.ErrorCodes);
        Assert.Equal(2, Rows(await client.GetAsync("account/email")).Count);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task RemovingTheOnlyAddress_IsRefused_WhenLoginIsByEmail(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);

        var delete = await client.DeleteAsync("account/email", new { email = Email });

        Assert.Equal(["cannot_remove_primary_email@email"], delete.ErrorCodes);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task RemovingANonPrimaryAddress_RemovesIt_AndFreesItForOthers(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);
        await AddedAndVerifiedAsync(app, client, Second);

        var delete = await client.DeleteAsync("account/email", new { email = Second });

        Assert.Equal(200, delete.StatusCode);
        Assert.Equal([new Row(Email, true, true)], Rows(delete));
        Assert.Equal([new Row(Email, true, true)], Rows(await client.GetAsync("account/email")));
        var bob = await SignedUpAndVerifiedAsync(app, kind, "bob@example.com");
        Assert.Equal(200, (await bob.PostAsync("account/email", new { email = Second })).StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AddingAnAddressAlreadyOnTheAccount_AnswersDuplicateEmail(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);
        await client.PostAsync("account/email", new { email = Second });

        var primary = await client.PostAsync("account/email", new { email = "ALICE@example.com" });
        var unverified = await client.PostAsync("account/email", new { email = Second });

        Assert.Equal(400, primary.StatusCode);
        Assert.Equal(["duplicate_email@email"], primary.ErrorCodes);
        Assert.Equal(["duplicate_email@email"], unverified.ErrorCodes);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AddingAnAddressOfAnotherAccount_AnswersEmailTaken(ClientKind kind)
    {
        var app = await StartAsync();
        await SignedUpAndVerifiedAsync(app, kind, "bob@example.com");
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);

        var add = await client.PostAsync("account/email", new { email = "bob@example.com" });

        Assert.Equal(400, add.StatusCode);
        Assert.Equal(["email_taken@email"], add.ErrorCodes);
        Assert.Equal([new Row(Email, true, true)], Rows(await client.GetAsync("account/email")));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AddingAnInvalidOrMissingAddress_AnswersFieldErrors(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);

        var invalid = await client.PostAsync("account/email", new { email = "not-an-email" });
        var missing = await client.PostAsync("account/email", new { });

        Assert.Equal(["invalid@email"], invalid.ErrorCodes);
        Assert.Equal(["required@email"], missing.ErrorCodes);
    }

    private static readonly Dictionary<string, string?> RateLimitsOn = new() { ["Gatehouse:RateLimits:Enabled"] = "true" };

    [Theory, MemberData(nameof(Clients))]
    public async Task Resending_AfterTheCooldown_MailsAWorkingLink_AndAgainWithinTheCooldownAnswers403(ClientKind kind)
    {
        // The cooldown is allauth's confirm_email rate limit (default 1/3m/key): on only with rate limits.
        var app = await StartAsync(RateLimitsOn);
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);
        await client.PostAsync("account/email", new { email = Second });
        await MailToAsync(app, Second, "Confirm Your Email");
        app.Clock.Advance(TimeSpan.FromMinutes(3) + TimeSpan.FromSeconds(1));

        var resend = await client.PutAsync("account/email", new { email = Second });
        var again = await client.PutAsync("account/email", new { email = Second });

        Assert.Equal(200, resend.StatusCode);
        Assert.Equal(200, resend.Json.GetProperty("status").GetInt32());
        Assert.Equal(403, again.StatusCode);
        Assert.Equal(403, again.Json.GetProperty("status").GetInt32());
        var key = await VerificationKeyAsync(app, Second);
        Assert.Equal(200, (await client.PostAsync("auth/email/verify", new { key })).StatusCode);
        Assert.Contains(new Row(Second, true, false), Rows(await client.GetAsync("account/email")));
        Assert.Equal(2, await OutboxCountAsync(app, Second, "Confirm Your Email"));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task Resending_WithRateLimitsOff_HasNoCooldown(ClientKind kind)
    {
        // allauth's cooldown is its confirm_email rate limit, so switching rate limits off switches it off.
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:RateLimits:Enabled"] = "false" });
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);
        await client.PostAsync("account/email", new { email = Second });

        var resend = await client.PutAsync("account/email", new { email = Second });
        var again = await client.PutAsync("account/email", new { email = Second });

        Assert.Equal(200, resend.StatusCode);
        Assert.Equal(200, again.StatusCode);
        Assert.Equal(3, await OutboxCountAsync(app, Second, "Confirm Your Email"));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task Resending_FollowsAConfiguredConfirmEmailLimit(ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?>(RateLimitsOn) { ["Gatehouse:RateLimits:Rules:confirm_email"] = "1/10m/key" });
        // Rate-limit windows are fixed (aligned to the epoch): start at the beginning of one, so that
        // five minutes later is still within it.
        var now = app.Clock.GetUtcNow().ToUnixTimeSeconds();
        app.Clock.SetUtcNow(DateTimeOffset.FromUnixTimeSeconds(now - (now % 600) + 600));
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);
        await client.PostAsync("account/email", new { email = Second });

        app.Clock.Advance(TimeSpan.FromMinutes(5));
        var withinTenMinutes = await client.PutAsync("account/email", new { email = Second });
        app.Clock.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        var afterTenMinutes = await client.PutAsync("account/email", new { email = Second });

        Assert.Equal(403, withinTenMinutes.StatusCode);
        Assert.Equal(200, afterTenMinutes.StatusCode);
        Assert.Equal(2, await OutboxCountAsync(app, Second, "Confirm Your Email"));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task Resending_WithTheConfirmEmailLimitSwitchedOff_HasNoCooldown(ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?>(RateLimitsOn) { ["Gatehouse:RateLimits:Rules:confirm_email"] = "" });
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);
        await client.PostAsync("account/email", new { email = Second });

        Assert.Equal(200, (await client.PutAsync("account/email", new { email = Second })).StatusCode);
        Assert.Equal(200, (await client.PutAsync("account/email", new { email = Second })).StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AnAddressNotOnTheAccount_AnswersUnknownEmail_OnPutPatchAndDelete(ClientKind kind)
    {
        var app = await StartAsync();
        await SignedUpAndVerifiedAsync(app, kind, "bob@example.com");
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);

        var put = await client.PutAsync("account/email", new { email = "nobody@example.com" });
        var patch = await client.PatchAsync("account/email", new { email = "nobody@example.com", primary = true });
        var delete = await client.DeleteAsync("account/email", new { email = "nobody@example.com" });
        var othersAddress = await client.DeleteAsync("account/email", new { email = "bob@example.com" });

        Assert.Equal(["unknown_email@email"], put.ErrorCodes);
        Assert.Equal(["unknown_email@email"], patch.ErrorCodes);
        Assert.Equal(["unknown_email@email"], delete.ErrorCodes);
        Assert.Equal(["unknown_email@email"], othersAddress.ErrorCodes);
        Assert.Equal(400, put.StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task EveryMethod_WhenNotLoggedIn_Answers401WithFlows(ClientKind kind)
    {
        var app = await StartAsync();
        var client = app.Client(kind);
        var body = new { email = Email, primary = true };

        var responses = new[]
        {
            await client.GetAsync("account/email"),
            await client.PostAsync("account/email", body),
            await client.PutAsync("account/email", body),
            await client.PatchAsync("account/email", body),
            await client.DeleteAsync("account/email", body),
        };

        Assert.All(responses, r =>
        {
            Assert.Equal(401, r.StatusCode);
            Assert.False(r.IsAuthenticated);
            Assert.Contains("login", r.FlowIds);
        });
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task Adding_BeyondMaxEmailAddresses_AnswersMaxEmailAddresses(ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Account:MaxEmailAddresses"] = "2" });
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);
        Assert.Equal(200, (await client.PostAsync("account/email", new { email = Second })).StatusCode);

        var third = await client.PostAsync("account/email", new { email = "alice.home@example.com" });

        Assert.Equal(400, third.StatusCode);
        Assert.Equal(["max_email_addresses@email"], third.ErrorCodes);
        Assert.Contains("2", third.Json.GetProperty("errors")[0].GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, Rows(await client.GetAsync("account/email")).Count);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task WithReauthenticationRequired_AnOldLoginMustReauthenticateBeforeChangingAddresses(ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Account:ReauthenticationRequired"] = "true" });
        await (await SignedUpAndVerifiedAsync(app, kind, Email)).DeleteAsync("auth/session");
        var client = await LoggedInAsync(app, kind, Email);

        // Just logged in: recent enough.
        Assert.Equal(200, (await client.PostAsync("account/email", new { email = Second })).StatusCode);

        app.Clock.Advance(TimeSpan.FromSeconds(301));
        var add = await client.PostAsync("account/email", new { email = "alice.home@example.com" });
        var delete = await client.DeleteAsync("account/email", new { email = Second });

        Assert.Equal(401, add.StatusCode);
        Assert.True(add.IsAuthenticated);
        Assert.Equal(["reauthenticate"], add.FlowIds);
        Assert.Equal(Email, add.Data.GetProperty("user").GetProperty("email").GetString());
        Assert.Equal(JsonValueKind.Array, add.Data.GetProperty("methods").ValueKind);
        Assert.Equal(401, delete.StatusCode);
        Assert.Equal(["reauthenticate"], delete.FlowIds);
        // Listing is not guarded.
        Assert.Equal(200, (await client.GetAsync("account/email")).StatusCode);

        var wrong = await client.PostAsync("auth/reauthenticate", new { password = "not-the-password" });
        Assert.Equal(["incorrect_password@password"], wrong.ErrorCodes);

        var reauth = await client.PostAsync("auth/reauthenticate", new { password = Password });
        Assert.Equal(200, reauth.StatusCode);
        Assert.True(reauth.IsAuthenticated);
        var methods = reauth.Data.GetProperty("methods").EnumerateArray().ToList();
        Assert.Equal(2, methods.Count);
        Assert.Equal("password", methods[^1].GetProperty("method").GetString());
        Assert.True(methods[^1].GetProperty("reauthenticated").GetBoolean());
        Assert.False(methods[0].TryGetProperty("reauthenticated", out _));

        var retry = await client.PostAsync("account/email", new { email = "alice.home@example.com" });
        Assert.Equal(200, retry.StatusCode);
        Assert.Equal(3, Rows(retry).Count);
    }
}

public sealed class SqliteManageEmailTests() : ManageEmailTests(DatabaseKind.Sqlite);
public sealed class PostgresManageEmailTests() : ManageEmailTests(DatabaseKind.Postgres);
