using Gatehouse.Account;
using Gatehouse.Configuration;
using Gatehouse.CookieTokens;
using Gatehouse.Email;
using Gatehouse.Http;
using Gatehouse.Mfa;
using Gatehouse.Sessions;
using Gatehouse.Tokens;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gatehouse;

public static class GatehouseEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the headless API twice, under /_allauth/browser/v1 and /_allauth/app/v1: one route table,
    /// the client kind told to each endpoint by group metadata. Routes of switched-off features are not
    /// mapped (the settings are read once, here).
    /// </summary>
    public static IEndpointRouteBuilder MapGatehouse(this IEndpointRouteBuilder endpoints)
    {
        var account = endpoints.ServiceProvider.GetRequiredService<IOptions<AccountOptions>>().Value;
        var mfa = endpoints.ServiceProvider.GetRequiredService<IOptions<MfaOptions>>().Value;
        var tokens = endpoints.ServiceProvider.GetRequiredService<IOptions<TokenOptions>>().Value;
        foreach (var client in new[] { ClientKind.Browser, ClientKind.App })
        {
            var group = endpoints.MapGroup($"/_allauth/{client.Wire()}/v1").WithMetadata(new ClientKindMetadata(client));
            group.AddEndpointFilter(static (context, next) =>
                context.HttpContext.RequestServices.GetRequiredService<SessionEndpointFilter>().InvokeAsync(context, next));
            // Identity's MapIdentityApi puts its /manage routes in a RequireAuthorization() sub-group; here the
            // answer to "not logged in" is allauth's 401 with the flows, so the sub-group has its own filter.
            var authenticated = group.MapGroup("").AddEndpointFilter(static (context, next) =>
            {
                var auth = context.HttpContext.RequestServices.GetRequiredService<AuthContext>();
                return auth.IsAuthenticated
                    ? next(context)
                    : ValueTask.FromResult<object?>(context.HttpContext.RequestServices.GetRequiredService<AuthResponses>().Unauthenticated(auth));
            });

            group.MapGet("config", static (ConfigFlow flow) => flow.Get()).WithMetadata(new NoSessionMetadata());
            group.MapAccount(authenticated, account);
            group.MapEmail(authenticated, account);
            authenticated.MapSessions();
            group.MapMfa(authenticated, mfa, client);
            if (client == ClientKind.App && tokens.JwtEnabled)
            {
                group.MapTokens();
            }
        }
        if (tokens.SigningEnabled)
        {
            endpoints.MapJwks();
        }
        endpoints.MapCookieTokens(); // only when Gatehouse:CookieTokens:Enabled
        return endpoints;
    }
}
