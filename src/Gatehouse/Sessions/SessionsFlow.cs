using Gatehouse.Audit;
using Gatehouse.Http;
using Gatehouse.Storage;
using Gatehouse.Configuration;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SessionOptions = Gatehouse.Configuration.SessionOptions;

namespace Gatehouse.Sessions;

/// <summary>GET/DELETE auth/sessions: the user's logged-in sessions, and ending some of them.</summary>
public sealed class SessionsFlow(
    GatehouseDbContext db, AuthContext auth, AuthResponses responses, SessionStore sessions, AuditLog audit, TimeProvider time,
    IOptions<SessionOptions> options)
{
    private sealed record Row(long Id, string UserAgent, string Ip, DateTime CreatedAt, DateTime LastSeenAt);

    public async Task<ApiResult> ListAsync(CancellationToken ct)
    {
        return List(await RowsAsync(ct));
    }

    public async Task<ApiResult> EndAsync(JsonInput input, CancellationToken ct)
    {
        if (EndSessionsInput.Read(input) is not { Ids: var ids })
        {
            return ApiResult.BadRequest(input.Errors);
        }
        var rows = await RowsAsync(ct);
        var known = rows.Select(r => r.Id).ToHashSet();
        // One id that is not this user's fails the whole request: nothing is ended.
        if (ids.Where(id => !known.Contains(id)).Select(id => (long?)id).FirstOrDefault() is { } unknown)
        {
            return ApiResult.BadRequest(ApiErrors.InvalidChoiceInList(unknown, "sessions"));
        }

        var userId = auth.User!.Id;
        // "Trust this browser" is revocable from the sessions page (allauth has no API for it): ending a browser's
        // session here ends every MFA trust that was granted or used in it (mfa_trusted_browser_sessions). First,
        // since deleting the session only drops that link (a plain logout keeps the trust, as allauth's cookie does).
        await db.TrustedBrowsers
            .Where(t => t.UserId == userId && db.TrustedBrowserSessions.Any(l => l.TrustedBrowserId == t.Id && ids.Contains(l.SessionId)))
            .ExecuteDeleteAsync(ct);
        var endsCurrent = ids.Contains(auth.Session!.Id);
        var others = ids.Where(id => id != auth.Session.Id).ToList();
        if (others.Count > 0)
        {
            await db.Sessions.Where(s => s.UserId == userId && others.Contains(s.Id)).ExecuteDeleteAsync(ct);
        }
        foreach (var id in ids)
        {
            audit.Record(AuditEvents.SessionEnded, userId, new { session = id });
        }
        if (endsCurrent)
        {
            audit.Record(AuditEvents.LoggedOut, userId);
            sessions.End(auth);
            await db.SaveChangesAsync(ct);
            return responses.Unauthenticated(auth);
        }
        await db.SaveChangesAsync(ct);
        return List(rows.Where(r => !ids.Contains(r.Id)).ToList());
    }

    private Task<List<Row>> RowsAsync(CancellationToken ct)
    {
        var userId = auth.User!.Id;
        var now = time.GetUtcNow().UtcDateTime;
        return db.Sessions.AsNoTracking()
            .Where(s => s.UserId == userId && s.ExpiresAt > now)
            .OrderBy(s => s.Id)
            .Select(s => new Row(s.Id, s.UserAgent, s.Ip, s.CreatedAt, s.LastSeenAt))
            .ToListAsync(ct);
    }

    private ApiResult List(List<Row> rows)
    {
        var current = auth.Session?.Id;
        return ApiResult.Ok(w =>
        {
            w.WriteStartArray();
            foreach (var row in rows)
            {
                w.WriteStartObject();
                w.WriteString("user_agent", row.UserAgent);
                w.WriteString("ip", row.Ip);
                w.WriteNumber("created_at", AuthResponses.Epoch(new DateTimeOffset(row.CreatedAt, TimeSpan.Zero)));
                w.WriteBoolean("is_current", row.Id == current);
                w.WriteNumber("id", row.Id);
                if (options.Value.TrackActivity)
                {
                    w.WriteNumber("last_seen_at", AuthResponses.Epoch(new DateTimeOffset(row.LastSeenAt, TimeSpan.Zero)));
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });
    }
}
