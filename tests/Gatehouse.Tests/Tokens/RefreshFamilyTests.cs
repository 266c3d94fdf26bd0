using Gatehouse.Audit;
using Gatehouse.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Tests.Tokens;

/// <summary>Refresh families: single use, the grace window for concurrent refreshes, reuse ends the family and its session.</summary>
public abstract class RefreshFamilyTests(DatabaseKind database) : JwtTestBase(database)
{
    [Fact]
    public async Task TwentyConcurrentRefreshes_AllGetTheSamePair_AndTheFamilyDoesNotFork()
    {
        var app = await StartAsync();
        var pair = await LoginAsync(app);

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => RefreshAsync(app, pair.Refresh)));

        Assert.All(answers, a => Assert.Equal(200, a.StatusCode));
        var pairs = answers.Select(a => (a.Data.GetProperty("access_token").GetString(), a.Data.GetProperty("refresh_token").GetString())).Distinct().ToList();
        Assert.Single(pairs);
        Assert.Equal(2, await app.DbAsync(db => db.RefreshTokens.CountAsync()));
        var next = pairs[0].Item2!;
        Assert.Equal(200, (await RefreshAsync(app, next)).StatusCode);
    }

    [Fact]
    public async Task ASpentRefreshToken_AfterTheGracePeriod_RevokesTheFamilyAndItsSession()
    {
        var app = await StartAsync();
        var pair = await LoginAsync(app);
        var first = await RefreshAsync(app, pair.Refresh);
        var access = first.Data.GetProperty("access_token").GetString()!;
        var refresh = first.Data.GetProperty("refresh_token").GetString()!;

        app.Clock.Advance(TimeSpan.FromSeconds(11));
        var replay = await RefreshAsync(app, pair.Refresh);

        Assert.Equal(401, replay.StatusCode);
        Assert.Equal(["refresh_token_reused@refresh_token"], replay.ErrorCodes);
        Assert.Equal(0, await app.DbAsync(db => db.Sessions.CountAsync(s => s.UserId != null)));
        Assert.Equal(0, await app.DbAsync(db => db.RefreshTokens.CountAsync()));
        var audit = await app.DbAsync(db => db.AuditEvents.SingleAsync(e => e.EventType == AuditEvents.RefreshTokenReused));
        Assert.NotNull(audit.UserId);
        // The legitimate holder's newer tokens die with the family.
        Assert.Equal(400, (await RefreshAsync(app, refresh)).StatusCode);
        Assert.Equal(410, (await WithBearerAsync(app, HttpMethod.Get, "auth/session", access)).StatusCode);
        // The log names the event but carries no token.
        Assert.DoesNotContain(app.Logs.Lines, l => l.Contains(pair.Refresh, StringComparison.Ordinal) || l.Contains(refresh, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ASpentRefreshToken_WithinTheGracePeriod_GetsTheSamePairAgain()
    {
        var app = await StartAsync();
        var pair = await LoginAsync(app);
        var first = await RefreshAsync(app, pair.Refresh);

        app.Clock.Advance(TimeSpan.FromSeconds(9));
        var again = await RefreshAsync(app, pair.Refresh);

        Assert.Equal(200, again.StatusCode);
        Assert.Equal(first.Data.GetProperty("refresh_token").GetString(), again.Data.GetProperty("refresh_token").GetString());
        Assert.Equal(first.Data.GetProperty("access_token").GetString(), again.Data.GetProperty("access_token").GetString());
        Assert.Equal(1, await app.DbAsync(db => db.Sessions.CountAsync(s => s.UserId != null)));
    }

    [Fact]
    public async Task WithinTheGracePeriod_ASpentToken_GetsNothing_OnceTheSessionEnded()
    {
        // A password change on another device ends this session by its stamp; its row stays until cleaned up.
        var app = await StartAsync();
        var pair = await LoginAsync(app);
        Assert.Equal(200, (await RefreshAsync(app, pair.Refresh)).StatusCode);
        var other = await PasswordLoginAsync(app);
        var change = await WithBearerAsync(app, HttpMethod.Post, "account/password/change", other.Access,
            new { current_password = Password, new_password = "An0ther-g00d-passphrase" });
        Assert.Equal(200, change.StatusCode);

        app.Clock.Advance(TimeSpan.FromSeconds(2));
        var again = await RefreshAsync(app, pair.Refresh);

        Assert.Equal(400, again.StatusCode);
        Assert.False(again.Json.TryGetProperty("data", out _));
    }

    [Fact]
    public async Task AnOldTokenOfTheChain_IsReuse_EvenTwoRotationsLater()
    {
        var app = await StartAsync();
        var pair = await LoginAsync(app);
        var second = (await RefreshAsync(app, pair.Refresh)).Data.GetProperty("refresh_token").GetString()!;
        app.Clock.Advance(TimeSpan.FromSeconds(30));
        var third = (await RefreshAsync(app, second)).Data.GetProperty("refresh_token").GetString()!;
        app.Clock.Advance(TimeSpan.FromSeconds(30));

        var replay = await RefreshAsync(app, pair.Refresh);

        Assert.Equal(401, replay.StatusCode);
        Assert.Equal(400, (await RefreshAsync(app, third)).StatusCode);
    }

    [Fact]
    public async Task OtherSessionsOfTheUser_SurviveAReuseInOneFamily()
    {
        var app = await StartAsync();
        var phone = await LoginAsync(app);
        var laptop = await PasswordLoginAsync(app);
        await RefreshAsync(app, phone.Refresh);
        app.Clock.Advance(TimeSpan.FromSeconds(11));

        Assert.Equal(401, (await RefreshAsync(app, phone.Refresh)).StatusCode);

        Assert.Equal(200, (await WithBearerAsync(app, HttpMethod.Get, "auth/session", laptop.Access)).StatusCode);
        Assert.Equal(200, (await RefreshAsync(app, laptop.Refresh)).StatusCode);
    }
}

public sealed class SqliteRefreshFamilyTests() : RefreshFamilyTests(DatabaseKind.Sqlite);
public sealed class PostgresRefreshFamilyTests() : RefreshFamilyTests(DatabaseKind.Postgres);
