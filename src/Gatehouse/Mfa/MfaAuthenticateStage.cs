using System.Text.Json;
using Gatehouse.Account.Stages;
using Gatehouse.Configuration;
using Gatehouse.Security;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Gatehouse.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Gatehouse.Mfa;

/// <summary>
/// The <c>mfa_authenticate</c> login stage (allauth's <c>mfa.stages.AuthenticateStage</c>): a user with an
/// authenticator of a supported type must present a second factor after every way in. Its endpoints
/// (auth/2fa/authenticate, auth/webauthn/authenticate) complete it through LoginCompletion.
/// </summary>
public sealed class MfaAuthenticateStage(
    GatehouseDbContext db, CodeChallenges challenges, TrustedBrowsers trusted, IOptions<MfaOptions> options) : ILoginStage
{
    private const string TypesKey = "types";
    private const string ChallengePurpose = CodePurposes.MfaAuthenticate;

    public string Id => FlowIds.MfaAuthenticate;

    /// <summary>
    /// allauth's <c>AuthenticateStage._should_handle</c>: a user with TOTP or WebAuthn (recovery codes alone back
    /// nothing up), unless this login already was a passkey login (a factor of its own) or the browser is trusted.
    /// </summary>
    public async ValueTask<bool> AppliesToAsync(StageContext context, CancellationToken ct)
    {
        if (context.User.Id == 0 || context.Pending.Methods.Any(m => m.Method == "mfa" && m.Passwordless == true))
        {
            return false;
        }
        var types = await TypesOfAsync(db, options.Value, context.User.Id, ct);
        return (types.Contains(MfaTypes.Totp) || types.Contains(MfaTypes.WebAuthn)) && !await trusted.IsTrustedAsync(context.User, ct);
    }

    public async ValueTask EnterAsync(StageContext context, CancellationToken ct)
    {
        // The types are fixed when the stage starts: the pending flow shows what this login may use.
        var types = await TypesOfAsync(db, options.Value, context.User.Id, ct);
        var state = context.Pending.StateOf(Id);
        state.Extra ??= [];
        state.Extra[TypesKey] = JsonSerializer.SerializeToElement(types);
        // A challenge no code passes: it only counts this stage's attempts in the database (every factor's
        // endpoint takes one before checking), and is consumed by the factor that completes the stage.
        state.Challenge = challenges.Issue(ChallengePurpose, code: null, context.Pending.ExpiresAt);
    }

    /// <summary>The browser's trust (granted at mfa_trust or used to skip this stage) follows the new session.</summary>
    public void LoggingIn(User user, Session session) => trusted.Link(session);

    public void WritePendingDetails(Utf8JsonWriter writer, PendingFlow pending)
    {
        writer.WriteStartArray(TypesKey);
        foreach (var type in TypesOf(pending))
        {
            writer.WriteStringValue(type);
        }
        writer.WriteEndArray();
    }

    /// <summary>The authenticator types this pending login may finish mfa_authenticate with (fixed when the stage began).</summary>
    public static IReadOnlyList<string> TypesOf(PendingFlow pending) =>
        pending.StageStates.TryGetValue(FlowIds.MfaAuthenticate, out var state) && state.Extra?.TryGetValue(TypesKey, out var types) == true &&
        types.ValueKind == JsonValueKind.Array
            ? types.EnumerateArray().Select(t => t.GetString()).OfType<string>().ToList()
            : [];

    /// <summary>
    /// The supported authenticator types <paramref name="userId"/> has, in allauth's order
    /// (its <c>_enrich_mfa_flow</c> asks <c>is_mfa_enabled</c> per type).
    /// </summary>
    public static async Task<List<string>> TypesOfAsync(GatehouseDbContext db, MfaOptions options, long userId, CancellationToken ct)
    {
        var present = await db.Authenticators.AsNoTracking()
            .Where(a => a.UserId == userId)
            .Select(a => a.Type)
            .Distinct()
            .ToListAsync(ct);
        return MfaTypes.InWireOrder.Where(t => options.Supports(t) && present.Contains(t)).ToList();
    }
}
