using Gatehouse.Account;
using Gatehouse.Account.Flows;
using Gatehouse.Audit;
using Gatehouse.Configuration;
using Gatehouse.Email;
using Gatehouse.Http;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Gatehouse.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Mfa.Totp;

/// <summary>GET/POST/DELETE account/authenticators/totp (allauth's ManageTOTPView and mfa/totp/internal/flows.py).</summary>
public sealed class TotpFlow(
    GatehouseDbContext db, AuthContext auth, AuthResponses responses, SessionStore sessions, TotpAuthenticator totp,
    MfaAuthenticators authenticators, Mfa.RecoveryCodes.RecoveryCodeSet recoveryCodes, SecurityNotices notices, Mailer mailer, AuditLog audit,
    UserDirectory users, LoginCompletion completion, TimeProvider time)
{
    /// <summary>
    /// Who is setting TOTP up: the logged-in user, or the user of a pending <c>mfa_setup</c> stage (a staff login
    /// that must set up a factor first). Null: neither, answered like the authenticated routes answer.
    /// </summary>
    private async Task<(SessionUser User, PendingFlow? Setup)?> SetterUpAsync(CancellationToken ct)
    {
        if (auth.User is { } loggedIn)
        {
            return (loggedIn, null);
        }
        var pending = auth.PendingAt(time.GetUtcNow().UtcDateTime);
        if (pending?.CurrentStage == FlowIds.MfaSetup && pending.UserId is { } userId && await users.FindByIdAsync(userId, ct) is { IsActive: true } user)
        {
            return (UserDirectory.ToSessionUser(user), pending);
        }
        return null;
    }

    /// <summary>
    /// The TOTP authenticator, or 404 with a new secret and its otpauth URL to set one up; the secret is kept
    /// (sealed) in the session for the activation, as allauth keeps it in its session.
    /// </summary>
    public async Task<ApiResult> GetAsync(CancellationToken ct)
    {
        if (await SetterUpAsync(ct) is not var (user, _))
        {
            return responses.Unauthenticated(auth);
        }
        if (await FindAsync(user.Id, ct) is { } existing)
        {
            return await DataAsync(existing, recoveryCodesGenerated: null, ct);
        }
        if (await authenticators.CannotAddAsync(user.Id, ct) is { } refusal)
        {
            return new ApiResult(StatusCodes.Status409Conflict, errors: [refusal]);
        }
        var secret = TotpAuthenticator.NewSecret();
        var state = auth.Session!.State;
        state.Mfa ??= new MfaSessionState();
        state.Mfa.TotpSecret = totp.SealPending(secret, user.Id);
        sessions.SaveState(auth, state);
        await db.SaveChangesAsync(ct);
        var url = totp.Url(user.Email ?? user.Username ?? user.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), secret, mailer.SiteName());
        return new ApiResult(StatusCodes.Status404NotFound)
        {
            ExtraMeta = w =>
            {
                w.WriteString("secret", secret);
                w.WriteString("totp_url", url);
            },
        };
    }

    /// <summary>Activates TOTP with a code for the secret offered by GET; recovery codes come with the first authenticator.</summary>
    public async Task<ApiResult> ActivateAsync(JsonInput input, CancellationToken ct)
    {
        if (await SetterUpAsync(ct) is not var (user, setup))
        {
            return responses.Unauthenticated(auth);
        }
        if (MfaCodeInput.Read(input) is not { Code: var code })
        {
            return ApiResult.BadRequest(input.Errors);
        }
        // allauth's ActivateTOTPForm.clean_code: may the user add one, then the code.
        if (await authenticators.CannotAddAsync(user.Id, ct) is { } refusal)
        {
            return ApiResult.BadRequest(refusal with { Param = "code" });
        }
        var state = auth.Session!.State;
        var secret = totp.OpenPending(state.Mfa?.TotpSecret, user.Id);
        if (secret is null || totp.MatchingStep(secret, code) is not { } step)
        {
            return IncorrectCode();
        }
        // A login's mfa_setup stage follows a proof made moments ago; a logged-in session must have made one recently.
        if (setup is null && await responses.RequireRecentAuthenticationAsync(auth, ct) is { } reauthenticate)
        {
            return reauthenticate;
        }
        if (await FindAsync(user.Id, ct) is not null)
        {
            return ApiResult.Conflict(); // activated meanwhile (a second tab, a double submit)
        }
        var authenticator = totp.Activate(user.Id, secret, step);
        audit.Record(AuditEvents.MfaAuthenticatorAdded, user.Id, new { type = MfaTypes.Totp });
        notices.Send(user.Email, SecurityNoticeTemplates.TotpActivated);
        var codes = await authenticators.AutoGenerateRecoveryCodesAsync(user.Id, ct);
        state.Mfa!.TotpSecret = null;
        if (codes is not null)
        {
            state.Mfa.UnshownRecoveryCodes = recoveryCodes.SealUnshown(codes, user.Id);
        }
        sessions.SaveState(auth, state);
        if (setup is not null)
        {
            // The staff login this set-up was required for completes now (the codes wait in the new session).
            var entity = await users.FindByIdAsync(user.Id, ct);
            return await completion.CompleteStageAsync(FlowIds.MfaSetup, entity!, setup, ct);
        }
        // Two activations racing both pass the check above; the unique index (user, type) lets one in and
        // the endpoint filter answers the other 409.
        await db.SaveChangesAsync(ct);
        return await DataAsync(authenticator, recoveryCodesGenerated: codes is not null, ct);
    }

    public async Task<ApiResult> DeactivateAsync(CancellationToken ct)
    {
        var user = auth.User!;
        var existing = await FindAsync(user.Id, ct);
        if (existing is null)
        {
            return ApiResult.Ok(); // allauth answers 200 when there is nothing to deactivate
        }
        if (await responses.RequireRecentAuthenticationAsync(auth, ct) is { } reauthenticate)
        {
            return reauthenticate;
        }
        db.Attach(existing);
        await authenticators.RemoveAsync(existing, ct);
        notices.Send(user.Email, SecurityNoticeTemplates.TotpDeactivated);
        await db.SaveChangesAsync(ct);
        return ApiResult.Ok();
    }

    private Task<Authenticator?> FindAsync(long userId, CancellationToken ct) =>
        db.Authenticators.AsNoTracking().FirstOrDefaultAsync(a => a.UserId == userId && a.Type == MfaTypes.Totp, ct);

    private async Task<ApiResult> DataAsync(Authenticator authenticator, bool? recoveryCodesGenerated, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            await authenticators.WriteAsync(writer, authenticator, ct);
        }
        var json = buffer.ToArray();
        return new ApiResult(StatusCodes.Status200OK, w => w.WriteRawValue(json))
        {
            // The contract's TOTPAuthenticator response has meta.recovery_codes_generated.
            ExtraMeta = recoveryCodesGenerated is { } generated ? w => w.WriteBoolean("recovery_codes_generated", generated) : null,
        };
    }

    private static ApiResult IncorrectCode() => ApiResult.BadRequest(ApiErrors.IncorrectCode("code"));
}
