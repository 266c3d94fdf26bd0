using Microsoft.AspNetCore.Diagnostics;
using System.Globalization;
using Gatehouse.Security.Passwords;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Http;

/// <summary>
/// Keeps every answer under <c>/_allauth</c> in the envelope: unknown paths (404), wrong methods (405,
/// with Allow), unhandled errors (500, logged once, never with their text in the body), and Kestrel's
/// bad-request errors (400), and a full password-hashing queue (503 with Retry-After). Adds the headers Django sends on API responses (no caching, no sniffing, no
/// framing). Mounted for <c>/_allauth</c> only (see <see cref="IsApi"/>): the host's own routes are not touched.
/// </summary>
public sealed partial class ApiFallbackMiddleware(RequestDelegate next, ILogger<ApiFallbackMiddleware> logger)
{
    public const string Prefix = "/_allauth";

    public static bool IsApi(PathString path) => path.StartsWithSegments(Prefix);

    public async Task InvokeAsync(HttpContext context)
    {
        ApplyHeaders(context.Response);
        try
        {
            await next(context);
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            // The client's fault (a malformed chunk, a body too slow or too large): no stack trace.
            Log.BadRequest(logger, context.Request.Method, context.Request.Path.Value ?? "", ex.Message);
            await WriteErrorAsync(context, ex);
            return;
        }
        catch (HashingQueueFullException busy) when (!context.Response.HasStarted)
        {
            // Load shedding by the password-hashing queue, not an error: caught here, in one place, so the
            // flows that hash need no code for it. Retry-After is the wait the queue refused, rounded up.
            await WriteErrorAsync(context, busy);
            return;
        }
        catch (Exception ex) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            Log.Unhandled(logger, context.Request.Method, context.Request.Path.Value ?? "", ex);
            await WriteErrorAsync(context, ex);
            return;
        }

        if (!context.Response.HasStarted && context.Response.ContentLength is null && context.Response.ContentType is null)
        {
            switch (context.Response.StatusCode)
            {
                case StatusCodes.Status404NotFound:
                    await ApiResult.NotFound().ExecuteAsync(context);
                    break;
                case StatusCodes.Status405MethodNotAllowed:
                    await new ApiResult(StatusCodes.Status405MethodNotAllowed,
                        errors: [new ApiError("Method not allowed.", ErrorCodes.MethodNotAllowed)]).ExecuteAsync(context);
                    break;
            }
        }
    }

    private static void ApplyHeaders(HttpResponse response)
    {
        var headers = response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "same-origin";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers.CacheControl = "max-age=0, no-cache, no-store, must-revalidate, private";
        headers.Expires = "0";
    }

    /// <summary>
    /// The envelope for an exception: 400 for a bad request, otherwise a 500 with a fixed message. The
    /// exception's text never reaches the client, in any environment; whatever the endpoint had put in
    /// the response (cookies, a status) is dropped.
    /// </summary>
    internal static Task WriteErrorAsync(HttpContext context, Exception exception)
    {
        context.Response.Clear();
        ApplyHeaders(context.Response);
        if (exception is HashingQueueFullException busy)
        {
            // Retry-After is the wait the queue refused, rounded up. (In Development the developer exception
            // page catches this before the middleware does, and hands it here through its filter.)
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(busy.ExpectedWait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
        var result = exception switch
        {
            BadHttpRequestException bad => new ApiResult(bad.StatusCode, errors: [new ApiError("Bad request.", ErrorCodes.Invalid)]),
            HashingQueueFullException => ApiResult.ServiceUnavailable(),
            _ => new ApiResult(StatusCodes.Status500InternalServerError, errors: [new ApiError("Internal server error.", ErrorCodes.ServerError)]),
        };
        return result.ExecuteAsync(context);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "Unhandled error on {Method} {Path}")]
        public static partial void Unhandled(ILogger logger, string method, string path, Exception exception);

        [LoggerMessage(2, LogLevel.Information, "Bad request on {Method} {Path}: {Reason}")]
        public static partial void BadRequest(ILogger logger, string method, string path, string reason);
    }
}

/// <summary>
/// In Development, ASP.NET Core puts its developer exception page inside the host's pipeline, that is
/// inside <see cref="ApiFallbackMiddleware"/>, so it would answer an /_allauth request with the exception's
/// text and stack trace. This filter of that page answers API requests with the envelope instead; the page
/// has already logged the exception (once, at Error). Other paths get the page as the host expects.
/// </summary>
internal sealed class ApiDeveloperPageExceptionFilter : IDeveloperPageExceptionFilter
{
    public Task HandleExceptionAsync(ErrorContext errorContext, Func<ErrorContext, Task> next) =>
        ApiFallbackMiddleware.IsApi(errorContext.HttpContext.Request.Path)
            ? ApiFallbackMiddleware.WriteErrorAsync(errorContext.HttpContext, errorContext.Exception)
            : next(errorContext);
}
