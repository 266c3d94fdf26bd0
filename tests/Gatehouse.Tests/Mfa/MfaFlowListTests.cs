using System.Text.Json;
using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;

namespace Gatehouse.Tests.Mfa;

/// <summary>
/// <c>mfa_login_webauthn</c> in a 401's <c>data.flows</c>, placed and shaped as allauth's <c>_get_flows</c> writes it
/// (headless/base/response.py, 65.16.1): login, login_by_code, signup, providers, mfa_login_webauthn, then the pending
/// stage upserted, then password_reset_by_code with an explicit is_pending.
/// </summary>
public abstract class MfaFlowListTests(DatabaseKind database) : MfaTestBase(database)
{
    private static readonly Dictionary<string, string?> Everything = new()
    {
        ["Gatehouse:Account:LoginByCodeEnabled"] = "true",
        ["Gatehouse:Account:PasswordResetByCodeEnabled"] = "true",
    };

    private static List<string> Raw(ApiResponse response) =>
        response.Data.GetProperty("flows").EnumerateArray().Select(f => f.GetRawText()).ToList();

    [Theory, MemberData(nameof(Clients))]
    public async Task AnAnonymousSession_ListsPasskeyLoginAfterSignup_AndPasswordResetByCodeLastWithIsPendingFalse(ClientKind kind)
    {
        var app = await StartAsync(Everything);

        var session = await app.Client(kind).GetAsync("auth/session");

        Assert.Equal(401, session.StatusCode);
        Assert.Equal(
            ["""{"id":"login"}""", """{"id":"login_by_code"}""", """{"id":"signup"}""", """{"id":"mfa_login_webauthn"}""",
             """{"id":"password_reset_by_code","is_pending":false}"""],
            Raw(session));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task APendingStage_IsWrittenAfterPasskeyLogin_AndBeforePasswordResetByCode(ClientKind kind)
    {
        var app = await StartAsync(Everything);
        await TotpUserAsync(app, kind);

        var login = await app.Client(kind).PostAsync("auth/login", new { email = Email, password = Password });

        Assert.Equal(
            ["login", "login_by_code", "signup", "mfa_login_webauthn", "mfa_authenticate", "password_reset_by_code"],
            login.FlowIds);
        var flows = login.Data.GetProperty("flows").EnumerateArray().ToList();
        Assert.Equal("""{"id":"mfa_login_webauthn"}""", flows[3].GetRawText());
        Assert.True(flows[4].GetProperty("is_pending").GetBoolean());
        Assert.Equal(["recovery_codes", "totp"], Types(flows[4]));
        Assert.False(flows[5].GetProperty("is_pending").GetBoolean());
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task APendingPasswordResetByCode_StaysLast_WithIsPendingTrue(ClientKind kind)
    {
        var app = await StartAsync(Everything);
        await VerifiedAndLoggedInAsync(app, kind);
        var client = app.Client(kind);

        var request = await client.PostAsync("auth/password/request", new { email = Email });

        Assert.Equal(401, request.StatusCode);
        Assert.Equal(["login", "login_by_code", "signup", "mfa_login_webauthn", "password_reset_by_code"], request.FlowIds);
        Assert.Equal("""{"id":"password_reset_by_code","is_pending":true}""", Raw(request)[^1]);
    }
}

public sealed class SqliteMfaFlowListTests() : MfaFlowListTests(DatabaseKind.Sqlite);
public sealed class PostgresMfaFlowListTests() : MfaFlowListTests(DatabaseKind.Postgres);
