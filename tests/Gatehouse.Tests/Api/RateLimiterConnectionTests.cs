using Gatehouse.Security.Passwords;
using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using PasswordOptions = Gatehouse.Security.Passwords.PasswordOptions;

namespace Gatehouse.Tests.Api;

/// <summary>
/// A login waits for its hash in the hashing queue, which can take seconds during a storm. If it held a
/// pooled database connection all that time (the rate limiter used to open one and leave it open for
/// the rest of the request), a storm would drain PostgreSQL's pool for every other flow. Here the pool
/// has one connection and a short acquisition timeout, and the login's hash blocks until the test
/// releases it: another request must still get the connection.
/// </summary>
public sealed class RateLimiterConnectionTests
{
    public static TheoryData<ClientKind> Clients => ApiTestBase.Clients;

    [Theory, MemberData(nameof(Clients))]
    public async Task ALoginWaitingForItsHash_HoldsNoDatabaseConnection_SoAnotherRequestGetsOne(ClientKind kind)
    {
        var database = await PostgresServer.CreateDatabaseAsync("gatehouse_pool");
        // Timeout is Npgsql's wait for a pooled connection: a held connection shows as a failure in 3 s.
        var connectionString = new NpgsqlConnectionStringBuilder(database) { Pooling = true, MaxPoolSize = 1, Timeout = 3 }.ConnectionString;
        using var release = new ManualResetEventSlim();
        using var started = new SemaphoreSlim(0);
        try
        {
            await using var app = await GatehouseApp.StartAsync(
                DatabaseKind.Postgres,
                connectionString,
                new Dictionary<string, string?> { ["Gatehouse:RateLimits:Enabled"] = "true" },
                services => services.Replace(ServiceDescriptor.Singleton(_ => new PasswordHashingExecutor(
                    Microsoft.Extensions.Options.Options.Create(new PasswordOptions { Iterations = 1000, MaxConcurrentHashes = 1 }),
                    job =>
                    {
                        started.Release();
                        release.Wait(TimeSpan.FromSeconds(30));
                        job();
                    }))));

            var login = app.Client(kind).PostAsync("auth/login", new { email = "alice@example.com", password = "not-her-password" });
            Assert.True(await started.WaitAsync(TimeSpan.FromSeconds(10)), "the login never reached the hash");

            // Rate limiter, user lookup and outbox insert: all need a connection while the login waits.
            var other = await app.Client(kind).PostAsync("auth/password/request", new { email = "bob@example.com" });

            Assert.Equal(200, other.StatusCode);
            release.Set();
            Assert.Equal(400, (await login).StatusCode);
        }
        finally
        {
            release.Set();
            await PostgresServer.DropDatabaseAsync(connectionString);
        }
    }
}
