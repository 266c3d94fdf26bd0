using System.Globalization;
using Gatehouse.Security.Passwords;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Http;

/// <summary>
/// Keeps every answer under <c>/_allauth</c> in the envelope: unknown paths (404), wrong methods (405,
/// with Allow), unhandled errors (500, logged without request data), Kestrel's bad-request errors, and a
/// full password-hashing queue (503 with Retry-After).
/// Adds the headers Django sends on API responses (no caching, no sniffing, no framing).
/// </summary>
public sealed partial class ApiFallbackMiddleware(RequestDelegate next, ILogger<ApiFallbackMiddleware> logger)
{
    public const string Prefix = "/_allauth";

    public async Task InvokeAsync(HttpContext context)
    {
        var isApi = context.Request.Path.StartsWithSegments(Prefix);
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "same-origin";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        if (!isApi)
        {
            await next(context);
            return;
        }
        headers.CacheControl = "max-age=0, no-cache, no-store, must-revalidate, private";
        headers.Expires = "0";

        try
        {
            await next(context);
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            await WriteAsync(context, new ApiResult(ex.StatusCode, errors: [new ApiError("Bad request.", ErrorCodes.Invalid)]));
            return;
        }
        catch (HashingQueueFullException busy) when (!context.Response.HasStarted)
        {
            // Load shedding by the password-hashing queue, not an error: caught here, in one place, so the
            // flows that hash need no code for it. Retry-After is the wait the queue refused, rounded up.
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(busy.ExpectedWait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            await WriteAsync(context, new ApiResult(StatusCodes.Status503ServiceUnavailable,
                errors: [new ApiError("The server is busy. Please try again in a moment.", ErrorCodes.ServerBusy)]));
            return;
        }
        catch (Exception ex) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            Log.Unhandled(logger, context.Request.Method, context.Request.Path.Value ?? "", ex);
            await WriteAsync(context, new ApiResult(StatusCodes.Status500InternalServerError,
                errors: [new ApiError("Internal server error.", ErrorCodes.ServerError)]));
            return;
        }

        if (!context.Response.HasStarted && context.Response.ContentLength is null && context.Response.ContentType is null)
        {
            switch (context.Response.StatusCode)
            {
                case StatusCodes.Status404NotFound:
                    await WriteAsync(context, ApiResult.NotFound());
                    break;
                case StatusCodes.Status405MethodNotAllowed:
                    await WriteAsync(context, new ApiResult(StatusCodes.Status405MethodNotAllowed,
                        errors: [new ApiError("Method not allowed.", ErrorCodes.MethodNotAllowed)]));
                    break;
            }
        }
    }

    private static Task WriteAsync(HttpContext context, ApiResult result) => result.ExecuteAsync(context);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "Unhandled error on {Method} {Path}")]
        public static partial void Unhandled(ILogger logger, string method, string path, Exception exception);
    }
}
