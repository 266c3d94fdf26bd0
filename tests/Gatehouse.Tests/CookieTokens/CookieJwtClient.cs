using System.Net;
using System.Text;
using System.Text.Json;
using Gatehouse.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;

namespace Gatehouse.Tests.CookieTokens;

/// <summary>
/// Talks to the cookie endpoints as a SPA does: a cookie jar (the HttpOnly token cookies travel by themselves),
/// and on unsafe requests the <c>csrftoken</c> cookie echoed in <c>X-CSRFToken</c> unless the test says not to.
/// </summary>
public sealed class CookieJwtClient : IDisposable
{
    private readonly CookieContainer _cookies = new();

    public CookieJwtClient(GatehouseApp app, string prefix = "/api/auth/")
    {
        Prefix = prefix;
        Http = app.CreateDefaultClient(new Uri("http://localhost"), new CookieContainerHandler(_cookies));
        Http.DefaultRequestHeaders.UserAgent.ParseAdd("cookie-jwt-tests");
    }

    public HttpClient Http { get; }
    public string Prefix { get; }

    /// <summary>A cookie the jar would send to <paramref name="path"/> (cookies with a narrower path are not listed for "/").</summary>
    public string? Cookie(string name, string path = "/") => _cookies.GetCookies(new Uri("http://localhost" + path))[name]?.Value;

    public void SetCookie(string name, string value, string path = "/") => _cookies.Add(new System.Net.Cookie(name, value, path, "localhost"));

    public void RemoveCookie(string name, string path = "/")
    {
        foreach (System.Net.Cookie cookie in _cookies.GetCookies(new Uri("http://localhost" + path)))
        {
            if (cookie.Name == name)
            {
                cookie.Expired = true;
            }
        }
    }

    public Task<CookieJwtResponse> PostAsync(string path, object? body = null, bool csrf = true, IDictionary<string, string>? headers = null) =>
        SendAsync(HttpMethod.Post, Prefix + path, body, csrf, headers);

    /// <summary><paramref name="csrf"/>: send the pair as the SPA does (token/2fa/webauthn/'s GET needs it).</summary>
    public Task<CookieJwtResponse> GetAsync(string path, IDictionary<string, string>? headers = null, bool csrf = false) =>
        SendAsync(HttpMethod.Get, Prefix + path, null, csrf, headers);

    public async Task<CookieJwtResponse> SendAsync(HttpMethod method, string url, object? body, bool csrf, IDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = new StringContent(body as string ?? JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        }
        if (csrf && Cookie("csrftoken") is { } token)
        {
            request.Headers.Add("X-CSRFToken", token);
        }
        request.Headers.Add("Accept", "application/json");
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var setCookies = response.Headers.TryGetValues("Set-Cookie", out var values) ? values.ToList() : [];
        return new CookieJwtResponse((int)response.StatusCode, text, setCookies, response.Headers.CacheControl?.NoStore == true);
    }

    public void Dispose() => Http.Dispose();
}

public sealed record CookieJwtResponse(int StatusCode, string Body, IReadOnlyList<string> SetCookies, bool NoStore)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();
    public string? Detail => Json.TryGetProperty("detail", out var d) ? d.GetString() : null;
    public string? Code => Json.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
    public string? Access => Json.TryGetProperty("access", out var a) ? a.GetString() : null;

    /// <summary>The Set-Cookie line for <paramref name="name"/>, lower-cased attributes kept as sent.</summary>
    public string? SetCookie(string name) => SetCookies.FirstOrDefault(c => c.StartsWith(name + "=", StringComparison.Ordinal));

    /// <summary>The messages of a DRF validation error for <paramref name="field"/>.</summary>
    public IReadOnlyList<string> FieldErrors(string field) =>
        Json.TryGetProperty(field, out var list) && list.ValueKind == JsonValueKind.Array ? list.EnumerateArray().Select(e => e.GetString()!).ToList() : [];

    public override string ToString() => $"{StatusCode} {Body}";
}
