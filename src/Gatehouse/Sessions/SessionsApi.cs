using Gatehouse.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Gatehouse.Sessions;

/// <summary>auth/sessions: list the user's sessions and end some of them (logged-in users only).</summary>
public static class SessionsApi
{
    public static void MapSessions(this RouteGroupBuilder authenticated)
    {
        authenticated.MapGet("auth/sessions", static (SessionsFlow flow, CancellationToken ct) => flow.ListAsync(ct));
        authenticated.MapDelete("auth/sessions", static (JsonInput input, SessionsFlow flow, CancellationToken ct) => flow.EndAsync(input, ct));
    }
}
