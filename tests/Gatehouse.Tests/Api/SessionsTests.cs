using System.Text.Json;
using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;

namespace Gatehouse.Tests.Api;

/// <summary>GET/DELETE auth/sessions (allauth's usersessions, app_51).</summary>
public abstract class SessionsTests(DatabaseKind database) : ApiTestBase(database)
{
    private const string Email = "alice@example.com";
    private const string RemoteIp = "203.0.113.7";

    private static readonly Dictionary<string, string?> WithRemoteIp = new() { [GatehouseApp.RemoteIpSetting] = RemoteIp };

    /// <summary>One user logged in twice: on a "laptop" and on a "phone".</summary>
    private async Task<(GatehouseApp App, ApiClient Laptop, ApiClient Phone)> TwoSessionsAsync(ClientKind kind)
    {
        var app = await StartAsync(WithRemoteIp);
        await (await SignedUpAndVerifiedAsync(app, kind, Email)).DeleteAsync("auth/session");
        var laptop = await LoggedInAsync(app, kind, Email, userAgent: "laptop-browser/1.0");
        var phone = await LoggedInAsync(app, kind, Email, userAgent: "phone-app/2.0");
        return (app, laptop, phone);
    }

    private static List<JsonElement> Sessions(ApiResponse response) => response.Data.EnumerateArray().ToList();

    private static long CurrentId(ApiResponse list) => Sessions(list).Single(s => s.GetProperty("is_current").GetBoolean()).GetProperty("id").GetInt64();

    private static Task<ApiResponse> EndAsync(ApiClient client, object body) => client.DeleteAsync("auth/sessions", body);

    [Theory, MemberData(nameof(Clients))]
    public async Task Listing_ShowsBothLogins_WithTheCurrentOneMarkedOnce(ClientKind kind)
    {
        var (_, laptop, phone) = await TwoSessionsAsync(kind);

        var list = await laptop.GetAsync("auth/sessions");

        Assert.Equal(200, list.StatusCode);
        var sessions = Sessions(list);
        Assert.Equal(2, sessions.Count);
        var current = Assert.Single(sessions, s => s.GetProperty("is_current").GetBoolean());
        Assert.Equal("laptop-browser/1.0", current.GetProperty("user_agent").GetString());
        Assert.Equal(["laptop-browser/1.0", "phone-app/2.0"], sessions.Select(s => s.GetProperty("user_agent").GetString()).Order(StringComparer.Ordinal));
        Assert.All(sessions, s =>
        {
            Assert.Equal(RemoteIp, s.GetProperty("ip").GetString());
            Assert.Equal(JsonValueKind.Number, s.GetProperty("created_at").ValueKind);
            Assert.InRange(s.GetProperty("created_at").GetDouble(), 1e9, 1e10);
            Assert.Equal(JsonValueKind.Number, s.GetProperty("id").ValueKind);
            Assert.Contains(s.GetProperty("is_current").ValueKind, new[] { JsonValueKind.True, JsonValueKind.False });
        });
        Assert.Equal(2, sessions.Select(s => s.GetProperty("id").GetInt64()).Distinct().Count());

        // The other client sees the same sessions, with the other one current.
        var fromPhone = await phone.GetAsync("auth/sessions");
        Assert.Equal("phone-app/2.0", Sessions(fromPhone).Single(s => s.GetProperty("is_current").GetBoolean()).GetProperty("user_agent").GetString());
        Assert.NotEqual(CurrentId(list), CurrentId(fromPhone));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task EndingTheOtherSession_LogsThatClientOut_AndKeepsThisOne(ClientKind kind)
    {
        var (_, laptop, phone) = await TwoSessionsAsync(kind);
        var phoneId = CurrentId(await phone.GetAsync("auth/sessions"));

        var end = await EndAsync(laptop, new { sessions = new[] { phoneId } });

        Assert.Equal(200, end.StatusCode);
        var remaining = Assert.Single(Sessions(end));
        Assert.True(remaining.GetProperty("is_current").GetBoolean());
        var phoneAfter = await phone.GetAsync("auth/session");
        Assert.Equal(kind == ClientKind.App ? 410 : 401, phoneAfter.StatusCode);
        Assert.Equal(200, (await laptop.GetAsync("auth/session")).StatusCode);
        Assert.Single(Sessions(await laptop.GetAsync("auth/sessions")));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task EndingTheCurrentSession_Answers401_AndLogsThisClientOut(ClientKind kind)
    {
        var (_, laptop, phone) = await TwoSessionsAsync(kind);
        var list = await laptop.GetAsync("auth/sessions");
        var all = Sessions(list).Select(s => s.GetProperty("id").GetInt64()).ToArray();

        var end = await EndAsync(laptop, new { sessions = all });

        Assert.Equal(401, end.StatusCode);
        Assert.False(end.IsAuthenticated);
        Assert.Contains("login", end.FlowIds);
        var laptopAfter = await laptop.GetAsync("auth/session");
        Assert.Equal(kind == ClientKind.App ? 410 : 401, laptopAfter.StatusCode);
        Assert.Equal(kind == ClientKind.App ? 410 : 401, (await phone.GetAsync("auth/session")).StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task EndingOnlyTheCurrentSession_KeepsTheOtherClientLoggedIn(ClientKind kind)
    {
        var (_, laptop, phone) = await TwoSessionsAsync(kind);
        var laptopId = CurrentId(await laptop.GetAsync("auth/sessions"));

        var end = await EndAsync(laptop, new { sessions = new[] { laptopId } });

        Assert.Equal(401, end.StatusCode);
        Assert.Equal(kind == ClientKind.App ? 410 : 401, (await laptop.GetAsync("auth/session")).StatusCode);
        Assert.Equal(200, (await phone.GetAsync("auth/session")).StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AnUnknownId_AnswersInvalidChoice_AndEndsNothing(ClientKind kind)
    {
        var (_, laptop, phone) = await TwoSessionsAsync(kind);
        var phoneId = CurrentId(await phone.GetAsync("auth/sessions"));

        var end = await EndAsync(laptop, new { sessions = new[] { phoneId, 999_999 } });

        Assert.Equal(400, end.StatusCode);
        Assert.Equal(["invalid_choice@sessions"], end.ErrorCodes);
        Assert.Equal(200, (await phone.GetAsync("auth/session")).StatusCode);
        Assert.Equal(2, Sessions(await laptop.GetAsync("auth/sessions")).Count);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AMissingOrEmptyList_AnswersRequired(ClientKind kind)
    {
        var (_, laptop, _) = await TwoSessionsAsync(kind);

        var missing = await EndAsync(laptop, new { });
        var empty = await EndAsync(laptop, new { sessions = Array.Empty<long>() });

        Assert.Equal(400, missing.StatusCode);
        Assert.Equal(["required@sessions"], missing.ErrorCodes);
        Assert.Equal(["required@sessions"], empty.ErrorCodes);
        Assert.Equal(2, Sessions(await laptop.GetAsync("auth/sessions")).Count);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task ASessionOfAnotherUser_CannotBeEnded(ClientKind kind)
    {
        var (app, laptop, _) = await TwoSessionsAsync(kind);
        var bob = await SignedUpAndVerifiedAsync(app, kind, "bob@example.com");
        var bobId = CurrentId(await bob.GetAsync("auth/sessions"));

        var end = await EndAsync(laptop, new { sessions = new[] { bobId } });

        Assert.Equal(400, end.StatusCode);
        Assert.Equal(["invalid_choice@sessions"], end.ErrorCodes);
        Assert.Equal(200, (await bob.GetAsync("auth/session")).StatusCode);
        // Nor does bob see alice's sessions.
        Assert.Single(Sessions(await bob.GetAsync("auth/sessions")));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task Sessions_WhenNotLoggedIn_Answers401(ClientKind kind)
    {
        var app = await StartAsync();
        var client = app.Client(kind);

        var list = await client.GetAsync("auth/sessions");
        var end = await EndAsync(client, new { sessions = new[] { 1 } });

        Assert.Equal(401, list.StatusCode);
        Assert.False(list.IsAuthenticated);
        Assert.Equal(401, end.StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task APendingLogin_IsNotListedAsASession(ClientKind kind)
    {
        var (app, laptop, _) = await TwoSessionsAsync(kind);
        var pending = app.Client(kind);
        Assert.Equal(401, (await pending.PostAsync("auth/code/request", new { email = Email })).StatusCode);

        var list = await laptop.GetAsync("auth/sessions");

        Assert.Equal(2, Sessions(list).Count);
    }

    private static double LastSeen(ApiResponse list, long id) =>
        Sessions(list).Single(s => s.GetProperty("id").GetInt64() == id).GetProperty("last_seen_at").GetDouble();

    [Theory, MemberData(nameof(Clients))]
    public async Task LastSeen_MovesWithUse_OncePerInterval_AndOnlyForTheSessionUsed(ClientKind kind)
    {
        var (app, laptop, phone) = await TwoSessionsAsync(kind);
        var first = await laptop.GetAsync("auth/sessions");
        var laptopId = CurrentId(first);
        var phoneId = CurrentId(await phone.GetAsync("auth/sessions"));
        var laptopSeen = LastSeen(first, laptopId);
        var phoneSeen = LastSeen(first, phoneId);
        var start = app.Clock.GetUtcNow().ToUnixTimeSeconds();
        Assert.InRange(laptopSeen, start - 60, start + 1);

        // Within the interval: requests do not write (the stored time stays).
        app.Clock.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(200, (await laptop.GetAsync("auth/session")).StatusCode);
        Assert.Equal(laptopSeen, LastSeen(await phone.GetAsync("auth/sessions"), laptopId), 3);

        // Past it: the laptop's next request records now; the phone, unused since, keeps its time.
        app.Clock.Advance(TimeSpan.FromMinutes(2));
        var now = app.Clock.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;
        Assert.Equal(200, (await laptop.GetAsync("auth/session")).StatusCode);
        var after = await laptop.GetAsync("auth/sessions");
        Assert.Equal(now, LastSeen(after, laptopId), 0);
        Assert.Equal(phoneSeen, LastSeen(after, phoneId), 3);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task WithoutActivityTracking_NoLastSeen_AndConfigSaysSo(ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Sessions:TrackActivity"] = "false" });
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);

        var list = await client.GetAsync("auth/sessions");
        var config = await client.GetAsync("config");

        Assert.False(Assert.Single(Sessions(list)).TryGetProperty("last_seen_at", out _));
        Assert.False(config.Data.GetProperty("usersessions").GetProperty("track_activity").GetBoolean());
    }
}

public sealed class SqliteSessionsTests() : SessionsTests(DatabaseKind.Sqlite);
public sealed class PostgresSessionsTests() : SessionsTests(DatabaseKind.Postgres);
