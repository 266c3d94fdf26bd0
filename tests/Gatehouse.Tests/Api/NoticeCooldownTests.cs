using System.Text.Json.Nodes;
using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Tests.Api;

/// <summary>
/// Notices go to an address the requester need not control ("an account already exists", "no account
/// with this address"): one per address and kind within the cooldown, whichever node, and the answer
/// to the request is the same whether the notice went out or not.
/// </summary>
public abstract class NoticeCooldownTests(DatabaseKind database) : ApiTestBase(database)
{
    private const string AlreadyExists = "Account Already Exists";
    private const string UnknownAccount = "Unknown Account";

    [Theory, MemberData(nameof(Clients))]
    public async Task TenSignupsWithAnExistingAddress_SendItsOwnerOneMail_AndAnswerAlike(ClientKind kind)
    {
        var app = await StartAsync();
        await SignedUpAndVerifiedAsync(app, kind, "alice@example.com");
        var fresh = await app.Client(kind).PostAsync("auth/signup", new { email = "bob@example.com", password = Password });

        for (var i = 0; i < 10; i++)
        {
            var signup = await app.Client(kind).PostAsync("auth/signup", new { email = "alice@example.com", password = Password });
            AssertSameAnswer(fresh, signup);
        }

        Assert.Equal(1, await OutboxCountAsync(app, "alice@example.com", AlreadyExists));
        await app.Mail.WaitForMailAsync(m => m.To.Contains("alice@example.com") && m.Subject.Contains(AlreadyExists, StringComparison.Ordinal));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task ResetAndCodeRequestsForAnUnknownAddress_SendOneMail_UntilTheCooldownEnds(ClientKind kind)
    {
        var app = await StartAsync();
        var firstReset = await app.Client(kind).PostAsync("auth/password/request", new { email = "nobody@example.com" });
        var firstCode = await app.Client(kind).PostAsync("auth/code/request", new { email = "nobody@example.com" });

        for (var i = 0; i < 5; i++)
        {
            AssertSameAnswer(firstReset, await app.Client(kind).PostAsync("auth/password/request", new { email = "nobody@example.com" }));
            AssertSameAnswer(firstCode, await app.Client(kind).PostAsync("auth/code/request", new { email = "nobody@example.com" }));
        }
        Assert.Equal(1, await OutboxCountAsync(app, "nobody@example.com", UnknownAccount));

        app.Clock.Advance(TimeSpan.FromMinutes(3));
        AssertSameAnswer(firstReset, await app.Client(kind).PostAsync("auth/password/request", new { email = "nobody@example.com" }));

        Assert.Equal(2, await OutboxCountAsync(app, "nobody@example.com", UnknownAccount));
    }

    [Fact]
    public async Task TheCooldown_HoldsAcrossNodes_AndIsPerAddress()
    {
        var first = await StartAsync();
        var second = await GatehouseApp.StartAsync(Database, first.ConnectionString);
        await using (second)
        {
            Assert.Equal(200, (await first.Client(ClientKind.App).PostAsync("auth/password/request", new { email = "nobody@example.com" })).StatusCode);
            Assert.Equal(200, (await second.Client(ClientKind.App).PostAsync("auth/password/request", new { email = "nobody@example.com" })).StatusCode);
            Assert.Equal(200, (await second.Client(ClientKind.App).PostAsync("auth/password/request", new { email = "other@example.com" })).StatusCode);

            Assert.Equal(1, await OutboxCountAsync(first, "nobody@example.com", UnknownAccount));
            Assert.Equal(1, await OutboxCountAsync(first, "other@example.com", UnknownAccount));
        }
    }

    [Fact]
    public async Task TheCooldown_IsStoredOnlyAsAHash()
    {
        var app = await StartAsync();

        await app.Client(ClientKind.App).PostAsync("auth/password/request", new { email = "nobody@example.com" });

        var keys = await app.DbAsync(db => db.Database.SqlQueryRaw<string>("SELECT key AS \"Value\" FROM mail_cooldowns").ToListAsync());
        var key = Assert.Single(keys);
        Assert.Matches("^[0-9a-f]{64}$", key);
    }

    [Fact]
    public async Task ACooldownOfZero_TurnsItOff()
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Email:NoticeCooldown"] = "00:00:00" });

        for (var i = 0; i < 3; i++)
        {
            await app.Client(ClientKind.App).PostAsync("auth/password/request", new { email = "nobody@example.com" });
        }

        Assert.Equal(3, await OutboxCountAsync(app, "nobody@example.com", UnknownAccount));
    }

    /// <summary>The same status and body, but for the session token each new session has its own of.</summary>
    private static void AssertSameAnswer(ApiResponse expected, ApiResponse actual)
    {
        Assert.Equal(expected.StatusCode, actual.StatusCode);
        Assert.Equal(WithoutToken(expected), WithoutToken(actual));
    }

    private static string WithoutToken(ApiResponse response)
    {
        var json = JsonNode.Parse(response.Body)!.AsObject();
        if (json["meta"] is JsonObject meta)
        {
            meta.Remove("session_token");
        }
        return json.ToJsonString();
    }
}

public sealed class SqliteNoticeCooldownTests() : NoticeCooldownTests(DatabaseKind.Sqlite);
public sealed class PostgresNoticeCooldownTests() : NoticeCooldownTests(DatabaseKind.Postgres);
