using System.Text.Json;

namespace Gatehouse.Http;

/// <summary>How <c>meta.is_authenticated</c> is written: left out, true, false, or JSON null (a dead app session).</summary>
public enum AuthenticatedFlag { Absent, True, False, Null }

/// <summary>
/// The one response envelope of the API: <c>{status, data?, meta?, errors?}</c>. Written straight to the
/// response stream with <see cref="Utf8JsonWriter"/>: no intermediate object graph on the hot path.
/// </summary>
public sealed class ApiResult : IResult, IStatusCodeHttpResult
{
    private readonly Action<Utf8JsonWriter>? _data;
    private readonly IReadOnlyList<ApiError>? _errors;

    public ApiResult(int status, Action<Utf8JsonWriter>? data = null, IReadOnlyList<ApiError>? errors = null)
    {
        Status = status;
        _data = data;
        _errors = errors;
    }

    public int Status { get; }
    /// <summary>The errors the answer carries (the cookie endpoints restate them in DRF's shape).</summary>
    public IReadOnlyList<ApiError> Errors => _errors ?? [];
    /// <summary>Writes the answer's <c>data</c> member's value, if it has one (the cookie endpoints answer it bare).</summary>
    public Action<Utf8JsonWriter>? Data => _data;
    int? IStatusCodeHttpResult.StatusCode => Status;
    public AuthenticatedFlag IsAuthenticated { get; init; } = AuthenticatedFlag.Absent;
    /// <summary>App clients only: the token strategy's members for a session the request created or rotated.</summary>
    public Action<Utf8JsonWriter>? TokenMeta { get; set; }
    /// <summary>Extra meta members written after the standard ones.</summary>
    public Action<Utf8JsonWriter>? ExtraMeta { get; init; }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = Status;
        response.ContentType = "application/json";
        await using (var writer = new Utf8JsonWriter(response.BodyWriter))
        {
            Write(writer);
        }
        await response.BodyWriter.FlushAsync(httpContext.RequestAborted);
    }

    public void Write(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteNumber("status", Status);
        if (_data is not null)
        {
            writer.WritePropertyName("data");
            _data(writer);
        }
        var hasMeta = IsAuthenticated != AuthenticatedFlag.Absent || TokenMeta is not null || ExtraMeta is not null;
        if (hasMeta)
        {
            writer.WriteStartObject("meta");
            switch (IsAuthenticated)
            {
                case AuthenticatedFlag.True: writer.WriteBoolean("is_authenticated", true); break;
                case AuthenticatedFlag.False: writer.WriteBoolean("is_authenticated", false); break;
                case AuthenticatedFlag.Null: writer.WriteNull("is_authenticated"); break;
            }
            TokenMeta?.Invoke(writer);
            ExtraMeta?.Invoke(writer);
            writer.WriteEndObject();
        }
        if (_errors is { Count: > 0 })
        {
            writer.WriteStartArray("errors");
            foreach (var error in _errors)
            {
                writer.WriteStartObject();
                writer.WriteString("message", error.Message);
                writer.WriteString("code", error.Code);
                if (error.Param is not null)
                {
                    writer.WriteString("param", error.Param);
                }
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
    }

    public static ApiResult Ok() => new(StatusCodes.Status200OK);
    public static ApiResult Ok(Action<Utf8JsonWriter> data) => new(StatusCodes.Status200OK, data);
    public static ApiResult BadRequest(params ApiError[] errors) => new(StatusCodes.Status400BadRequest, errors: errors);
    public static ApiResult BadRequest(IReadOnlyList<ApiError> errors) => new(StatusCodes.Status400BadRequest, errors: errors);
    public static ApiResult Forbidden(params ApiError[] errors) => new(StatusCodes.Status403Forbidden, errors: errors);
    public static ApiResult NotFound() => new(StatusCodes.Status404NotFound, errors: [new("Not found.", ErrorCodes.NotFound)]);
    public static ApiResult Conflict() => new(StatusCodes.Status409Conflict);
    public static ApiResult TooManyRequests() => new(StatusCodes.Status429TooManyRequests);
    public static ApiResult ServiceUnavailable() =>
        new(StatusCodes.Status503ServiceUnavailable, errors: [new("The server is busy. Please try again in a moment.", ErrorCodes.ServerBusy)]);
}
