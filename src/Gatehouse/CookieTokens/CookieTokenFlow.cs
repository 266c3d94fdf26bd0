using System.Text.Json;
using Gatehouse.Account.Flows;
using Gatehouse.Http;
using Gatehouse.Mfa;
using Gatehouse.Mfa.WebAuthn;
using Gatehouse.Sessions;
using Gatehouse.Tokens;

namespace Gatehouse.CookieTokens;

/// <summary>
/// The cookie endpoints' logic. Nothing here checks a password, counts a rate limit, writes audit or mints a
/// token: register, login, the second factor and logout run the allauth API's own flows (<see cref="SignupFlow"/>,
/// <see cref="LoginFlow"/>, <see cref="MfaFlow"/>, <see cref="LogoutFlow"/>) on an app-kind session, and the tokens
/// are the JWT strategy's (<see cref="RefreshTokenFlow"/>: the session is the refresh family, with rotation, reuse
/// detection and the grace window). This class only turns their answers into SimpleJWT's and the session into
/// cookies. The session token itself never leaves the server: the client holds only the access and refresh tokens.
/// </summary>
public sealed class CookieTokenFlow(
    AuthContext auth, CookieTokenCookies cookies, RefreshTokenFlow refresh, AccessTokenValidator validator, SessionLookup tokenSessions, TimeProvider time)
{
    /// <summary>POST register/: allauth's signup (rules, enumeration prevention, mail); 201.</summary>
    public async Task<IResult> RegisterAsync(HttpContext http, JsonInput input, SignupFlow signup, CancellationToken ct)
    {
        var result = await signup.SignupAsync(input, ct);
        if (await LoggedInAsync(http, ct) is { } loggedIn)
        {
            return new DrfResult(StatusCodes.Status201Created, w =>
            {
                w.WriteStartObject();
                WriteUser(w, auth.User!);
                w.WriteString("access", loggedIn);
                w.WriteEndObject();
            });
        }
        if (_endedBeforeItsTokens)
        {
            return EndedBeforeItsTokens();
        }
        if (auth.Issued is not null && Pending() is not null)
        {
            // dj-rest-auth's answer when verification is mandatory; with enumeration prevention an address that
            // already has an account gets exactly this too (its owner is mailed instead).
            return DrfResult.Detail(StatusCodes.Status201Created, "Verification e-mail sent.");
        }
        return result.Status == StatusCodes.Status403Forbidden
            ? DrfResult.Detail(StatusCodes.Status403Forbidden, "Signup is closed.", "signup_closed")
            : Translate(result);
    }

    /// <summary>
    /// POST token/: allauth's login. Logged in: 200 <c>{"access"}</c> with both cookies. A user with a second
    /// factor is not logged in by this: 403 <c>{"detail": "2FA required", "code", "types"}</c> and the pending login
    /// in an HttpOnly cookie that only <c>token/2fa/</c> and <c>token/2fa/webauthn/</c> accept.
    /// </summary>
    public async Task<IResult> TokenAsync(HttpContext http, JsonInput input, LoginFlow login, CancellationToken ct)
    {
        var result = await login.LoginAsync(input, ct);
        if (await LoggedInAsync(http, ct) is { } access)
        {
            cookies.ClearPending(http);
            return AccessAnswer(access);
        }
        if (_endedBeforeItsTokens)
        {
            cookies.ClearPending(http);
            return EndedBeforeItsTokens();
        }
        if (auth.Issued is { } issued && Pending() is { } pending)
        {
            return PendingAnswer(http, issued, pending);
        }
        return Translate(result);
    }

    /// <summary>
    /// POST token/2fa/ <c>{"code"}</c>: the second factor of the login that token/ left pending (TOTP or a recovery
    /// code), through allauth's mfa_authenticate with its attempt limits. 200 <c>{"access"}</c> with both cookies.
    /// </summary>
    public async Task<IResult> TwoFactorAsync(HttpContext http, JsonInput input, MfaFlow mfa, SessionLookup sessions, CancellationToken ct)
    {
        if (await ResumePendingAsync(http, mfa, sessions, ct) is { } nothingPending)
        {
            return nothingPending;
        }
        return await SecondFactorAnswerAsync(http, await mfa.AuthenticateAsync(input, ct), ct);
    }

    /// <summary>
    /// GET token/2fa/webauthn/: the request options for a security key to finish the pending login, exactly the
    /// <c>data</c> of allauth's GET auth/webauthn/authenticate (<c>{"request_options": {"publicKey": ...}}</c>). The
    /// ceremony waits in the pending login's session; asking again replaces it.
    /// </summary>
    public async Task<IResult> WebAuthnOptionsAsync(HttpContext http, WebAuthnFlow webAuthn, MfaFlow mfa, SessionLookup sessions, CancellationToken ct)
    {
        if (await ResumePendingAsync(http, mfa, sessions, ct) is { } nothingPending)
        {
            return nothingPending;
        }
        if (NoSecurityKey(mfa) is { } noKey)
        {
            return noKey;
        }
        var result = await webAuthn.BeginAuthenticateAsync(ct);
        return result is { Status: StatusCodes.Status200OK, Data: { } data } ? new DrfResult(StatusCodes.Status200OK, data) : Translate(result);
    }

    /// <summary>
    /// POST token/2fa/webauthn/ <c>{"credential"}</c>: the key's assertion as the second factor, through allauth's
    /// WebAuthn mfa_authenticate (the same attempt limits and one-transaction completion as a code). 200
    /// <c>{"access"}</c> with both cookies, as token/2fa/ answers.
    /// </summary>
    public async Task<IResult> WebAuthnAsync(HttpContext http, JsonInput input, WebAuthnFlow webAuthn, MfaFlow mfa, SessionLookup sessions, CancellationToken ct)
    {
        if (await ResumePendingAsync(http, mfa, sessions, ct) is { } nothingPending)
        {
            return nothingPending;
        }
        if (NoSecurityKey(mfa) is { } noKey)
        {
            return noKey;
        }
        return await SecondFactorAnswerAsync(http, await webAuthn.AuthenticateAsync(input, ct), ct);
    }

    /// <summary>
    /// Puts the login the <c>mfa_pending</c> cookie names into this request's context; null when it waits at
    /// mfa_authenticate, else SimpleJWT's 401 (and the stale cookie cleared).
    /// </summary>
    private async Task<IResult?> ResumePendingAsync(HttpContext http, MfaFlow mfa, SessionLookup sessions, CancellationToken ct)
    {
        var pendingToken = cookies.ReadPending(http.Request);
        auth.Session = pendingToken is null ? null : await sessions.FindAsync(pendingToken, ClientKind.App, ct);
        if (mfa.PendingAuthenticate() is not null)
        {
            return null;
        }
        cookies.ClearPending(http);
        return DrfResult.Detail(StatusCodes.Status401Unauthorized, "No login is waiting for a second factor; log in again.", DrfResult.TokenNotValidCode);
    }

    /// <summary>
    /// A pending login whose user has no security key is refused before any ceremony is stored: nothing could pass it,
    /// and each one would write the session and a challenge row for whoever knows the password.
    /// </summary>
    private static DrfResult? NoSecurityKey(MfaFlow mfa) =>
        mfa.PendingAuthenticate() is { } pending && MfaAuthenticateStage.TypesOf(pending).Contains(Configuration.MfaTypes.WebAuthn)
            ? null
            : DrfResult.Detail(StatusCodes.Status400BadRequest, "This account has no security key; finish the login with a code at token/2fa/.", ErrorCodes.Invalid);

    /// <summary>The answer of a second factor (any kind): logged in, a later stage, or the refusal in DRF's shape.</summary>
    private async Task<IResult> SecondFactorAnswerAsync(HttpContext http, ApiResult result, CancellationToken ct)
    {
        if (await LoggedInAsync(http, ct) is { } access)
        {
            cookies.ClearPending(http);
            return AccessAnswer(access);
        }
        if (_endedBeforeItsTokens)
        {
            cookies.ClearPending(http);
            return EndedBeforeItsTokens();
        }
        if (Pending() is null)
        {
            cookies.ClearPending(http); // the stage ran out of attempts: the login starts again from the password
        }
        else if (auth.Issued is { } issued && Pending() is { } next && next.CurrentStage != FlowIds.MfaAuthenticate)
        {
            return PendingAnswer(http, issued, next);
        }
        return Translate(result);
    }

    /// <summary>POST token/refresh/: the refresh cookie, rotated; a spent one presented again ends its session.</summary>
    public async Task<IResult> RefreshAsync(HttpContext http, CancellationToken ct)
    {
        if (cookies.ReadRefresh(http.Request) is not { } presented)
        {
            return DrfResult.TokenNotValid("Refresh token not provided.");
        }
        var outcome = await refresh.RotateAsync(presented, ct);
        switch (outcome.Failure)
        {
            case RefreshFailure.None:
                cookies.WritePair(http, outcome.AccessToken!, outcome.RefreshToken);
                return AccessAnswer(outcome.AccessToken!);
            case RefreshFailure.Reused:
                cookies.ClearAll(http);
                return DrfResult.TokenNotValid("Token is blacklisted");
            default:
                cookies.ClearAll(http);
                return DrfResult.TokenNotValid();
        }
    }

    /// <summary>
    /// POST logout/: ends the session the refresh cookie (or else the access cookie) names, which blacklists its
    /// whole refresh family and refuses its access tokens at once; clears the cookies either way.
    /// </summary>
    public async Task<IResult> LogoutAsync(HttpContext http, LogoutFlow logout, CancellationToken ct)
    {
        cookies.ClearAll(http);
        (long SessionId, long UserId)? named = null;
        if (cookies.ReadRefresh(http.Request) is { } presented)
        {
            named = await refresh.SessionOfAsync(presented, ct);
        }
        if (named is null && cookies.ReadAccess(http.Request) is { } access &&
            await validator.ValidateAsync(access, stateful: false, ct) is { Token: { } token })
        {
            named = (token.SessionId, token.UserId);
        }
        auth.Session = named is { } n ? await tokenSessions.FindByIdAsync(n.SessionId, n.UserId, ct) : null;
        if (auth.Session is null)
        {
            return DrfResult.TokenNotValid();
        }
        await logout.LogoutAsync(ct);
        return DrfResult.Detail(StatusCodes.Status200OK, "Successfully logged out.");
    }

    /// <summary>GET auth-check/: whether the access cookie stands for a live session, and whose.</summary>
    public async Task<IResult> AuthCheckAsync(HttpContext http, CancellationToken ct)
    {
        if (cookies.ReadAccess(http.Request) is not { } access)
        {
            return DrfResult.NotAuthenticated();
        }
        var validation = await validator.ValidateAsync(access, stateful: true, ct);
        if (validation.Session?.User is not { } user)
        {
            return DrfResult.AccessTokenNotValid();
        }
        return new DrfResult(StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("authenticated", true);
            WriteUser(w, user);
            w.WriteEndObject();
        });
    }

    /// <summary>The access token of the session this request logged in (its first refresh token goes into the cookie), or null.</summary>
    private async Task<string?> LoggedInAsync(HttpContext http, CancellationToken ct)
    {
        if (auth.Issued is not { Row: { Id: > 0, UserId: { } userId } row })
        {
            return null;
        }
        // The first refresh token was stored with the session (CookieTokenFilter sets AuthContext.IssuesRefreshTokens).
        var refreshToken = auth.Issued.RefreshToken ?? throw new InvalidOperationException("A cookie-endpoint login was started without its first refresh token.");
        var access = await refresh.FirstAccessTokenAsync(row.Id, userId, ct);
        if (access is null)
        {
            _endedBeforeItsTokens = true; // a concurrent request ended the session after the login's commit
            return null;
        }
        cookies.WritePair(http, access, refreshToken);
        return access;
    }

    // Set by LoggedInAsync: the flow logged in, then lost its session to a concurrent request before the tokens existed.
    private bool _endedBeforeItsTokens;

    /// <summary>The answer for <see cref="_endedBeforeItsTokens"/>: never a login without its tokens.</summary>
    private static DrfResult EndedBeforeItsTokens() =>
        DrfResult.Detail(StatusCodes.Status409Conflict, "The session was ended by a concurrent request before its tokens were issued; log in again.");

    private PendingFlow? Pending() => auth.User is null ? auth.Session?.State.Pending : null;

    /// <summary>
    /// A login that needs more than the password. The second factor is finished at token/2fa/ (a code) or
    /// token/2fa/webauthn/ (a security key) with the pending login's session token in an HttpOnly cookie (never in
    /// the body: script cannot read it); <c>"types"</c> says which the user has. Other stages
    /// (an unverified address with mandatory verification, a staff account that must set up MFA) are finished
    /// through the allauth API; the answer names the stage.
    /// </summary>
    private IResult PendingAnswer(HttpContext http, IssuedSession issued, PendingFlow pending)
    {
        switch (pending.CurrentStage)
        {
            case FlowIds.MfaAuthenticate:
                var lifetime = pending.ExpiresAt - time.GetUtcNow().UtcDateTime;
                cookies.WritePending(http, issued.Token, lifetime > TimeSpan.Zero ? lifetime : TimeSpan.Zero);
                // "types" as allauth's pending mfa_authenticate flow lists them: a code (totp, recovery_codes) goes
                // to token/2fa/, a security key (webauthn) to token/2fa/webauthn/.
                var types = MfaAuthenticateStage.TypesOf(pending);
                return new DrfResult(StatusCodes.Status403Forbidden, w =>
                {
                    w.WriteStartObject();
                    w.WriteString("detail", "2FA required");
                    w.WriteString("code", ErrorCodes.MfaRequired);
                    w.WriteStartArray("types");
                    foreach (var type in types)
                    {
                        w.WriteStringValue(type);
                    }
                    w.WriteEndArray();
                    w.WriteEndObject();
                });
            case FlowIds.VerifyEmail:
                cookies.ClearPending(http);
                return DrfResult.Detail(StatusCodes.Status403Forbidden, "E-mail is not verified.", ErrorCodes.EmailNotVerified);
            default:
                cookies.ClearPending(http);
                return DrfResult.Detail(StatusCodes.Status403Forbidden, "This login needs a step these endpoints do not offer; finish it through the allauth API.", pending.CurrentStage);
        }
    }

    /// <summary>allauth's answer of a flow that did not log in, restated as SimpleJWT/DRF would answer it.</summary>
    private static IResult Translate(ApiResult result)
    {
        var errors = result.Errors;
        if (result.Status == StatusCodes.Status429TooManyRequests || errors.Any(e => e.Code == ErrorCodes.TooManyLoginAttempts))
        {
            // DRF's Throttled; allauth answers the login_failed lock-out with a 400.
            var message = errors.FirstOrDefault(e => e.Code == ErrorCodes.TooManyLoginAttempts)?.Message ?? "Request was throttled.";
            return DrfResult.Detail(StatusCodes.Status429TooManyRequests, message, "throttled");
        }
        if (errors.Any(e => e.Code is ErrorCodes.EmailPasswordMismatch or ErrorCodes.UsernamePasswordMismatch) ||
            (result.Status == StatusCodes.Status401Unauthorized && errors.Count == 0))
        {
            // SimpleJWT's TokenObtainSerializer: wrong password, unknown account and inactive account alike.
            return DrfResult.Detail(StatusCodes.Status401Unauthorized, "No active account found with the given credentials");
        }
        return result.Status switch
        {
            StatusCodes.Status400BadRequest => DrfResult.ValidationErrors(errors),
            StatusCodes.Status409Conflict => DrfResult.Detail(StatusCodes.Status409Conflict, "The request conflicted with a concurrent one; try again."),
            StatusCodes.Status401Unauthorized => DrfResult.NotAuthenticated(),
            _ => DrfResult.Detail(result.Status, errors.Count > 0 ? errors[0].Message : "The request could not be completed."),
        };
    }

    private static IResult AccessAnswer(string access) => new DrfResult(StatusCodes.Status200OK, w =>
    {
        w.WriteStartObject();
        w.WriteString("access", access);
        w.WriteEndObject();
    });

    /// <summary>The seeds' current-user fields (as GET /api/v1/users/me answers them).</summary>
    private static void WriteUser(Utf8JsonWriter w, SessionUser user)
    {
        w.WriteStartObject("user");
        w.WriteNumber("id", user.Id);
        w.WriteString("email", user.Email);
        w.WriteString("username", user.Username);
        w.WriteBoolean("has_mfa", user.HasMfa);
        w.WriteEndObject();
    }
}
