using Gatehouse.Http;
using Gatehouse.Sessions;
using Gatehouse.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gatehouse.HostApi;

/// <summary>Why a Gatehouse policy refused the request; the forbid answer carries it.</summary>
internal sealed record HostApiDenial(string Message, string Code);

/// <summary>
/// The 401 and 403 answers of a host app's endpoints that Gatehouse's scheme challenged or forbade: the
/// allauth envelope <c>{"status", "errors": [{"message", "code"}]}</c> for an API request, ASP.NET Core's
/// plain status otherwise (a page navigation; a host that wants a redirect there adds a scheme of its own).
/// </summary>
internal static class HostApiResponses
{
    /// <summary>
    /// An API request is anything but a browser's page navigation: fetch/XHR (Sec-Fetch-Mode other than
    /// "navigate"), a client asking for JSON, or one that names no HTML (curl, mobile apps, services).
    /// </summary>
    public static bool IsApiRequest(HttpRequest request)
    {
        if (ApiFallbackMiddleware.IsApi(request.Path))
        {
            return true;
        }
        if (string.Equals(request.Headers["Sec-Fetch-Mode"].ToString(), "navigate", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        var accept = request.Headers.Accept.ToString();
        return accept.Contains("json", StringComparison.OrdinalIgnoreCase) || !accept.Contains("text/html", StringComparison.OrdinalIgnoreCase);
    }

    public static Task ChallengeAsync(HttpContext context)
    {
        var resolution = context.Features.Get<SessionResolution>();
        // RFC 6750 section 3: a Bearer challenge with the JWT strategy; "invalid_token" when one was sent and did
        // not validate (tampered, expired, wrong key or audience) or its session ended. Never the reason in detail.
        var tokens = context.RequestServices.GetRequiredService<IOptions<TokenOptions>>().Value;
        var sentBearer = tokens.JwtEnabled && context.Request.Headers.Authorization.ToString()
            .StartsWith(tokens.AuthorizationHeaderScheme + " ", StringComparison.OrdinalIgnoreCase);
        if (tokens.JwtEnabled)
        {
            context.Response.Headers.WWWAuthenticate = sentBearer && resolution?.Session?.User is null
                ? $"{tokens.AuthorizationHeaderScheme} error=\"invalid_token\""
                : tokens.AuthorizationHeaderScheme;
        }
        var result = resolution switch
        {
            _ when sentBearer => new ApiResult(StatusCodes.Status401Unauthorized,
                errors: [new ApiError("Incorrect authentication credentials.", ErrorCodes.AuthenticationFailed)]),
            // The cookie was there but could not be used without the CSRF pair: say so, a SPA can fix that.
            { CsrfRefused: true } => new ApiResult(StatusCodes.Status403Forbidden,
                errors: [ApiErrors.CsrfFailed()]),
            { Dead: true } => new ApiResult(StatusCodes.Status401Unauthorized,
                errors: [new ApiError("Incorrect authentication credentials.", ErrorCodes.AuthenticationFailed)]),
            _ => new ApiResult(StatusCodes.Status401Unauthorized,
                errors: [new ApiError("Authentication credentials were not provided.", ErrorCodes.NotAuthenticated)]),
        };
        return WriteAsync(context, result);
    }

    public static Task ForbidAsync(HttpContext context)
    {
        var denial = context.Features.Get<HostApiDenial>();
        return WriteAsync(context, new ApiResult(StatusCodes.Status403Forbidden, errors:
            [new ApiError(denial?.Message ?? "You do not have permission to perform this action.", denial?.Code ?? ErrorCodes.PermissionDenied)]));
    }

    private static Task WriteAsync(HttpContext context, ApiResult result)
    {
        context.Response.Headers.CacheControl = "no-store";
        return result.ExecuteAsync(context);
    }
}
