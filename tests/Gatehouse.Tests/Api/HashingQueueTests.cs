using Gatehouse.Security.Passwords;
using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PasswordOptions = Gatehouse.Security.Passwords.PasswordOptions;

namespace Gatehouse.Tests.Api;

/// <summary>
/// The bounded, per-address hashing queue as a client sees it: a login that would wait too long for a
/// hashing thread is answered at once with 503, Retry-After and the envelope, while another address
/// still gets in. The hash blocks until the test releases it, and one hash is taken to last 1 s, so
/// which request is refused is exact, not a matter of timing.
/// </summary>
public abstract class HashingQueueTests(DatabaseKind database) : ApiTestBase(database)
{
    private const string AttackerIp = "198.51.100.23";
    private const string OtherIp = "203.0.113.80";

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        // Requests come from a trusted proxy that names the client in X-Forwarded-For.
        [GatehouseApp.RemoteIpSetting] = "127.0.0.1",
        ["Gatehouse:Http:TrustedProxies:0"] = "127.0.0.1",
        ["Gatehouse:Passwords:MaxConcurrentHashes"] = "1",
        ["Gatehouse:Passwords:MaxQueueWait"] = "00:00:02",
    };

    [Theory, MemberData(nameof(Clients))]
    public async Task ALoginThatWouldWaitTooLong_Gets503WithRetryAfter_WhileAnotherAddressIsStillServed(ClientKind kind)
    {
        using var hash = new BlockingHashFunction();
        var app = await StartAsync(services: services => services.Replace(ServiceDescriptor.Singleton(provider =>
            new PasswordHashingExecutor(provider.GetRequiredService<IOptions<PasswordOptions>>(), hash, hashTime: TimeSpan.FromSeconds(1)))));
        var executor = app.Services.GetRequiredService<PasswordHashingExecutor>();

        // One login hashing, three waiting (expected waits 0, 1 and 2 s): all admitted.
        var admitted = new List<Task<ApiResponse>> { LoginAsync(app, kind, AttackerIp) };
        await hash.WaitForStartAsync();
        admitted.AddRange(Enumerable.Range(0, 3).Select(_ => LoginAsync(app, kind, AttackerIp)));
        Assert.True(SpinWait.SpinUntil(() => executor.Waiting == 3, TimeSpan.FromSeconds(10)), "the logins never reached the queue");

        // A fourth would wait 3 s: refused without waiting for any hash.
        var refused = await LoginAsync(app, kind, AttackerIp);
        // Another address waits for one turn of the first: 1 s, admitted.
        admitted.Add(LoginAsync(app, kind, OtherIp));
        Assert.True(SpinWait.SpinUntil(() => executor.Waiting == 4, TimeSpan.FromSeconds(10)), "the other address was not queued");

        Assert.Equal(503, refused.StatusCode);
        Assert.Equal(["server_busy"], refused.ErrorCodes);
        Assert.Equal(503, refused.Json.GetProperty("status").GetInt32());
        Assert.Equal(TimeSpan.FromSeconds(3), refused.Headers.RetryAfter?.Delta);
        hash.Release(admitted.Count);
        Assert.All(await Task.WhenAll(admitted), login => Assert.Equal(["email_password_mismatch@password"], login.ErrorCodes));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task ALoginRefusedWith503_IsNotCountedAsAFailedLogin(ClientKind kind)
    {
        using var hash = new BlockingHashFunction();
        var app = await StartAsync(
            new Dictionary<string, string?>
            {
                ["Gatehouse:RateLimits:Enabled"] = "true",
                ["Gatehouse:RateLimits:Rules:login_failed"] = "100/m/ip,3/5m/key",
                ["Gatehouse:Passwords:MaxQueueWait"] = "00:00:00.5",
            },
            services => services.Replace(ServiceDescriptor.Singleton(provider =>
                new PasswordHashingExecutor(provider.GetRequiredService<IOptions<PasswordOptions>>(), hash, hashTime: TimeSpan.FromSeconds(1)))));

        // Two wrong logins for the key admitted (one hashing, one waiting its turn: both counted), then three that
        // would wait a full hash longer than MaxQueueWait and are refused.
        var executor = app.Services.GetRequiredService<PasswordHashingExecutor>();
        var first = LoginAsync(app, kind, OtherIp);
        await hash.WaitForStartAsync();
        var second = LoginAsync(app, kind, OtherIp);
        Assert.True(SpinWait.SpinUntil(() => executor.Waiting == 1, TimeSpan.FromSeconds(10)), "the second login never reached the queue");
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(503, (await LoginAsync(app, kind, OtherIp)).StatusCode);
        }
        hash.Release(2);
        Assert.Equal(["email_password_mismatch@password"], (await first).ErrorCodes);
        Assert.Equal(["email_password_mismatch@password"], (await second).ErrorCodes);
        hash.Release(1);

        // Shed load is not a guess: the key has two failures, so this third attempt is still evaluated.
        var next = await LoginAsync(app, kind, OtherIp);
        Assert.Equal(["email_password_mismatch@password"], next.ErrorCodes);
    }

    private static async Task<ApiResponse> LoginAsync(GatehouseApp app, ClientKind kind, string ip)
    {
        using var client = app.Client(kind);
        return await client.SendAsync(HttpMethod.Post, "auth/login", new { email = "nobody@example.com", password = "some-password" },
            new Dictionary<string, string> { ["X-Forwarded-For"] = ip });
    }
}

public sealed class SqliteHashingQueueTests() : HashingQueueTests(DatabaseKind.Sqlite);
public sealed class PostgresHashingQueueTests() : HashingQueueTests(DatabaseKind.Postgres);
