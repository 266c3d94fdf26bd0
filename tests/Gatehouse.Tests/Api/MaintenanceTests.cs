using Gatehouse.Sessions;
using Gatehouse.Storage;
using Gatehouse.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Tests.Api;

public abstract class MaintenanceTests(DatabaseKind database) : ApiTestBase(database)
{
    [Fact]
    public async Task Maintenance_RemovesExpiredSessionsAndKeys_AndKeepsLiveOnes()
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Sessions:Lifetime"] = "1.00:00:00" });
        var early = await SignedUpAndVerifiedAsync(app, ClientKind.App, "alice@example.com");
        await app.Client(ClientKind.App).PostAsync("auth/password/request", new { email = "alice@example.com" });
        app.Clock.Advance(TimeSpan.FromHours(23));
        var late = app.Client(ClientKind.App);
        Assert.Equal(200, (await late.PostAsync("auth/login", new { email = "alice@example.com", password = Password })).StatusCode);
        var before = await app.DbAsync(db => db.Sessions.CountAsync());

        app.Clock.Advance(TimeSpan.FromHours(2));
        await app.Services.GetRequiredService<MaintenanceWorker>().RunOnceAsync(CancellationToken.None);

        var after = await app.DbAsync(db => db.Sessions.Select(s => s.CreatedAt).ToListAsync());
        Assert.True(before > after.Count, $"{before} sessions before, {after.Count} after");
        Assert.Single(after);
        Assert.Equal(200, (await late.GetAsync("auth/session")).StatusCode);
        Assert.Equal(410, (await early.GetAsync("auth/session")).StatusCode);
        // the used verification key goes after a day; the reset key lives three days
        Assert.Equal(1, await app.DbAsync(db => db.VerificationKeys.CountAsync()));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AnAbandonedCodeRequest_AnswersConflictThenItsSessionEndsAnHourLater(ClientKind kind)
    {
        var app = await StartAsync();
        await SignedUpAndVerifiedAsync(app, kind, "alice@example.com");
        var client = app.Client(kind);
        Assert.Equal(401, (await client.PostAsync("auth/code/request", new { email = "alice@example.com" })).StatusCode);

        app.Clock.Advance(TimeSpan.FromMinutes(4)); // past the 3-minute code timeout
        Assert.Equal(409, (await client.PostAsync("auth/code/confirm", new { code = "BCDF-GHJK" })).StatusCode);

        app.Clock.Advance(TimeSpan.FromHours(1));
        var late = await client.PostAsync("auth/code/confirm", new { code = "BCDF-GHJK" });
        Assert.Equal(kind == ClientKind.App ? 410 : 409, late.StatusCode);
        await app.Services.GetRequiredService<MaintenanceWorker>().RunOnceAsync(CancellationToken.None);
        Assert.Equal(0, await app.DbAsync(db => db.Sessions.CountAsync(s => s.UserId == null)));
    }
}

public sealed class SqliteMaintenanceTests() : MaintenanceTests(DatabaseKind.Sqlite);
public sealed class PostgresMaintenanceTests() : MaintenanceTests(DatabaseKind.Postgres);
