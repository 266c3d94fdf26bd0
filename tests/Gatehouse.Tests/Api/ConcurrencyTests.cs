using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Tests.Api;

/// <summary>
/// Races that a check-then-insert gets wrong: the database's unique indexes must decide, and the
/// loser of a race must be answered like any duplicate (no 500, no error that reveals the account).
/// </summary>
public abstract class ConcurrencyTests(DatabaseKind database) : ApiTestBase(database)
{
    private const int Parallel = 10;

    [Fact]
    public async Task TenConcurrentSignupsWithOneEmail_CreateOneAccount_AndAllAnswerPendingVerification()
    {
        var app = await StartAsync();
        var clients = Enumerable.Range(0, Parallel).Select(_ => app.Client(ClientKind.App)).ToList();
        using var start = new SemaphoreSlim(0);

        var tasks = clients.Select(async client =>
        {
            await start.WaitAsync();
            return await client.PostAsync("auth/signup", new { email = "alice@example.com", password = Password });
        }).ToList();
        start.Release(Parallel);
        var responses = await Task.WhenAll(tasks);

        Assert.All(responses, r =>
        {
            Assert.True(r.StatusCode == 401, $"Expected 401, got {r}");
            Assert.Equal("verify_email", r.PendingFlow);
            Assert.NotNull(r.SessionTokenInMeta);
        });
        Assert.Equal(1, await app.DbAsync(db => db.Users.CountAsync()));
        Assert.Equal(1, await app.DbAsync(db => db.EmailAddresses.CountAsync(e => e.EmailNormalized == "alice@example.com")));
    }

    [Fact]
    public async Task TenConcurrentSignupsWithOneEmail_LeaveAnAccountThatCanBeVerifiedAndUsed()
    {
        var app = await StartAsync();
        var clients = Enumerable.Range(0, Parallel).Select(_ => app.Client(ClientKind.App)).ToList();

        await Task.WhenAll(clients.Select(c => c.PostAsync("auth/signup", new { email = "alice@example.com", password = Password })));

        // Exactly one verification mail (the winner's); the others got "account already exists".
        var confirm = await app.Mail.WaitForMailAsync(m => m.Subject.Contains("Confirm Your Email", StringComparison.Ordinal));
        await app.DrainOutboxAsync();
        Assert.Equal(1, await app.DbAsync(db => db.OutboxMessages.CountAsync(m => m.Subject.Contains("Confirm Your Email"))));
        var verifier = app.Client(ClientKind.App);
        Assert.Equal(401, (await verifier.PostAsync("auth/email/verify", new { key = KeyFromUrl(confirm.FirstUrl()) })).StatusCode);
        Assert.Equal(200, (await app.Client(ClientKind.App).PostAsync("auth/login", new { email = "alice@example.com", password = Password })).StatusCode);
    }

    [Fact]
    public async Task TenConcurrentSignupsWithDifferentEmailsButOneLocalPart_GetDistinctUsernames()
    {
        // Usernames are generated from the local part ("alice"); concurrent signups race for it.
        var app = await StartAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, Parallel).Select(i =>
            app.Client(ClientKind.App).PostAsync("auth/signup", new { email = $"alice@domain{i}.example.com", password = Password })));

        Assert.All(responses, r => Assert.True(r.StatusCode == 401, $"Expected 401, got {r}"));
        var usernames = await app.DbAsync(db => db.Users.Select(u => u.UsernameNormalized).ToListAsync());
        Assert.Equal(Parallel, usernames.Count);
        Assert.Equal(Parallel, usernames.Distinct().Count());
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task TenConcurrentLoginsOfOneUser_AllSucceed_WithDistinctSessions(ClientKind kind)
    {
        var app = await StartAsync();
        (await SignedUpAndVerifiedAsync(app, kind, "alice@example.com")).Dispose();
        var clients = Enumerable.Range(0, Parallel).Select(_ => app.Client(kind)).ToList();

        var responses = await Task.WhenAll(clients.Select(c => c.PostAsync("auth/login", new { email = "alice@example.com", password = Password })));

        Assert.All(responses, r => Assert.True(r.StatusCode == 200, $"Expected 200, got {r}"));
        if (kind == ClientKind.App)
        {
            Assert.Equal(Parallel, clients.Select(c => c.SessionToken).Distinct().Count());
        }
        else
        {
            Assert.Equal(Parallel, clients.Select(c => c.Cookie("sessionid")).Distinct().Count());
        }
        var sessions = await Task.WhenAll(clients.Select(c => c.GetAsync("auth/session")));
        Assert.All(sessions, s => Assert.Equal(200, s.StatusCode));
    }

    [Fact]
    public async Task TenConcurrentAddsOfOneAddress_ToTwoAccounts_LeaveItOnOneAccountOnly()
    {
        var app = await StartAsync();
        var alice = await SignedUpAndVerifiedAsync(app, ClientKind.App, "alice@example.com");
        var bob = await SignedUpAndVerifiedAsync(app, ClientKind.App, "bob@example.com");

        var responses = await Task.WhenAll(Enumerable.Range(0, Parallel).Select(i =>
            (i % 2 == 0 ? alice : bob).PostAsync("account/email", new { email = "shared@example.com" })));

        Assert.All(responses, r => Assert.True(r.StatusCode is 200 or 400, $"Expected 200 or 400, got {r}"));
        Assert.Contains(responses, r => r.StatusCode == 200);
        Assert.All(responses.Where(r => r.StatusCode == 400), r => Assert.Single(r.ErrorCodes, c => c is "email_taken@email" or "duplicate_email@email"));
        Assert.Equal(1, await app.DbAsync(db => db.EmailAddresses.CountAsync(e => e.EmailNormalized == "shared@example.com")));
    }
}

public sealed class SqliteConcurrencyTests() : ConcurrencyTests(DatabaseKind.Sqlite);
public sealed class PostgresConcurrencyTests() : ConcurrencyTests(DatabaseKind.Postgres);
