using Gatehouse.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Gatehouse.Sessions;

/// <summary>auth/sessions: list the user's sessions and end some of them.</summary>
public static class SessionsApi
{
    public static RouteGroupBuilder MapSessions(this RouteGroupBuilder group)
    {
        group.MapGet("auth/sessions", static (SessionsFlow flow, CancellationToken ct) => flow.ListAsync(ct));
        group.MapDelete("auth/sessions", static (HttpRequest request, SessionsFlow flow, CancellationToken ct) =>
            Body.Json(request, input => flow.EndAsync(input, ct), ct));
        return group;
    }
}
