using System.Net;

namespace Gatehouse.Http;

/// <summary>
/// The client's address for rate limits, sessions and the audit log: the connection's peer, which
/// ASP.NET Core's forwarded-headers middleware replaces with the client a trusted proxy saw (see
/// <see cref="GatehouseForwardedHeaders"/>). Who is trusted is the host's decision, made once in its
/// pipeline, not re-implemented here.
/// </summary>
public sealed class ClientIpResolver
{
    public string Resolve(HttpContext context) => Normalize(context.Connection.RemoteIpAddress)?.ToString() ?? "unknown";

    /// <summary>An IPv4 client on a dual-stack socket is counted and shown as IPv4.</summary>
    private static IPAddress? Normalize(IPAddress? address) =>
        address is { IsIPv4MappedToIPv6: true } ? address.MapToIPv4() : address;
}
