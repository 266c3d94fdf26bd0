namespace Gatehouse.Configuration;

/// <summary><c>Gatehouse:Http</c>: CORS and the proxies whose X-Forwarded-For we believe.</summary>
public sealed class HttpOptions
{
    public const string Section = "Gatehouse:Http";
    /// <summary>Origins allowed by CORS, with credentials (e.g. "https://app.example.com").</summary>
    public string[] CorsOrigins { get; set; } = [];
    /// <summary>Proxy addresses or CIDR ranges. X-Forwarded-For is read only when the peer is one of them.</summary>
    public string[] TrustedProxies { get; set; } = [];
}
