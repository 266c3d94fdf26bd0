using System.Text.Json;
using Gatehouse.Audit;
using Gatehouse.Configuration;
using Gatehouse.Http;
using Gatehouse.Mfa.RecoveryCodes;
using Gatehouse.Mfa.Totp;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Gatehouse.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Gatehouse.Mfa;

/// <summary>
/// What every authenticator type shares (allauth's mfa/base and mfa/internal/flows): whether one may be added,
/// checking a typed code, recovery codes that come with the first authenticator, removal with its clean-up,
/// and the wire form of an authenticator. The WebAuthn endpoints use the same pieces.
/// </summary>
public sealed class MfaAuthenticators(
    GatehouseDbContext db, TotpAuthenticator totp, RecoveryCodeSet recoveryCodes, AuditLog audit, IOptions<MfaOptions> options)
{
    private readonly MfaOptions _options = options.Value;

    /// <summary>
    /// allauth's <c>validate_can_add_authenticator</c>: not while an address is unverified, or whoever signed up
    /// with someone else's address could lock its real owner out for good.
    /// </summary>
    public async Task<ApiError?> CannotAddAsync(long userId, CancellationToken ct) =>
        await db.EmailAddresses.AnyAsync(e => e.UserId == userId && !e.Verified, ct)
            ? ApiErrors.UnverifiedEmail()
            : null;

    /// <summary>
    /// allauth's <c>BaseAuthenticateForm.clean_code</c>: the code against the user's TOTP authenticator, then their
    /// recovery codes (WebAuthn takes no typed codes). Returns the authenticator that accepted it, which has
    /// recorded the use (TOTP: its step; recovery code: used up).
    /// </summary>
    public async Task<Authenticator?> VerifyCodeAsync(long userId, string code, CancellationToken ct)
    {
        var candidates = await db.Authenticators.AsNoTracking()
            .Where(a => a.UserId == userId && (a.Type == MfaTypes.Totp || a.Type == MfaTypes.RecoveryCodes))
            .ToListAsync(ct);
        foreach (var authenticator in candidates.Where(a => _options.Supports(a.Type)).OrderBy(a => a.Type == MfaTypes.Totp ? 0 : 1))
        {
            var accepted = authenticator.Type == MfaTypes.Totp
                ? await totp.VerifyAsync(authenticator, code, ct) is not null
                : await recoveryCodes.UseAsync(authenticator, code, ct);
            if (accepted)
            {
                return authenticator;
            }
        }
        return null;
    }

    /// <summary>
    /// allauth's <c>auto_generate_recovery_codes</c>: a first authenticator brings a recovery-code set (when that
    /// type is supported and the user has none). Returns the new codes, or null. Added to the unit of work.
    /// </summary>
    public async Task<List<string>?> AutoGenerateRecoveryCodesAsync(long userId, CancellationToken ct)
    {
        if (!_options.Supports(MfaTypes.RecoveryCodes) ||
            await db.Authenticators.AnyAsync(a => a.UserId == userId && a.Type == MfaTypes.RecoveryCodes, ct))
        {
            return null;
        }
        var codes = recoveryCodes.Generate(userId);
        audit.Record(AuditEvents.MfaAuthenticatorAdded, userId, new { type = MfaTypes.RecoveryCodes });
        return codes;
    }

    /// <summary>
    /// allauth's <c>delete_and_cleanup</c>: removes the authenticator, and the recovery codes when nothing else is
    /// left for them to back up; every browser the user trusted stops being trusted (its trust was given for the
    /// factors the user had then). Added to the unit of work, except the trusted-browser delete, which runs now.
    /// </summary>
    public async Task RemoveAsync(Authenticator authenticator, CancellationToken ct)
    {
        db.Authenticators.Remove(authenticator);
        audit.Record(AuditEvents.MfaAuthenticatorRemoved, authenticator.UserId, new { type = authenticator.Type, id = authenticator.Id });
        var others = await db.Authenticators.Where(a => a.UserId == authenticator.UserId && a.Id != authenticator.Id).ToListAsync(ct);
        if (others.All(a => a.Type == MfaTypes.RecoveryCodes))
        {
            foreach (var dangling in others)
            {
                db.Authenticators.Remove(dangling);
                audit.Record(AuditEvents.MfaAuthenticatorRemoved, authenticator.UserId, new { type = dangling.Type, id = dangling.Id });
            }
        }
        await db.TrustedBrowsers.Where(t => t.UserId == authenticator.UserId).ExecuteDeleteAsync(ct);
    }

    /// <summary>
    /// allauth's <c>_authenticator_data</c>. WebAuthn rows carry <c>{"name": ..., "passwordless": ...}</c> in
    /// <c>data</c> (the WebAuthn endpoints write them); <paramref name="unusedCodes"/> only right after generation.
    /// </summary>
    public async Task WriteAsync(Utf8JsonWriter w, Authenticator authenticator, CancellationToken ct, IReadOnlyList<string>? unusedCodes = null)
    {
        (int Total, int Unused) counts = authenticator.Type == MfaTypes.RecoveryCodes
            ? await recoveryCodes.CountsAsync(authenticator.Id, ct)
            : default;
        w.WriteStartObject();
        w.WriteString("type", authenticator.Type);
        w.WriteNumber("created_at", Epoch(authenticator.CreatedAt));
        if (authenticator.LastUsedAt is { } lastUsed)
        {
            w.WriteNumber("last_used_at", Epoch(lastUsed));
        }
        else
        {
            w.WriteNull("last_used_at");
        }
        if (authenticator.Type == MfaTypes.RecoveryCodes)
        {
            w.WriteNumber("total_code_count", counts.Total);
            w.WriteNumber("unused_code_count", counts.Unused);
            if (unusedCodes is not null)
            {
                w.WriteStartArray("unused_codes");
                foreach (var code in unusedCodes)
                {
                    w.WriteStringValue(code);
                }
                w.WriteEndArray();
            }
        }
        else if (authenticator.Type == MfaTypes.WebAuthn)
        {
            w.WriteNumber("id", authenticator.Id);
            string? name = null;
            bool? passwordless = null;
            try
            {
                using var data = JsonDocument.Parse(authenticator.Data);
                if (data.RootElement.ValueKind == JsonValueKind.Object)
                {
                    if (data.RootElement.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String)
                    {
                        name = n.GetString();
                    }
                    if (data.RootElement.TryGetProperty("passwordless", out var p) && p.ValueKind is JsonValueKind.True or JsonValueKind.False)
                    {
                        passwordless = p.GetBoolean();
                    }
                }
            }
            catch (JsonException)
            {
                // a row we cannot read still lists, unnamed
            }
            w.WriteString("name", name ?? "");
            if (passwordless is { } isPasswordless)
            {
                w.WriteBoolean("is_passwordless", isPasswordless);
            }
        }
        w.WriteEndObject();
    }

    /// <summary>Epoch seconds; SQLite hands back DateTime without a kind, and every stored time is UTC.</summary>
    public static double Epoch(DateTime utc) => AuthResponses.Epoch(new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)));
}

/// <summary>
/// <c>mfa_reauthenticate</c> in a reauthentication 401, with every supported type the user has (allauth's
/// <c>get_reauthentication_flows</c>), WebAuthn included: its endpoints complete the same flow.
/// </summary>
internal sealed class MfaReauthenticationFlows(GatehouseDbContext db, IOptions<MfaOptions> options) : IReauthenticationFlowContributor
{
    public async ValueTask AddFlowsAsync(SessionUser user, List<ReauthenticationFlow> flows, CancellationToken ct)
    {
        var types = await MfaAuthenticateStage.TypesOfAsync(db, options.Value, user.Id, ct);
        if (types.Count > 0)
        {
            flows.Add(new ReauthenticationFlow(FlowIds.MfaReauthenticate, types));
        }
    }
}
