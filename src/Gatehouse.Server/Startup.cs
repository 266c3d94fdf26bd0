using Gatehouse.Http;

namespace Gatehouse.Server;

/// <summary>What the standalone server adds around the library, which leaves these to its host.</summary>
internal static class Startup
{
    /// <summary>
    /// ASP.NET Core's forwarded-headers middleware, trusting Gatehouse:Http:TrustedProxies, as the first
    /// middleware of all (a startup filter registered before AddGatehouse's), so the client address and
    /// scheme are settled before anything reads them.
    /// </summary>
    public sealed class ForwardedHeadersFirst : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.UseGatehouseForwardedHeaders();
            next(app);
        };
    }

    /// <summary>
    /// The server's own pages (the frontend, /healthz) get the headers the library puts on its API
    /// responses: the server owns the whole origin, a library host decides for itself.
    /// </summary>
    public static Task SecurityHeaders(HttpContext context, RequestDelegate next)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "same-origin";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        return next(context);
    }
}
