using Gatehouse.Audit;
using Gatehouse.Configuration;
using Gatehouse.Email;
using Gatehouse.Http;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Gatehouse.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Mfa.RecoveryCodes;

/// <summary>GET/POST account/authenticators/recovery-codes (allauth's ManageRecoveryCodesView and recovery_codes/internal/flows.py).</summary>
public sealed class RecoveryCodesFlow(
    GatehouseDbContext db, AuthContext auth, AuthResponses responses, SessionStore sessions, RecoveryCodeSet recoveryCodes,
    MfaAuthenticators authenticators, SecurityNotices notices, AuditLog audit)
{
    /// <summary>
    /// The set's counts; the codes themselves only once, in the session that generated them along with another
    /// authenticator (we keep only their HMACs: allauth with MFA_RECOVERY_CODES_SHOW_ONCE behaves the same).
    /// </summary>
    public async Task<ApiResult> GetAsync(CancellationToken ct)
    {
        var user = auth.User!;
        var set = await FindAsync(user.Id, ct);
        if (set is null)
        {
            return ApiResult.NotFound();
        }
        if (await responses.RequireRecentAuthenticationAsync(auth, ct) is { } reauthenticate)
        {
            return reauthenticate;
        }
        List<string>? unused = null;
        var state = auth.Session!.State;
        if (state.Mfa?.UnshownRecoveryCodes is { } unshown)
        {
            var codes = recoveryCodes.OpenUnshown(unshown, user.Id);
            unused = codes is null ? null : await recoveryCodes.UnusedOfAsync(set, codes, ct);
            state.Mfa.UnshownRecoveryCodes = null;
            sessions.SaveState(auth, state);
            await db.SaveChangesAsync(ct);
        }
        return await DataAsync(set, unused, ct);
    }

    /// <summary>A new set replaces the old one (whose codes stop working); its codes are in this answer and this session's next GET.</summary>
    public async Task<ApiResult> RegenerateAsync(CancellationToken ct)
    {
        var user = auth.User!;
        // allauth's GenerateRecoveryCodesForm.clean: recovery codes back up another authenticator.
        if (!await db.Authenticators.AnyAsync(a => a.UserId == user.Id && a.Type != MfaTypes.RecoveryCodes, ct))
        {
            return ApiResult.BadRequest(ApiErrors.CannotGenerateRecoveryCodes());
        }
        if (await responses.RequireRecentAuthenticationAsync(auth, ct) is { } reauthenticate)
        {
            return reauthenticate;
        }
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.Authenticators.Where(a => a.UserId == user.Id && a.Type == MfaTypes.RecoveryCodes).ExecuteDeleteAsync(ct);
        var codes = recoveryCodes.Generate(user.Id);
        // The new set waits sealed in this session for its next GET too (then it is dropped): allauth's React SPA
        // posts on its "Generate" page and shows the codes from the GET of its "View" page, which allauth (not
        // showing once by default) answers with them. Only this session can see them, and only once more.
        var state = auth.Session!.State;
        state.Mfa ??= new MfaSessionState();
        state.Mfa.UnshownRecoveryCodes = recoveryCodes.SealUnshown(codes, user.Id);
        sessions.SaveState(auth, state);
        audit.Record(AuditEvents.MfaRecoveryCodesGenerated, user.Id);
        notices.Send(user.Email, SecurityNoticeTemplates.RecoveryCodesGenerated);
        // Two regenerations racing: the unique index (user, type) lets one set in, the other answers 409.
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        var set = await FindAsync(user.Id, ct);
        return await DataAsync(set!, codes, ct);
    }

    private Task<Authenticator?> FindAsync(long userId, CancellationToken ct) =>
        db.Authenticators.AsNoTracking().FirstOrDefaultAsync(a => a.UserId == userId && a.Type == MfaTypes.RecoveryCodes, ct);

    private async Task<ApiResult> DataAsync(Authenticator set, IReadOnlyList<string>? unused, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            await authenticators.WriteAsync(writer, set, ct, unused);
        }
        var json = buffer.ToArray();
        return new ApiResult(StatusCodes.Status200OK, w => w.WriteRawValue(json));
    }
}
