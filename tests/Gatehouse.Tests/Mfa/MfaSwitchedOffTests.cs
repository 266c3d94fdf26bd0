using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;

namespace Gatehouse.Tests.Mfa;

/// <summary>
/// MFA switched off entirely (<c>Gatehouse:Mfa:SupportedTypes</c> configured empty): none of its routes exist, for
/// either client. Each request is first sent to an app with MFA on, where it reaches its route (not a 404), so
/// a 404 below means the route is absent, not that a mapped route answered "not found".
/// </summary>
public abstract class MfaSwitchedOffTests(DatabaseKind database) : MfaTestBase(database)
{
    private static readonly Dictionary<string, string?> MfaOff = new() { ["Gatehouse:Mfa:SupportedTypes"] = "" };

    private static readonly (HttpMethod Method, string Path, object? Body)[] MfaRequests =
    [
        (HttpMethod.Post, "auth/2fa/authenticate", new { code = "123456" }),
        (HttpMethod.Post, "auth/2fa/reauthenticate", new { code = "123456" }),
        (HttpMethod.Get, "account/authenticators", null),
        (HttpMethod.Get, "account/authenticators/totp", null),
        (HttpMethod.Post, "account/authenticators/totp", new { code = "123456" }),
        (HttpMethod.Get, "account/authenticators/recovery-codes", null),
        (HttpMethod.Get, "account/authenticators/webauthn", null),
        (HttpMethod.Post, "account/authenticators/webauthn", new { credential = new { } }),
        (HttpMethod.Get, "auth/webauthn/authenticate", null),
        (HttpMethod.Post, "auth/webauthn/authenticate", new { credential = new { } }),
        (HttpMethod.Get, "auth/webauthn/reauthenticate", null),
        (HttpMethod.Post, "auth/webauthn/reauthenticate", new { credential = new { } }),
        (HttpMethod.Get, "auth/webauthn/login", null),
        (HttpMethod.Post, "auth/webauthn/login", new { credential = new { } }),
    ];

    [Theory, MemberData(nameof(Clients))]
    public async Task WithMfaSwitchedOff_ItsRoutesDoNotExist(ClientKind kind)
    {
        // With MFA on, a TOTP user (so totp and recovery-codes answer 200, not their "not set up" 404).
        var on = await StartAsync();
        var (onClient, _, _) = await TotpUserAsync(on, kind);
        foreach (var (method, path, body) in MfaRequests)
        {
            var reached = await onClient.SendAsync(method, path, body);
            Assert.True(reached.StatusCode != 404, $"{method} {path} with MFA on: {reached}");
        }

        var off = await StartAsync(MfaOff);
        var client = await VerifiedAndLoggedInAsync(off, kind);
        Assert.Empty((await client.GetAsync("config")).Data.GetProperty("mfa").GetProperty("supported_types").EnumerateArray());
        foreach (var (method, path, body) in MfaRequests)
        {
            var absent = await client.SendAsync(method, path, body);
            Assert.True(absent.StatusCode == 404, $"{method} {path} with MFA off: {absent}");
            AssertEnvelope(absent);
        }
    }
}

public sealed class SqliteMfaSwitchedOffTests() : MfaSwitchedOffTests(DatabaseKind.Sqlite);
public sealed class PostgresMfaSwitchedOffTests() : MfaSwitchedOffTests(DatabaseKind.Postgres);
