using System.Globalization;
using System.Text;
using System.Text.Json;
using Fido2NetLib;
using Fido2NetLib.Objects;
using Gatehouse.Account;
using Gatehouse.Account.Flows;
using Gatehouse.Audit;
using Gatehouse.Configuration;
using Gatehouse.Email;
using Gatehouse.Http;
using Gatehouse.Mfa.RecoveryCodes;
using Gatehouse.RateLimiting;
using Gatehouse.Security;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Gatehouse.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Gatehouse.Mfa.WebAuthn;

/// <summary>
/// Every WebAuthn endpoint (allauth's headless/mfa/views.py WebAuthn views over mfa/webauthn/internal/flows.py):
/// managing credentials, the second factor of a pending login, passkey login, reauthentication and passkey
/// signup. The ceremony's options go out on GET and its state waits in the session (<see cref="WebAuthnCeremony"/>);
/// the answer is verified by <see cref="WebAuthnRelyingParty"/> against the options and the credential this class
/// looked up. Every refusal is allauth's <c>incorrect_code</c> and changes nothing.
/// </summary>
public sealed class WebAuthnFlow(
    GatehouseDbContext db, AuthContext auth, AuthResponses responses, SessionStore sessions, LoginCompletion completion,
    UserDirectory users, CodeChallenges challenges, WebAuthnRelyingParty rp, MfaAuthenticators authenticators, RecoveryCodeSet recoveryCodes,
    SecurityNotices notices, AuditLog audit, RateLimiter rateLimiter, MfaFlow mfa, TimeProvider time)
{
    private const string ChallengePurpose = CodePurposes.WebAuthn;
    private const string Credential = WebAuthnCredentialInput.Field;

    // ---- account/authenticators/webauthn: list-independent management (allauth's ManageWebAuthnView) ----

    /// <summary>GET: creation options for a new credential; <c>?passwordless</c> asks for a passkey (resident key, user verification).</summary>
    public async Task<ApiResult> BeginAddAsync(bool passwordless, CancellationToken ct)
    {
        var userId = auth.User!.Id;
        if (await authenticators.CannotAddAsync(userId, ct) is { } refused)
        {
            return new ApiResult(StatusCodes.Status409Conflict, errors: [refused]);
        }
        if (await responses.RequireRecentAuthenticationAsync(auth, ct) is { } reauthenticate)
        {
            return reauthenticate;
        }
        var user = (await users.FindByIdAsync(userId, ct))!;
        return await BeginRegistrationAsync(user, WebAuthnPurposes.Register, passwordless, ct);
    }

    /// <summary>POST {name?, credential}: verifies the new credential against the options this session was given and stores it.</summary>
    public async Task<ApiResult> AddAsync(JsonInput input, CancellationToken ct)
    {
        var userId = auth.User!.Id;
        if (await authenticators.CannotAddAsync(userId, ct) is { } refused)
        {
            return new ApiResult(StatusCodes.Status409Conflict, errors: [refused]);
        }
        if (WebAuthnAddInput.Read(input) is not (var name, var credential))
        {
            return ApiResult.BadRequest(input.Errors);
        }
        if (await responses.RequireRecentAuthenticationAsync(auth, ct) is { } reauthenticate)
        {
            return reauthenticate;
        }
        var added = await RegisterAsync(userId, WebAuthnPurposes.Register, name, credential, ct);
        if (added is null)
        {
            // allauth raises this from the form's clean(): a non-field error.
            return ApiResult.BadRequest(ApiErrors.IncorrectCode(null));
        }
        var user = (await users.FindByIdAsync(userId, ct))!;
        notices.Send(PrimaryEmail(user), SecurityNoticeTemplates.WebAuthnAdded);
        // allauth's auto_generate_recovery_codes: the first authenticator brings recovery codes, shown once by
        // GET recovery-codes from this session (sealed there; only their HMACs are stored).
        var codes = await authenticators.AutoGenerateRecoveryCodesAsync(userId, ct);
        if (codes is not null)
        {
            var state = auth.Session!.State;
            state.Mfa ??= new MfaSessionState();
            state.Mfa.UnshownRecoveryCodes = recoveryCodes.SealUnshown(codes, userId);
            sessions.SaveState(auth, state);
        }
        await db.SaveChangesAsync(ct);
        return new ApiResult(StatusCodes.Status200OK, w => WriteAuthenticator(w, added))
        {
            ExtraMeta = w => w.WriteBoolean("recovery_codes_generated", codes is not null),
        };
    }

    /// <summary>PUT {id, name}: renames one of the user's own credentials.</summary>
    public async Task<ApiResult> RenameAsync(JsonInput input, CancellationToken ct)
    {
        var userId = auth.User!.Id;
        var (id, name) = WebAuthnRenameInput.Read(input);
        Authenticator? authenticator = null;
        if (id is not null)
        {
            authenticator = await db.Authenticators.FirstOrDefaultAsync(a => a.Id == id && a.UserId == userId && a.Type == MfaTypes.WebAuthn, ct);
            if (authenticator is null)
            {
                input.AddError(ApiErrors.InvalidChoice("id"));
            }
        }
        if (!input.IsValid)
        {
            return ApiResult.BadRequest(input.Errors);
        }
        if (await responses.RequireRecentAuthenticationAsync(auth, ct) is { } reauthenticate)
        {
            return reauthenticate;
        }
        var data = WebAuthnData.Parse(authenticator!.Data);
        if (data is null)
        {
            return ApiResult.BadRequest(ApiErrors.InvalidChoice("id"));
        }
        data.Name = name!;
        authenticator.Data = data.Serialize();
        await db.SaveChangesAsync(ct);
        return ApiResult.Ok(w => WriteAuthenticator(w, authenticator));
    }

    /// <summary>DELETE {authenticators: [ids]}: removes the user's own credentials (and recovery codes left without a second factor).</summary>
    public async Task<ApiResult> RemoveAsync(JsonInput input, CancellationToken ct)
    {
        var userId = auth.User!.Id;
        var ids = WebAuthnRemoveInput.Read(input).Ids;
        List<Authenticator> found = [];
        if (ids is not null)
        {
            found = await db.Authenticators.Where(a => ids.Contains(a.Id) && a.UserId == userId && a.Type == MfaTypes.WebAuthn).ToListAsync(ct);
            if (ids.FirstOrDefault(i => found.All(a => a.Id != i)) is var unknown && found.Count != ids.Distinct().Count())
            {
                input.AddError(ApiErrors.InvalidChoiceInList(unknown, "authenticators"));
            }
        }
        if (!input.IsValid)
        {
            return ApiResult.BadRequest(input.Errors);
        }
        if (await responses.RequireRecentAuthenticationAsync(auth, ct) is { } reauthenticate)
        {
            return reauthenticate;
        }
        // One transaction: the trusted browsers that end with the authenticators go or stay with them.
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var user = (await users.FindByIdAsync(userId, ct))!;
        foreach (var authenticator in found)
        {
            // allauth's delete_and_cleanup: recovery codes left backing up nothing go too.
            await authenticators.RemoveAsync(authenticator, ct);
            await db.SaveChangesAsync(ct);
            notices.Send(PrimaryEmail(user), SecurityNoticeTemplates.WebAuthnRemoved);
        }
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return ApiResult.Ok();
    }

    // ---- auth/webauthn/authenticate: the second factor of a pending login (mfa_authenticate) ----

    public async Task<ApiResult> BeginAuthenticateAsync(CancellationToken ct)
    {
        // allauth's AuthenticationStageAPIView: no mfa_authenticate pending is the plain 401 with the flows.
        if (mfa.PendingAuthenticate() is not { } pending)
        {
            return responses.Unauthenticated(auth);
        }
        return await BeginAssertionAsync(WebAuthnPurposes.Authenticate, pending.UserId!.Value, UserVerificationRequirement.Preferred, ct);
    }

    /// <summary>
    /// POST {credential}: the assertion is the factor MfaFlow checks, so a key goes through exactly what a TOTP or
    /// recovery code does: the stage's attempt count, the per-user login_failed limit, the stage challenge used up
    /// once, the is_active check, the method record and audit.
    /// </summary>
    public async Task<ApiResult> AuthenticateAsync(JsonInput input, CancellationToken ct)
    {
        if (mfa.PendingAuthenticate() is not { } pending)
        {
            return responses.Unauthenticated(auth);
        }
        if (WebAuthnCredentialInput.Read(input) is not { Credential: var credential })
        {
            return ApiResult.BadRequest(input.Errors);
        }
        return await mfa.CompleteAuthenticateAsync(
            pending,
            async (userId, token) => (await AssertAsync(WebAuthnPurposes.Authenticate, userId, credential, token, countFailures: false)).Used,
            ApiErrors.IncorrectCode(Credential),
            ct);
    }

    // ---- auth/webauthn/login: passkey login (discoverable credential, user verification required) ----

    public async Task<ApiResult> BeginLoginAsync(CancellationToken ct)
    {
        if (auth.IsAuthenticated)
        {
            return ApiResult.Conflict();
        }
        return await BeginAssertionAsync(WebAuthnPurposes.Login, null, UserVerificationRequirement.Required, ct);
    }

    public async Task<ApiResult> LoginAsync(JsonInput input, CancellationToken ct)
    {
        if (WebAuthnCredentialInput.Read(input) is not { Credential: var credential })
        {
            return ApiResult.BadRequest(input.Errors);
        }
        if (auth.IsAuthenticated)
        {
            return ApiResult.Conflict();
        }
        var (used, error) = await AssertAsync(WebAuthnPurposes.Login, null, credential, ct);
        if (used is null)
        {
            return error!;
        }
        var user = await users.FindByIdAsync(used.UserId, ct);
        if (user is null || !user.IsActive)
        {
            // allauth answers an inactive account with the plain 401, as the password login does.
            audit.Record(AuditEvents.LoginFailed, user?.Id, new { reason = "inactive", method = "mfa" });
            await db.SaveChangesAsync(ct);
            return completion.Unauthenticated();
        }
        audit.Record(AuditEvents.MfaAuthenticated, user.Id, new { type = MfaTypes.WebAuthn, id = used.Id, passwordless = true });
        // Through the login stages like every way in: verify_email still applies; mfa_authenticate does not,
        // since this passkey was the second factor (allauth's did_use_passwordless_login).
        return await completion.ProceedAsync(user, [MfaMethod(used, reauthenticated: false, passwordless: true)], signup: false, ct);
    }

    // ---- auth/webauthn/reauthenticate ----

    public Task<ApiResult> BeginReauthenticateAsync(CancellationToken ct) =>
        BeginAssertionAsync(WebAuthnPurposes.Reauthenticate, auth.User!.Id, UserVerificationRequirement.Preferred, ct);

    public async Task<ApiResult> ReauthenticateAsync(JsonInput input, CancellationToken ct)
    {
        var userId = auth.User!.Id;
        if (WebAuthnCredentialInput.Read(input) is not { Credential: var credential })
        {
            return ApiResult.BadRequest(input.Errors);
        }
        var (used, error) = await AssertAsync(WebAuthnPurposes.Reauthenticate, userId, credential, ct);
        if (used is null)
        {
            return error!;
        }
        var state = auth.Session!.State;
        state.WebAuthn = null;
        state.Methods.Add(MfaMethod(used, reauthenticated: true, passwordless: false));
        sessions.SaveState(auth, state);
        audit.Record(AuditEvents.Reauthenticated, userId, new { method = "mfa", type = MfaTypes.WebAuthn, id = used.Id });
        await db.SaveChangesAsync(ct);
        return responses.Authenticated(auth);
    }

    // ---- auth/webauthn/signup: the mfa_signup_webauthn stage of a passkey signup ----

    public async Task<ApiResult> BeginSignupAsync(CancellationToken ct)
    {
        if (PendingStage(FlowIds.MfaSignupWebAuthn) is not { } pending || await users.FindByIdAsync(pending.UserId!.Value, ct) is not { } user)
        {
            return ApiResult.Conflict();
        }
        return await BeginRegistrationAsync(user, WebAuthnPurposes.Signup, passwordless: true, ct);
    }

    public async Task<ApiResult> CompleteSignupAsync(JsonInput input, CancellationToken ct)
    {
        if (PendingStage(FlowIds.MfaSignupWebAuthn) is not { } pending)
        {
            return ApiResult.Conflict();
        }
        if (WebAuthnAddInput.Read(input) is not (var name, var credential))
        {
            return ApiResult.BadRequest(input.Errors);
        }
        var userId = pending.UserId!.Value;
        var user = await users.FindByIdAsync(userId, ct);
        if (user is null)
        {
            return ApiResult.Conflict();
        }
        var added = await RegisterAsync(userId, WebAuthnPurposes.Signup, name, credential, ct);
        if (added is null)
        {
            return ApiResult.BadRequest(ApiErrors.IncorrectCode(null));
        }
        // allauth's signup_authenticator: no notice mail and no recovery codes at signup.
        return await completion.CompleteStageAsync(FlowIds.MfaSignupWebAuthn, user, pending, ct);
    }

    // ---- the ceremonies ----

    private async Task<ApiResult> BeginRegistrationAsync(User user, string purpose, bool passwordless, CancellationToken ct)
    {
        var existing = await CredentialIdsAsync(user.Id, ct);
        var primary = PrimaryEmail(user);
        var options = rp.BeginRegistration(new Fido2User
        {
            Id = UserHandle(user.Id),
            // allauth's get_public_key_credential_user_entity: name is the email (else username), display the username.
            Name = primary ?? user.Username ?? user.Id.ToString(CultureInfo.InvariantCulture),
            DisplayName = user.Username ?? primary ?? user.Id.ToString(CultureInfo.InvariantCulture),
        }, existing, passwordless);
        var json = options.ToJson();
        Begin(purpose, json, user.Id);
        await db.SaveChangesAsync(ct);
        return ApiResult.Ok(w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("creation_options");
            w.WritePropertyName("publicKey");
            w.WriteRawValue(json);
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    private async Task<ApiResult> BeginAssertionAsync(string purpose, long? userId, UserVerificationRequirement userVerification, CancellationToken ct)
    {
        var allowed = userId is { } id ? await CredentialIdsAsync(id, ct) : [];
        var json = rp.BeginAssertion(allowed, userVerification).ToJson();
        Begin(purpose, json, userId);
        await db.SaveChangesAsync(ct);
        return ApiResult.Ok(w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("request_options");
            w.WritePropertyName("publicKey");
            w.WriteRawValue(json);
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    /// <summary>Keeps the ceremony in the session (replacing an earlier one: the newest options are the only ones answerable).</summary>
    private void Begin(string purpose, string optionsJson, long? userId)
    {
        var expiresAt = time.GetUtcNow().UtcDateTime + WebAuthnRelyingParty.CeremonyLifetime;
        var state = auth.Session?.State ?? new SessionState();
        state.WebAuthn = new WebAuthnCeremony
        {
            Purpose = purpose,
            Options = optionsJson,
            Challenge = challenges.Issue(ChallengePurpose, code: null, expiresAt),
            UserId = userId,
            ExpiresAt = expiresAt,
        };
        sessions.SaveState(auth, state);
    }

    /// <summary>The session's live ceremony for <paramref name="purpose"/> and <paramref name="userId"/>, if any.</summary>
    private WebAuthnCeremony? Ceremony(string purpose, long? userId) =>
        auth.Session?.State.WebAuthn is { } ceremony && ceremony.Purpose == purpose && ceremony.UserId == userId &&
        ceremony.ExpiresAt > time.GetUtcNow().UtcDateTime
            ? ceremony
            : null;

    /// <summary>
    /// Verifies a registration answer and adds the credential to the unit of work (not saved); null when the
    /// answer does not verify, its challenge was used, or the credential is registered already (to anyone).
    /// </summary>
    private async Task<Authenticator?> RegisterAsync(long userId, string purpose, string? name, JsonElement credential, CancellationToken ct)
    {
        if (Ceremony(purpose, userId) is not { } ceremony)
        {
            return null;
        }
        var registered = await rp.CompleteRegistrationAsync(credential, ceremony.Options, ct);
        if (registered is null)
        {
            return null;
        }
        var credentialId = Base64Url(registered.Id);
        // One credential, one account: the unique index holds it against a concurrent registration too (a 409 then).
        if (credentialId.Length > 1400 || await db.Authenticators.AnyAsync(a => a.CredentialId == credentialId, ct))
        {
            return null;
        }
        if (!await challenges.ConsumeAsync(ChallengePurpose, ceremony.Challenge, ct))
        {
            return null; // the same answer, accepted by a concurrent request a moment ago
        }
        var now = time.GetUtcNow().UtcDateTime;
        var passwordless = ResidentKey(credential);
        var authenticator = new Authenticator
        {
            UserId = userId,
            Type = MfaTypes.WebAuthn,
            CredentialId = credentialId,
            Counter = registered.SignCount,
            CreatedAt = now,
            Data = new WebAuthnData
            {
                Name = string.IsNullOrWhiteSpace(name) ? await DefaultNameAsync(userId, ct) : name.Trim(),
                Passwordless = passwordless,
                PublicKey = Base64Url(registered.PublicKey),
                UserHandle = Base64Url(registered.User.Id),
                Aaguid = registered.AaGuid.ToString(),
                Transports = registered.Transports?.Select(t => t.ToString().ToLowerInvariant()).ToArray() ?? [],
                AttestationFormat = registered.AttestationFormat,
                BackupEligible = registered.IsBackupEligible,
                BackedUp = registered.IsBackedUp,
            }.Serialize(),
        };
        db.Authenticators.Add(authenticator);
        var state = auth.Session!.State;
        state.WebAuthn = null;
        sessions.SaveState(auth, state);
        audit.Record(AuditEvents.MfaAuthenticatorAdded, userId, new { type = MfaTypes.WebAuthn, passwordless });
        return authenticator;
    }

    /// <summary>
    /// Verifies an assertion: for a known user (second factor, reauthentication) only among that user's own
    /// credentials; for a passkey login the credential names its owner, and the answer's user handle must be
    /// the one the credential was created with. On success the challenge is consumed and the signature counter
    /// stored with a conditional update (a counter that did not grow, or a concurrent use, is refused).
    /// </summary>
    /// <remarks>
    /// <paramref name="countFailures"/> false: the caller (MfaFlow's stage completion) counts attempts and records
    /// failures itself, so this check must not count them a second time.
    /// </remarks>
    private async Task<(Authenticator? Used, ApiResult? Error)> AssertAsync(
        string purpose, long? userId, JsonElement credential, CancellationToken ct, bool countFailures = true)
    {
        var raw = rp.ParseAssertion(credential);
        if (raw is null || Ceremony(purpose, userId) is not { } ceremony)
        {
            return (null, ApiResult.BadRequest(ApiErrors.IncorrectCode(Credential)));
        }
        var credentialId = Base64Url(raw.RawId);
        var query = db.Authenticators.AsNoTracking().Where(a => a.Type == MfaTypes.WebAuthn && a.CredentialId == credentialId);
        if (userId is { } id)
        {
            query = query.Where(a => a.UserId == id);
        }
        else if (raw.Response.UserHandle is not { Length: > 0 })
        {
            // A passkey (discoverable credential) always answers with its user handle; one without is no passkey login.
            return (null, ApiResult.BadRequest(ApiErrors.IncorrectCode(Credential)));
        }
        var stored = await query.FirstOrDefaultAsync(ct);
        var owner = stored?.UserId ?? userId;
        // allauth's check_rate_limit: failed second factors count against the account like failed passwords.
        var subject = new RateLimitSubject(Ip: auth.Ip, Key: "mfa-auth-user-" + (owner?.ToString(CultureInfo.InvariantCulture) ?? "unknown"));
        if (countFailures && !await rateLimiter.TryHitAsync("login_failed", subject, ct))
        {
            return (null, ApiResult.BadRequest(ApiErrors.TooManyLoginAttempts(Credential)));
        }
        var data = stored is null ? null : WebAuthnData.Parse(stored.Data);
        if (stored is null || data is null)
        {
            return (null, countFailures ? await FailedAsync(owner, ct) : null);
        }
        var storedCounter = (uint)Math.Clamp(stored.Counter ?? 0, 0, uint.MaxValue);
        var result = await rp.CompleteAssertionAsync(raw, ceremony.Options, FromBase64Url(data.PublicKey), storedCounter, FromBase64Url(data.UserHandle), ct);
        if (result is null)
        {
            return (null, countFailures ? await FailedAsync(owner, ct) : null);
        }
        if (!await challenges.ConsumeAsync(ChallengePurpose, ceremony.Challenge, ct))
        {
            return (null, ApiResult.BadRequest(ApiErrors.IncorrectCode(Credential))); // replayed beside its first use
        }
        // W3C 7.2 step 21: the counter must grow unless both are zero (authenticators without a counter).
        // Conditional on the value verified against, so two uses of one counter value cannot both pass.
        var newCounter = (long)result.SignCount;
        var now = time.GetUtcNow().UtcDateTime;
        var updated = await db.Authenticators
            .Where(a => a.Id == stored.Id && a.Counter == stored.Counter &&
                (a.Counter < newCounter || (newCounter == 0 && (a.Counter == null || a.Counter == 0))))
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Counter, newCounter).SetProperty(a => a.LastUsedAt, now), ct);
        if (updated == 0)
        {
            return (null, countFailures ? await FailedAsync(owner, ct) : null);
        }
        if (countFailures)
        {
            await rateLimiter.UndoHitAsync("login_failed", subject, ct);
        }
        stored.Counter = newCounter;
        stored.LastUsedAt = now;
        return (stored, null);
    }

    private async Task<ApiResult> FailedAsync(long? userId, CancellationToken ct)
    {
        audit.Record(AuditEvents.MfaFailed, userId, new { type = MfaTypes.WebAuthn });
        await db.SaveChangesAsync(ct);
        return ApiResult.BadRequest(ApiErrors.IncorrectCode(Credential));
    }

    // ---- helpers ----

    private PendingFlow? PendingStage(string stageId) =>
        auth.PendingAt(time.GetUtcNow().UtcDateTime) is { UserId: not null } pending && pending.CurrentStage == stageId ? pending : null;

    private Task<List<byte[]>> CredentialIdsAsync(long userId, CancellationToken ct) =>
        db.Authenticators.AsNoTracking().Where(a => a.UserId == userId && a.Type == MfaTypes.WebAuthn && a.CredentialId != null)
            .Select(a => a.CredentialId!).ToListAsync(ct)
            .ContinueWith(t => t.Result.Select(FromBase64Url).ToList(), ct, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);

    /// <summary>allauth's generate_authenticator_name.</summary>
    private async Task<string> DefaultNameAsync(long userId, CancellationToken ct)
    {
        var n = await db.Authenticators.CountAsync(a => a.UserId == userId && a.Type == MfaTypes.WebAuthn, ct);
        return n switch { 0 => "Master key", 1 => "Backup key", _ => $"Key nr. {(n + 1).ToString(CultureInfo.InvariantCulture)}" };
    }

    /// <summary>allauth's is_passwordless: clientExtensionResults.credProps.rk as the client reported it, else null.</summary>
    private static bool? ResidentKey(JsonElement credential) =>
        credential.TryGetProperty("clientExtensionResults", out var results) && results.ValueKind == JsonValueKind.Object &&
        results.TryGetProperty("credProps", out var props) && props.ValueKind == JsonValueKind.Object &&
        props.TryGetProperty("rk", out var rk) && rk.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? rk.GetBoolean()
            : null;

    private AuthMethod MfaMethod(Authenticator used, bool reauthenticated, bool passwordless) => new()
    {
        Method = "mfa",
        At = AuthResponses.Epoch(time.GetUtcNow()),
        Id = used.Id,
        Type = MfaTypes.WebAuthn,
        Reauthenticated = reauthenticated ? true : null,
        Passwordless = passwordless ? true : null,
    };

    /// <summary>allauth's user handle: the user's primary key as text (user_pk_to_url_str), so Django-made passkeys keep working.</summary>
    internal static byte[] UserHandle(long userId) => Encoding.UTF8.GetBytes(userId.ToString(CultureInfo.InvariantCulture));

    private static string? PrimaryEmail(User user) =>
        (user.EmailAddresses.FirstOrDefault(e => e.IsPrimary && e.Verified) ?? user.EmailAddresses.FirstOrDefault(e => e.Verified))?.Email;

    internal static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    internal static byte[] FromBase64Url(string text) => System.Buffers.Text.Base64Url.DecodeFromChars(text);

    /// <summary>allauth's _authenticator_data for a WebAuthn authenticator.</summary>
    internal static void WriteAuthenticator(Utf8JsonWriter w, Authenticator authenticator)
    {
        var data = WebAuthnData.Parse(authenticator.Data);
        w.WriteStartObject();
        w.WriteString("type", authenticator.Type);
        w.WriteNumber("created_at", AuthResponses.Epoch(new DateTimeOffset(DateTime.SpecifyKind(authenticator.CreatedAt, DateTimeKind.Utc))));
        if (authenticator.LastUsedAt is { } used)
        {
            w.WriteNumber("last_used_at", AuthResponses.Epoch(new DateTimeOffset(DateTime.SpecifyKind(used, DateTimeKind.Utc))));
        }
        else
        {
            w.WriteNull("last_used_at");
        }
        w.WriteNumber("id", authenticator.Id);
        w.WriteString("name", data?.Name ?? "");
        if (data?.Passwordless is { } passwordless)
        {
            w.WriteBoolean("is_passwordless", passwordless);
        }
        w.WriteEndObject();
    }
}
