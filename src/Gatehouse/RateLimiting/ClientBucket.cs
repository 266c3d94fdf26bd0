using System.Net;
using System.Net.Sockets;

namespace Gatehouse.RateLimiting;

/// <summary>
/// How a client address is counted, by the rate limiter and the password-hashing queue alike: an IPv4
/// address on its own, an IPv6 address by its /64. One subscriber usually holds a whole /64, so counting
/// single IPv6 addresses would hand each of them 2^64 buckets (and 2^64 fair shares of the hashing queue).
/// </summary>
public static class ClientBucket
{
    public static string Of(string ip)
    {
        if (IPAddress.TryParse(ip, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6 && !address.IsIPv4MappedToIPv6)
        {
            var bytes = address.GetAddressBytes();
            Array.Clear(bytes, 8, 8);
            return new IPAddress(bytes) + "/64";
        }
        return ip;
    }
}
