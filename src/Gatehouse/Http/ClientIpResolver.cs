using System.Net;
using Gatehouse.Configuration;
using Microsoft.Extensions.Options;

namespace Gatehouse.Http;

/// <summary>
/// The client's address for rate limits, sessions and the audit log. X-Forwarded-For is believed only
/// when the peer is a configured proxy, and then read right to left up to the first address that is not
/// a trusted proxy: anything left of that was written by the client and could be forged.
/// </summary>
public sealed class ClientIpResolver
{
    private readonly IPNetwork[] _trusted;

    public ClientIpResolver(IOptions<HttpOptions> options)
    {
        _trusted = options.Value.TrustedProxies.Select(ParseNetwork).ToArray();
    }

    internal static IPNetwork ParseNetwork(string value)
    {
        var text = value.Trim();
        if (text.Contains('/', StringComparison.Ordinal))
        {
            return IPNetwork.Parse(text);
        }
        var address = IPAddress.Parse(text);
        return new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
    }

    public string Resolve(HttpContext context)
    {
        var peer = Normalize(context.Connection.RemoteIpAddress);
        if (peer is null)
        {
            return "unknown";
        }
        if (_trusted.Length == 0 || !IsTrusted(peer))
        {
            return peer.ToString();
        }
        var hops = context.Request.Headers["X-Forwarded-For"].ToString()
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        for (var i = hops.Length - 1; i >= 0; i--)
        {
            // Some balancers write "ip:port"; anything else unparsable ends the walk at the last trusted hop.
            if (!IPAddress.TryParse(hops[i], out var hop) && !(IPEndPoint.TryParse(hops[i], out var endpoint) && (hop = endpoint.Address) is not null))
            {
                break;
            }
            hop = Normalize(hop)!;
            if (!IsTrusted(hop))
            {
                return hop.ToString();
            }
        }
        return peer.ToString();
    }

    private bool IsTrusted(IPAddress address) => _trusted.Any(n => n.Contains(address));

    private static IPAddress? Normalize(IPAddress? address) =>
        address is { IsIPv4MappedToIPv6: true } ? address.MapToIPv4() : address;
}
