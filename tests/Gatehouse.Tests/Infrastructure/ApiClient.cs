using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gatehouse.Sessions;

namespace Gatehouse.Tests.Infrastructure;

/// <summary>
/// Talks to one of the two clients' APIs the way a real frontend does: the app client keeps the last
/// <c>meta.session_token</c> and sends it as X-Session-Token; the browser client keeps cookies and
/// echoes <c>csrftoken</c> in X-CSRFToken on unsafe methods.
/// </summary>
public sealed class ApiClient(ClientKind kind, HttpClient http, CookieContainer cookies) : IDisposable
{
    public ClientKind Kind { get; } = kind;
    public HttpClient Http { get; } = http;
    public string? SessionToken { get; set; }
    public string Prefix => Kind == ClientKind.App ? "/_allauth/app/v1/" : "/_allauth/browser/v1/";

    public string? Cookie(string name) => cookies.GetCookies(new Uri("http://localhost"))[name]?.Value;

    /// <summary>Puts a cookie in this client's jar, as a browser that was handed a copy of another's cookie would hold it.</summary>
    public void SetCookie(string name, string value) => cookies.Add(new Uri("http://localhost"), new System.Net.Cookie(name, value, "/"));

    public Task<ApiResponse> GetAsync(string path, IDictionary<string, string>? headers = null) => SendAsync(HttpMethod.Get, path, null, headers);
    public Task<ApiResponse> PostAsync(string path, object? body = null) => SendAsync(HttpMethod.Post, path, body);
    public Task<ApiResponse> PutAsync(string path, object? body = null) => SendAsync(HttpMethod.Put, path, body);
    public Task<ApiResponse> PatchAsync(string path, object? body = null) => SendAsync(HttpMethod.Patch, path, body);
    public Task<ApiResponse> DeleteAsync(string path, object? body = null) => SendAsync(HttpMethod.Delete, path, body);

    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, object? body, IDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method, Prefix + path);
        if (body is not null)
        {
            var json = body as string ?? JsonSerializer.Serialize(body);
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }
        return await SendRawAsync(request, headers);
    }

    /// <summary>Sends a prepared request with this client's credentials added (for odd bodies and content types).</summary>
    public async Task<ApiResponse> SendRawAsync(HttpRequestMessage request, IDictionary<string, string>? headers = null, bool withCsrf = true)
    {
        // The test warms up the CSRF cookie like a SPA does with its first GET.
        if (Kind == ClientKind.Browser && withCsrf && Cookie("csrftoken") is null && request.Method != HttpMethod.Get)
        {
            using var warmup = await Http.GetAsync(Prefix + "config");
        }
        if (Kind == ClientKind.App && SessionToken is not null)
        {
            request.Headers.Add("X-Session-Token", SessionToken);
        }
        if (Kind == ClientKind.Browser && withCsrf && request.Method != HttpMethod.Get && Cookie("csrftoken") is { } csrf)
        {
            request.Headers.Add("X-CSRFToken", csrf);
        }
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var result = new ApiResponse((int)response.StatusCode, text, response.Headers, response.Content.Headers);
        if (Kind == ClientKind.App && result.SessionTokenInMeta is { } token)
        {
            SessionToken = token;
        }
        return result;
    }

    public void Dispose() => Http.Dispose();
}

public sealed class ApiResponse
{
    public ApiResponse(int statusCode, string body, HttpResponseHeaders headers, HttpContentHeaders contentHeaders)
    {
        StatusCode = statusCode;
        Body = body;
        Headers = headers;
        ContentHeaders = contentHeaders;
        Json = body.Length > 0 ? JsonDocument.Parse(body).RootElement.Clone() : default;
    }

    public int StatusCode { get; }
    public string Body { get; }
    public JsonElement Json { get; }
    public HttpResponseHeaders Headers { get; }
    public HttpContentHeaders ContentHeaders { get; }

    public JsonElement Data => Json.GetProperty("data");
    public bool HasMeta => Json.ValueKind == JsonValueKind.Object && Json.TryGetProperty("meta", out _);
    public JsonElement Meta => Json.GetProperty("meta");

    public string? SessionTokenInMeta =>
        HasMeta && Meta.TryGetProperty("session_token", out var token) ? token.GetString() : null;

    /// <summary>meta.is_authenticated: true, false, or null (JSON null).</summary>
    public bool? IsAuthenticated => Meta.GetProperty("is_authenticated").ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    public IReadOnlyList<string> FlowIds =>
        Data.GetProperty("flows").EnumerateArray().Select(f => f.GetProperty("id").GetString()!).ToList();

    public string? PendingFlow => Data.GetProperty("flows").EnumerateArray()
        .Where(f => f.TryGetProperty("is_pending", out var p) && p.GetBoolean())
        .Select(f => f.GetProperty("id").GetString())
        .FirstOrDefault();

    /// <summary>The errors as "code" or "code@param" strings, in order: what tests assert on.</summary>
    public IReadOnlyList<string> ErrorCodes =>
        Json.TryGetProperty("errors", out var errors)
            ? errors.EnumerateArray().Select(e => e.TryGetProperty("param", out var p)
                ? $"{e.GetProperty("code").GetString()}@{p.GetString()}"
                : e.GetProperty("code").GetString()!).ToList()
            : [];

    /// <summary>The envelope's <c>status</c> (allauth repeats the HTTP status in every body); null when the body has none.</summary>
    public int? EnvelopeStatus =>
        Json.ValueKind == JsonValueKind.Object && Json.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.Number
            ? status.GetInt32()
            : null;

    public override string ToString() => $"{StatusCode} {Body}";
}
