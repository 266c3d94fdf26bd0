using Gatehouse.Sessions;
using Gatehouse.Tests.Api;
using Gatehouse.Tests.Infrastructure;
using OtpNet;

namespace Gatehouse.Tests.Mfa;

/// <summary>Helpers for the MFA API tests: a user with TOTP, codes computed from the secret at the app's fake clock.</summary>
public abstract class MfaTestBase(DatabaseKind database) : ApiTestBase(database)
{
    protected const string Email = "alice@example.com";

    /// <summary>The TOTP code for <paramref name="secret"/> at the app's clock, as an authenticator app shows it.</summary>
    protected static string TotpCode(GatehouseApp app, string secret, int stepOffset = 0) =>
        new OtpNet.Totp(Base32Encoding.ToBytes(secret)).ComputeTotp(app.Clock.GetUtcNow().UtcDateTime.AddSeconds(30 * stepOffset));

    /// <summary>Moves the clock to the next 30 s step, so a code of the step that was used is not the current one.</summary>
    protected static void NextStep(GatehouseApp app) => app.Clock.Advance(TimeSpan.FromSeconds(30));

    /// <summary>
    /// A verified user, freshly logged in with the password (the email-confirmation login records no method, so
    /// changes to authenticators would ask to reauthenticate first).
    /// </summary>
    protected static async Task<ApiClient> VerifiedAndLoggedInAsync(GatehouseApp app, ClientKind kind, string email = Email)
    {
        await SignedUpAndVerifiedAsync(app, kind, email);
        return await LoggedInAsync(app, kind, email);
    }

    /// <summary>A verified user, logged in, who activated TOTP; returns the client, the secret and the recovery codes it was shown.</summary>
    protected static async Task<(ApiClient Client, string Secret, List<string> RecoveryCodes)> TotpUserAsync(GatehouseApp app, ClientKind kind, string email = Email)
    {
        var client = await VerifiedAndLoggedInAsync(app, kind, email);
        var offer = await client.GetAsync("account/authenticators/totp");
        Assert.Equal(404, offer.StatusCode);
        var secret = offer.Meta.GetProperty("secret").GetString()!;
        var activated = await client.PostAsync("account/authenticators/totp", new { code = TotpCode(app, secret) });
        Assert.Equal(200, activated.StatusCode);
        var codes = await client.GetAsync("account/authenticators/recovery-codes");
        Assert.Equal(200, codes.StatusCode);
        var recovery = codes.Data.GetProperty("unused_codes").EnumerateArray().Select(c => c.GetString()!).ToList();
        app.Mail.Clear();
        return (client, secret, recovery);
    }

    /// <summary>A fresh client that passed the password and now stands at mfa_authenticate (asserted).</summary>
    protected static async Task<ApiClient> AtMfaStageAsync(GatehouseApp app, ClientKind kind, string email = Email, string password = Password)
    {
        var client = app.Client(kind);
        var login = await client.PostAsync("auth/login", new { email, password });
        Assert.Equal(401, login.StatusCode);
        Assert.Equal("mfa_authenticate", login.PendingFlow);
        return client;
    }

    /// <summary>The pending mfa_authenticate flow object of a 401.</summary>
    protected static System.Text.Json.JsonElement PendingMfa(ApiResponse response) =>
        response.Data.GetProperty("flows").EnumerateArray().Single(f => f.GetProperty("id").GetString() == "mfa_authenticate");

    protected static List<string> Types(System.Text.Json.JsonElement flow) =>
        flow.GetProperty("types").EnumerateArray().Select(t => t.GetString()!).ToList();
}
