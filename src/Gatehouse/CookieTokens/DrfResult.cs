using System.Text.Json;
using Gatehouse.Http;

namespace Gatehouse.CookieTokens;

/// <summary>
/// The answers of the cookie endpoints in Django REST framework's shape, as djangorestframework-simplejwt's views
/// give them: <c>{"detail": "..."}</c> (SimpleJWT adds <c>"code"</c> to its token errors), and for validation
/// errors <c>{"field": ["message"], "non_field_errors": [...]}</c>. Never the allauth envelope: the clients of
/// these endpoints were written against DRF. Always <c>Cache-Control: no-store</c> (tokens and personal data).
/// </summary>
public sealed class DrfResult(int status, Action<Utf8JsonWriter> body) : IResult, IStatusCodeHttpResult
{
    public int Status { get; } = status;
    int? IStatusCodeHttpResult.StatusCode => Status;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = Status;
        response.ContentType = "application/json";
        response.Headers.CacheControl = "no-store";
        await using (var writer = new Utf8JsonWriter(response.BodyWriter))
        {
            body(writer);
        }
        await response.BodyWriter.FlushAsync(httpContext.RequestAborted);
    }

    /// <summary><c>{"detail": ..., "code"?: ...}</c>.</summary>
    public static DrfResult Detail(int status, string detail, string? code = null) => new(status, w =>
    {
        w.WriteStartObject();
        w.WriteString("detail", detail);
        if (code is not null)
        {
            w.WriteString("code", code);
        }
        w.WriteEndObject();
    });

    /// <summary>SimpleJWT's <c>InvalidToken</c>: 401 <c>{"detail": ..., "code": "token_not_valid"}</c>.</summary>
    public static DrfResult TokenNotValid(string detail = TokenInvalidOrExpired) => Detail(StatusCodes.Status401Unauthorized, detail, TokenNotValidCode);

    /// <summary>
    /// SimpleJWT's <c>JWTAuthentication</c> refusing an access token:
    /// <c>{"detail", "code": "token_not_valid", "messages": [{"token_class", "token_type", "message"}]}</c>.
    /// </summary>
    public static DrfResult AccessTokenNotValid() => new(StatusCodes.Status401Unauthorized, w =>
    {
        w.WriteStartObject();
        w.WriteString("detail", "Given token not valid for any token type");
        w.WriteString("code", TokenNotValidCode);
        w.WriteStartArray("messages");
        w.WriteStartObject();
        w.WriteString("token_class", "AccessToken");
        w.WriteString("token_type", "access");
        w.WriteString("message", TokenInvalidOrExpired);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    });

    /// <summary>DRF's <c>NotAuthenticated</c>.</summary>
    public static DrfResult NotAuthenticated() => Detail(StatusCodes.Status401Unauthorized, "Authentication credentials were not provided.");

    /// <summary>DRF's <c>ValidationError</c>: 400 with each field's messages; errors of no field under <c>non_field_errors</c>.</summary>
    public static DrfResult ValidationErrors(IReadOnlyList<ApiError> errors) => new(StatusCodes.Status400BadRequest, w =>
    {
        w.WriteStartObject();
        foreach (var group in errors.GroupBy(e => e.Param ?? NonFieldErrors))
        {
            w.WriteStartArray(group.Key);
            foreach (var error in group)
            {
                w.WriteStringValue(error.Message);
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    });

    public const string TokenNotValidCode = "token_not_valid";
    public const string TokenInvalidOrExpired = "Token is invalid or expired";
    public const string NonFieldErrors = "non_field_errors";
}
