using System.Text.Json;
using Gatehouse.Account.Stages;
using Gatehouse.Configuration;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Microsoft.Extensions.Options;

namespace Gatehouse.Mfa;

/// <summary>
/// Ours (allauth has no such stage): with <see cref="MfaOptions.RequiredForStaff"/>, a staff account without TOTP or
/// WebAuthn stops after its first factor at the pending flow <c>mfa_setup</c>, whose <c>types</c> say what it may set
/// up: TOTP (a passkey is added after the login; start-up refuses RequiredForStaff without TOTP). While it is pending, <c>GET/POST account/authenticators/totp</c> work for that user (the frontend sends them to
/// its TOTP page as for a logged-in user); activating completes the stage and logs in. Nothing else is reachable.
/// </summary>
public sealed class MfaSetupStage(GatehouseDbContext db, IOptions<MfaOptions> options) : ILoginStage
{
    public string Id => FlowIds.MfaSetup;

    public async ValueTask<bool> AppliesToAsync(StageContext context, CancellationToken ct)
    {
        var mfa = options.Value;
        if (!mfa.RequiredForStaff || !context.User.IsStaff || context.User.Id == 0)
        {
            return false;
        }
        var types = await MfaAuthenticateStage.TypesOfAsync(db, mfa, context.User.Id, ct);
        return !types.Contains(MfaTypes.Totp) && !types.Contains(MfaTypes.WebAuthn);
    }

    public ValueTask EnterAsync(StageContext context, CancellationToken ct) => ValueTask.CompletedTask;

    public void WritePendingDetails(Utf8JsonWriter writer, PendingFlow pending)
    {
        writer.WriteStartArray("types");
        foreach (var type in SetupTypes(options.Value))
        {
            writer.WriteStringValue(type);
        }
        writer.WriteEndArray();
    }

    /// <summary>What the user can set up during the login: the TOTP routes (recovery codes come with it).</summary>
    private static List<string> SetupTypes(MfaOptions mfa) => mfa.Supports(MfaTypes.Totp) ? [MfaTypes.Totp] : [];
}
