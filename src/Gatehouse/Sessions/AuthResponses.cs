using System.Text.Json;
using Gatehouse.Account.Stages;
using Gatehouse.Configuration;
using Gatehouse.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gatehouse.Sessions;

/// <summary>
/// The authentication-related responses: 200 with user and methods, 401 with the flows a client can
/// start (and the pending one), 401 asking for reauthentication, 410 for a dead app session.
/// </summary>
public sealed class AuthResponses(
    IOptions<AccountOptions> accountOptions, IEnumerable<IFlowContributor> contributors, IServiceProvider services, TimeProvider time)
{
    // The login stages are resolved only when a pending flow is written: they depend on the flows' services
    // (a pooled DbContext, the mailer), and resolving those on every request cost the session check about a third
    // of its CPU time (bench/, 2026-12-02).
    private LoginStages Stages => services.GetRequiredService<LoginStages>();
    // The same for the reauthentication flows (MFA's reads the user's authenticators): only a 401 asking to
    // reauthenticate needs them.
    private IEnumerable<IReauthenticationFlowContributor> Reauthentication => services.GetServices<IReauthenticationFlowContributor>();

    private readonly IFlowContributor[] _contributors = contributors.ToArray();
    private readonly AccountOptions _account = accountOptions.Value;

    public ApiResult Authenticated(AuthContext auth) =>
        new(StatusCodes.Status200OK, w => WriteAuthenticatedData(w, auth.User!, auth.Session!.State.Methods, null))
        {
            IsAuthenticated = AuthenticatedFlag.True,
        };

    public ApiResult Unauthenticated(AuthContext auth) =>
        new(StatusCodes.Status401Unauthorized, w => WriteFlows(w, auth.PendingAt(time.GetUtcNow().UtcDateTime)))
        {
            IsAuthenticated = AuthenticatedFlag.False,
        };

    /// <summary>Authenticated when the session has a user, otherwise the 401 with flows.</summary>
    public ApiResult Current(AuthContext auth) => auth.IsAuthenticated ? Authenticated(auth) : Unauthenticated(auth);

    public ApiResult SessionGone() =>
        new(StatusCodes.Status410Gone, w => WriteFlows(w, null)) { IsAuthenticated = AuthenticatedFlag.Null };

    public ApiResult ReauthenticationRequired(AuthContext auth) =>
        new(StatusCodes.Status401Unauthorized, w => WriteAuthenticatedData(w, auth.User!, auth.Session!.State.Methods, writer =>
        {
            writer.WriteStartArray("flows");
            if (auth.User!.HasUsablePassword)
            {
                WriteFlow(writer, "reauthenticate");
            }
            writer.WriteEndArray();
        }))
        {
            IsAuthenticated = AuthenticatedFlag.True,
        };

    /// <summary>
    /// The ways the logged-in user can reauthenticate (allauth's <c>get_reauthentication_flows</c>): "reauthenticate"
    /// with a usable password, then what features contribute (MFA: <c>mfa_reauthenticate</c> with <c>types</c>).
    /// </summary>
    public async Task<List<ReauthenticationFlow>> ReauthenticationFlowsAsync(AuthContext auth, CancellationToken ct)
    {
        var flows = new List<ReauthenticationFlow>();
        if (auth.User is not { } user)
        {
            return flows;
        }
        if (user.HasUsablePassword)
        {
            flows.Add(new ReauthenticationFlow("reauthenticate"));
        }
        foreach (var contributor in Reauthentication)
        {
            await contributor.AddFlowsAsync(user, flows, ct);
        }
        return flows;
    }

    /// <summary>
    /// allauth's <c>raise_if_reauthentication_required</c>: null when the session authenticated recently enough
    /// for a sensitive action, else the 401 listing every way to reauthenticate. A user with no way to
    /// reauthenticate at all is let through, as allauth does.
    /// </summary>
    public async Task<ApiResult?> RequireRecentAuthenticationAsync(AuthContext auth, CancellationToken ct)
    {
        var flows = await ReauthenticationFlowsAsync(auth, ct);
        if (flows.Count == 0 || LastMethodIsRecent(auth))
        {
            return null;
        }
        return new ApiResult(StatusCodes.Status401Unauthorized, w => WriteAuthenticatedData(w, auth.User!, auth.Session!.State.Methods, writer =>
        {
            writer.WriteStartArray("flows");
            foreach (var flow in flows)
            {
                writer.WriteStartObject();
                writer.WriteString("id", flow.Id);
                if (flow.Types is not null)
                {
                    writer.WriteStartArray("types");
                    foreach (var type in flow.Types)
                    {
                        writer.WriteStringValue(type);
                    }
                    writer.WriteEndArray();
                }
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }))
        {
            IsAuthenticated = AuthenticatedFlag.True,
        };
    }

    private bool LastMethodIsRecent(AuthContext auth)
    {
        var methods = auth.Session?.State.Methods;
        if (methods is not { Count: > 0 })
        {
            return false;
        }
        var last = DateTimeOffset.UnixEpoch.AddSeconds(methods[^1].At);
        return time.GetUtcNow() - last < _account.ReauthenticationTimeout;
    }

    /// <summary>Whether the session authenticated recently enough for a sensitive action (allauth: the last method's time).</summary>
    public bool IsRecentlyAuthenticated(AuthContext auth)
    {
        if (auth.User is { HasUsablePassword: false })
        {
            return true; // no way to reauthenticate yet: allauth lets such users through
        }
        var methods = auth.Session?.State.Methods;
        if (methods is not { Count: > 0 })
        {
            return false;
        }
        var last = DateTimeOffset.UnixEpoch.AddSeconds(methods[^1].At);
        return time.GetUtcNow() - last < _account.ReauthenticationTimeout;
    }

    public static void WriteUser(Utf8JsonWriter w, SessionUser user)
    {
        w.WriteStartObject();
        w.WriteNumber("id", user.Id);
        w.WriteString("display", user.Username ?? user.Email ?? user.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (user.Email is not null)
        {
            w.WriteString("email", user.Email);
        }
        w.WriteBoolean("has_usable_password", user.HasUsablePassword);
        if (user.Username is not null)
        {
            w.WriteString("username", user.Username);
        }
        w.WriteEndObject();
    }

    private static void WriteAuthenticatedData(Utf8JsonWriter w, SessionUser user, List<AuthMethod> methods, Action<Utf8JsonWriter>? extra)
    {
        w.WriteStartObject();
        w.WritePropertyName("user");
        WriteUser(w, user);
        w.WriteStartArray("methods");
        foreach (var method in methods)
        {
            w.WriteStartObject();
            w.WriteString("method", method.Method);
            w.WriteNumber("at", method.At);
            if (method.Email is not null)
            {
                w.WriteString("email", method.Email);
            }
            if (method.Username is not null)
            {
                w.WriteString("username", method.Username);
            }
            if (method.Id is { } id)
            {
                w.WriteNumber("id", id);
            }
            if (method.Type is not null)
            {
                w.WriteString("type", method.Type);
            }
            if (method.Reauthenticated == true)
            {
                w.WriteBoolean("reauthenticated", true);
            }
            if (method.Passwordless == true)
            {
                w.WriteBoolean("passwordless", true);
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        extra?.Invoke(w);
        w.WriteEndObject();
    }

    /// <summary>
    /// The flows a client may start, as the features contribute them, with the pending stage merged in:
    /// marked in place when it is also a startable flow (login_by_code), appended otherwise (verify_email),
    /// with whatever details its stage adds (allauth's <c>_upsert_pending_flow</c> and <c>_enrich_mfa_flow</c>).
    /// </summary>
    private void WriteFlows(Utf8JsonWriter w, PendingFlow? pending)
    {
        var flows = new FlowList();
        foreach (var contributor in _contributors)
        {
            contributor.AddFlows(flows);
        }
        var current = pending?.CurrentStage;
        w.WriteStartObject();
        w.WriteStartArray("flows");
        foreach (var id in flows.Ids)
        {
            if (id == current)
            {
                WritePending(w, pending!);
            }
            else
            {
                WriteFlow(w, id);
            }
        }
        if (current is not null && !flows.Ids.Contains(current) && !flows.AfterPending.Contains(current))
        {
            WritePending(w, pending!);
        }
        foreach (var id in flows.AfterPending)
        {
            if (id == current)
            {
                WritePending(w, pending!);
            }
            else
            {
                w.WriteStartObject();
                w.WriteString("id", id);
                w.WriteBoolean("is_pending", false);
                w.WriteEndObject();
            }
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private void WritePending(Utf8JsonWriter w, PendingFlow pending)
    {
        w.WriteStartObject();
        w.WriteString("id", pending.CurrentStage);
        w.WriteBoolean("is_pending", true);
        Stages.Find(pending.CurrentStage)?.WritePendingDetails(w, pending);
        w.WriteEndObject();
    }

    private static void WriteFlow(Utf8JsonWriter w, string id, bool pending = false)
    {
        w.WriteStartObject();
        w.WriteString("id", id);
        if (pending)
        {
            w.WriteBoolean("is_pending", true);
        }
        w.WriteEndObject();
    }

    public static double Epoch(DateTimeOffset at) => (at - DateTimeOffset.UnixEpoch).TotalSeconds;
}

/// <summary>One entry of a reauthentication 401's <c>flows</c>: <c>{"id": ..., "types": [...]?}</c>.</summary>
public sealed record ReauthenticationFlow(string Id, IReadOnlyList<string>? Types = null);

/// <summary>
/// A feature that offers a way to reauthenticate (allauth's <c>get_reauthentication_flows</c> asks MFA for
/// <c>mfa_reauthenticate</c>); registered in DI, asked in registration order after the password flow.
/// </summary>
public interface IReauthenticationFlowContributor
{
    ValueTask AddFlowsAsync(SessionUser user, List<ReauthenticationFlow> flows, CancellationToken ct);
}
