using System.Net;
using Gatehouse.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gatehouse.Http;

/// <summary>
/// ASP.NET Core's forwarded-headers middleware, trusting exactly <c>Gatehouse:Http:TrustedProxies</c>.
/// Gatehouse.Server runs it first; a host that embeds Gatehouse calls it (or its own UseForwardedHeaders)
/// first in its pipeline, since which proxies to believe is a property of the whole deployment.
/// </summary>
public static class GatehouseForwardedHeaders
{
    /// <summary>
    /// Believes X-Forwarded-For and X-Forwarded-Proto only from a configured proxy, read right to left
    /// up to the first address that is not one (anything left of it was written by the client and could
    /// be forged). Without configured proxies nothing is believed and this adds nothing.
    /// </summary>
    public static IApplicationBuilder UseGatehouseForwardedHeaders(this IApplicationBuilder app)
    {
        var proxies = app.ApplicationServices.GetRequiredService<IOptions<HttpOptions>>().Value.TrustedProxies;
        return proxies.Length == 0 ? app : app.UseForwardedHeaders(CreateOptions(proxies));
    }

    internal static ForwardedHeadersOptions CreateOptions(IEnumerable<string> proxies)
    {
        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto,
            // No limit: walk every trusted hop (a CDN in front of a balancer), stopping at the first untrusted one.
            ForwardLimit = null,
        };
        // The defaults trust loopback; only what is configured is trusted.
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var proxy in proxies)
        {
            options.KnownIPNetworks.Add(ParseNetwork(proxy));
        }
        return options;
    }

    /// <summary>"10.0.0.1" (one address) or "10.0.0.0/8"; throws FormatException otherwise.</summary>
    internal static System.Net.IPNetwork ParseNetwork(string value)
    {
        var text = value.Trim();
        if (text.Contains('/', StringComparison.Ordinal))
        {
            return System.Net.IPNetwork.Parse(text);
        }
        var address = IPAddress.Parse(text);
        return new System.Net.IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
    }
}
