using Gatehouse.Audit;
using Gatehouse.Http;
using Gatehouse.Sessions;
using Gatehouse.Storage;

namespace Gatehouse.Account.Flows;

/// <summary>DELETE auth/session: ends the current session; answers 401 with the flows.</summary>
public sealed class LogoutFlow(GatehouseDbContext db, AuthContext auth, SessionStore sessions, AuthResponses responses, AuditLog audit)
{
    public async Task<ApiResult> LogoutAsync(CancellationToken ct)
    {
        if (auth.Session is not null)
        {
            if (auth.User is { } user)
            {
                audit.Record(AuditEvents.LoggedOut, user.Id);
            }
            sessions.End(auth);
            await db.SaveChangesAsync(ct);
        }
        return responses.Unauthenticated(auth);
    }
}
