using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Gatehouse.Audit;
using Gatehouse.Http;
using Gatehouse.Security;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Gatehouse.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Tokens;

/// <summary>An access token and the refresh token that goes with it.</summary>
public sealed record TokenPair(string AccessToken, string RefreshToken);

/// <summary>Why a refresh was refused: unknown, expired or session ended (<see cref="Invalid"/>), or a spent token presented again (<see cref="Reused"/>).</summary>
public enum RefreshFailure { None, Invalid, Reused }

/// <summary>The answer of <see cref="RefreshTokenFlow.RotateAsync"/>: the next pair (no refresh token without rotation) or why not.</summary>
public sealed record RefreshOutcome(RefreshFailure Failure, string? AccessToken = null, string? RefreshToken = null)
{
    public static readonly RefreshOutcome Invalid = new(RefreshFailure.Invalid);
}

/// <summary>
/// Refresh tokens in families (one family per app session): <c>POST tokens/refresh</c> and the first pair at login.
/// A refresh token is opaque and stored only as its SHA-256 (<see cref="RefreshTokenMint"/>). With rotation on,
/// each is single-use: it is spent by one conditional UPDATE, in the same transaction that stores its
/// successor. Presenting a spent token within <see cref="TokenOptions.RefreshReuseGracePeriod"/> answers the
/// same pair again (a client's concurrent refreshes: never two diverging families); after it, the reuse
/// means the token was copied, so the family and its session end (401, audit <c>refresh_token_reused</c>).
/// </summary>
public sealed partial class RefreshTokenFlow(
    GatehouseDbContext db, AccessTokenClaimsBuilder claims, AccessTokenIssuer issuer, SessionLookup sessions,
    RefreshTokenMint mint, SecretBox box, AuditLog audit, IOptions<TokenOptions> options, TimeProvider time, ILogger<RefreshTokenFlow> logger)
{
    private const string SuccessorPurpose = "tokens.refresh_successor";
    internal const int MaxTokenLength = 128;
    private readonly TokenOptions _options = options.Value;

    /// <summary>
    /// The access token of a session that just logged in (its first refresh token was stored with it, in the
    /// flow's transaction: <see cref="RefreshTokenMint.ForNewSession"/>). Null when the session is no longer alive:
    /// a concurrent request (logout elsewhere, a password change) ended it after the flow's commit, or its user went.
    /// </summary>
    public async Task<string?> FirstAccessTokenAsync(long sessionId, long userId, CancellationToken ct) =>
        await sessions.FindByIdAsync(sessionId, userId, ct) is null ? null : await AccessTokenAsync(userId, sessionId, ct);

    /// <summary>POST tokens/refresh <c>{"refresh_token"}</c>: 200 <c>{access_token, refresh_token?}</c>.</summary>
    public async Task<ApiResult> RefreshAsync(JsonInput input, CancellationToken ct)
    {
        if (RefreshTokenInput.Read(input) is not { RefreshToken: var presented })
        {
            return ApiResult.BadRequest(input.Errors);
        }
        var outcome = await RotateAsync(presented, ct);
        return outcome.Failure switch
        {
            RefreshFailure.None => Answer(outcome.AccessToken!, outcome.RefreshToken),
            RefreshFailure.Reused => new ApiResult(StatusCodes.Status401Unauthorized, errors:
                [ApiErrors.RefreshTokenReused("refresh_token")]),
            _ => InvalidToken(),
        };
    }

    /// <summary>
    /// Spends <paramref name="presented"/> and answers the next pair (the refresh token only with rotation): the one
    /// implementation behind allauth's <c>tokens/refresh</c> and the cookie endpoints' <c>token/refresh/</c>.
    /// </summary>
    public async Task<RefreshOutcome> RotateAsync(string presented, CancellationToken ct)
    {
        if (presented.Length > MaxTokenLength)
        {
            return RefreshOutcome.Invalid;
        }
        var hash = Secrets.Sha256(presented);
        var now = time.GetUtcNow().UtcDateTime;
        var found = await FindAsync(hash, ct);
        if (found is null || found.ExpiresAt <= now)
        {
            return RefreshOutcome.Invalid;
        }

        if (found.UsedAt is { } usedAt)
        {
            return await SpentAsync(found, usedAt, now, ct);
        }

        if (await sessions.FindByIdAsync(found.SessionId, found.UserId, ct) is null)
        {
            return RefreshOutcome.Invalid; // the session ended (logout, password change, deactivated): its family with it
        }
        var access = await AccessTokenAsync(found.UserId, found.SessionId, ct);
        if (access is null)
        {
            return RefreshOutcome.Invalid;
        }
        if (!_options.RotateRefreshToken)
        {
            // allauth: the same refresh token stays valid until it expires, and the answer carries none.
            return new RefreshOutcome(RefreshFailure.None, access, null);
        }

        var (refresh, successor) = mint.Next(found.SessionId, found.SessionExpiresAt);
        var sealedPair = box.Seal(JsonSerializer.Serialize(new SealedPair(access, refresh)), SuccessorPurpose, Binding(found.Id));
        await using (var transaction = await db.Database.BeginTransactionAsync(ct))
        {
            // Spend first: of concurrent refreshes with one token exactly one gets here with a row.
            var spent = await db.RefreshTokens
                .Where(t => t.Id == found.Id && t.UsedAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(t => t.UsedAt, now).SetProperty(t => t.Successor, sealedPair), ct);
            if (spent == 0)
            {
                await transaction.RollbackAsync(ct);
                // A concurrent refresh spent it first: within the grace period its pair is ours too.
                var again = await FindAsync(hash, ct);
                return again?.UsedAt is { } concurrentUse ? await SpentAsync(again, concurrentUse, now, ct) : RefreshOutcome.Invalid;
            }
            db.RefreshTokens.Add(successor);
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException ex) when (DatabaseConflict.IsForeignKeyViolation(ex))
            {
                // The session was deleted meanwhile (its foreign key is gone): the family ended.
                db.ChangeTracker.Clear();
                await transaction.RollbackAsync(ct);
                return RefreshOutcome.Invalid;
            }
            await transaction.CommitAsync(ct);
        }
        return new RefreshOutcome(RefreshFailure.None, access, refresh);
    }

    /// <summary>
    /// The session (and its user) of a refresh token that has not expired, spent or not: what a logout that
    /// carries only the refresh token ends. Null when the token names no session.
    /// </summary>
    public async Task<(long SessionId, long UserId)?> SessionOfAsync(string presented, CancellationToken ct)
    {
        if (presented.Length > MaxTokenLength)
        {
            return null;
        }
        var found = await FindAsync(Secrets.Sha256(presented), ct);
        return found is not null && found.ExpiresAt > time.GetUtcNow().UtcDateTime ? (found.SessionId, found.UserId) : null;
    }

    /// <summary>A spent token: the same pair within the grace period, otherwise reuse, which ends the family.</summary>
    private async Task<RefreshOutcome> SpentAsync(Found found, DateTime usedAt, DateTime now, CancellationToken ct)
    {
        if (now - usedAt <= _options.RefreshReuseGracePeriod && found.Successor is { } sealedPair)
        {
            SealedPair? pair;
            try
            {
                pair = JsonSerializer.Deserialize<SealedPair>(box.Open(sealedPair, SuccessorPurpose, Binding(found.Id)));
            }
            catch (CryptographicException)
            {
                pair = null; // fail closed: a successor that does not open for this row is not handed out
            }
            if (pair is not null)
            {
                // The pair was minted before; the session may have ended since (password change, deactivation).
                return await sessions.FindByIdAsync(found.SessionId, found.UserId, ct) is null
                    ? RefreshOutcome.Invalid
                    : new RefreshOutcome(RefreshFailure.None, pair.A, pair.R);
            }
        }

        await using (var transaction = await db.Database.BeginTransactionAsync(ct))
        {
            var ended = await db.Sessions.Where(s => s.Id == found.SessionId).ExecuteDeleteAsync(ct);
            if (ended > 0)
            {
                audit.Record(AuditEvents.RefreshTokenReused, found.UserId, new { session = found.SessionId });
                await db.SaveChangesAsync(ct);
            }
            await transaction.CommitAsync(ct);
            if (ended > 0)
            {
                Log.Reused(logger, found.UserId, found.SessionId);
            }
        }
        return new RefreshOutcome(RefreshFailure.Reused);
    }

    private sealed record Found(long Id, long SessionId, long UserId, DateTime ExpiresAt, DateTime? UsedAt, string? Successor, DateTime SessionExpiresAt);

    private async Task<Found?> FindAsync(byte[] hash, CancellationToken ct) =>
        await db.RefreshTokens.AsNoTracking()
            .Where(t => t.TokenHash == hash)
            .Join(db.Sessions.Where(s => s.UserId != null), t => t.SessionId, s => s.Id,
                (t, s) => new Found(t.Id, t.SessionId, s.UserId!.Value, t.ExpiresAt, t.UsedAt, t.Successor, s.ExpiresAt))
            .FirstOrDefaultAsync(ct);

    private async Task<string?> AccessTokenAsync(long userId, long sessionId, CancellationToken ct)
    {
        var built = await claims.BuildAsync(userId, sessionId, ct);
        return built is { } b ? issuer.Create(b.Subject, b.Claims) : null;
    }

    private static string Binding(long id) => id.ToString(CultureInfo.InvariantCulture);

    private static ApiResult Answer(string access, string? refresh) => ApiResult.Ok(w =>
    {
        w.WriteStartObject();
        w.WriteString("access_token", access);
        if (refresh is not null)
        {
            w.WriteString("refresh_token", refresh);
        }
        w.WriteEndObject();
    });

    /// <summary>allauth answers 400 with no errors; ours carries its code (allauth's <c>invalid_token</c>).</summary>
    private static ApiResult InvalidToken() =>
        ApiResult.BadRequest(ApiErrors.InvalidToken("refresh_token"));

    private sealed record SealedPair(string A, string R);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "A spent refresh token was presented again for user {UserId}; session {SessionId} and its refresh tokens were revoked")]
        public static partial void Reused(ILogger logger, long userId, long sessionId);
    }
}
