using Gatehouse.Account;
using Gatehouse.Configuration;
using Gatehouse.Email;
using Gatehouse.Sessions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse;

public static class GatehouseEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the headless API twice, under /_allauth/browser/v1 and /_allauth/app/v1: one route table,
    /// the client kind told to each endpoint by group metadata.
    /// </summary>
    public static IEndpointRouteBuilder MapGatehouse(this IEndpointRouteBuilder endpoints)
    {
        foreach (var client in new[] { ClientKind.Browser, ClientKind.App })
        {
            var group = endpoints.MapGroup($"/_allauth/{client.Wire()}/v1").WithMetadata(new ClientKindMetadata(client));
            group.AddEndpointFilter(static (context, next) =>
                context.HttpContext.RequestServices.GetRequiredService<SessionEndpointFilter>().InvokeAsync(context, next));

            group.MapGet("config", static (ConfigFlow flow) => flow.Get()).WithMetadata(new NoSessionMetadata());
            group.MapAccount();
            group.MapEmail();
            group.MapSessions();
        }
        return endpoints;
    }
}
