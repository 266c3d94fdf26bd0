using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Tests.Api;

/// <summary>
/// Hostile and malformed request bodies on every endpoint that reads one. allauth answers some of these
/// with a 500 (an array, string or number body; deep nesting) or an empty HTML 400 (malformed JSON,
/// form-encoded); Gatehouse must answer every one with a 400 in the JSON envelope, never a 500.
/// </summary>
public abstract class BadInputTests(DatabaseKind database) : ApiTestBase(database)
{
    private enum Prep { None, Authenticated, PendingCode }

    private enum FieldKind { Text, Flag, IdList }

    private sealed record Field(string Name, FieldKind Kind = FieldKind.Text);

    /// <summary>An endpoint that reads a body; every listed field is required there, in the order errors are reported.</summary>
    private sealed record Endpoint(string Method, string Path, Prep Prep, Field[] Fields, Dictionary<string, string?>? Settings = null)
    {
        /// <summary>The errors of a body without fields: each field required, unless the endpoint says otherwise.</summary>
        public string[]? RequiredErrors { get; init; }
    }

    private static readonly Dictionary<string, Endpoint> Endpoints = new()
    {
        ["POST auth/login"] = new("POST", "auth/login", Prep.None, [new("email"), new("password")]),
        // With both login methods, allauth wants exactly one of email/username: none is invalid_login (no param).
        ["POST auth/login (username)"] = new("POST", "auth/login", Prep.None, [new("username"), new("password")],
            new() { ["Gatehouse:Account:LoginMethods:0"] = "email", ["Gatehouse:Account:LoginMethods:1"] = "username", ["Gatehouse:Account:SignupUsername"] = "true" })
        {
            RequiredErrors = ["invalid_login", "required@password"],
        },
        ["POST auth/signup"] = new("POST", "auth/signup", Prep.None, [new("email"), new("password")]),
        ["POST auth/reauthenticate"] = new("POST", "auth/reauthenticate", Prep.Authenticated, [new("password")]),
        ["POST auth/email/verify"] = new("POST", "auth/email/verify", Prep.None, [new("key")]),
        ["POST auth/password/request"] = new("POST", "auth/password/request", Prep.None, [new("email")]),
        ["POST auth/password/reset"] = new("POST", "auth/password/reset", Prep.None, [new("key"), new("password")]),
        ["POST auth/code/request"] = new("POST", "auth/code/request", Prep.None, [new("email")]),
        ["POST auth/code/confirm"] = new("POST", "auth/code/confirm", Prep.PendingCode, [new("code")]),
        ["POST account/password/change"] = new("POST", "account/password/change", Prep.Authenticated, [new("current_password"), new("new_password")]),
        ["POST account/email"] = new("POST", "account/email", Prep.Authenticated, [new("email")]),
        ["PUT account/email"] = new("PUT", "account/email", Prep.Authenticated, [new("email")]),
        ["PATCH account/email"] = new("PATCH", "account/email", Prep.Authenticated, [new("email"), new("primary", FieldKind.Flag)]),
        ["DELETE account/email"] = new("DELETE", "account/email", Prep.Authenticated, [new("email")]),
        ["DELETE auth/sessions"] = new("DELETE", "auth/sessions", Prep.Authenticated, [new("sessions", FieldKind.IdList)]),
        ["POST account/authenticators/totp"] = new("POST", "account/authenticators/totp", Prep.Authenticated, [new("code")]),
        ["POST auth/2fa/reauthenticate"] = new("POST", "auth/2fa/reauthenticate", Prep.Authenticated, [new("code")]),
    };

    /// <summary>What a payload is expected to produce.</summary>
    private enum Expect { InvalidJson, BodyTooLarge, Required, InvalidTypes, MaxLength, NullCharacters, AnyFieldError }

    private sealed record Payload(Expect Expect, Func<Endpoint, HttpContent> Build);

    private static readonly Dictionary<string, Payload> Payloads = new()
    {
        ["malformed JSON"] = new(Expect.InvalidJson, _ => Json("{\"email\": \"a@example.com\", ")),
        ["trailing garbage"] = new(Expect.InvalidJson, _ => Json("{} {}")),
        ["JSON with a comment"] = new(Expect.InvalidJson, _ => Json("{/* hi */}")),
        ["a JSON array"] = new(Expect.InvalidJson, _ => Json("[{\"email\": \"a@example.com\"}]")),
        ["a JSON string"] = new(Expect.InvalidJson, _ => Json("\"a@example.com\"")),
        ["a JSON number"] = new(Expect.InvalidJson, _ => Json("42")),
        ["a JSON boolean"] = new(Expect.InvalidJson, _ => Json("true")),
        ["JSON null"] = new(Expect.Required, _ => Json("null")),
        ["an empty body"] = new(Expect.Required, _ => Json("")),
        ["a blank body"] = new(Expect.Required, _ => Json(" \r\n\t ")),
        ["an empty object"] = new(Expect.Required, _ => Json("{}")),
        ["null fields"] = new(Expect.Required, e => Json(Object(e, _ => "null"))),
        ["numbers for strings"] = new(Expect.InvalidTypes, e => Json(Object(e, f => WrongType(f, 0)))),
        ["lists for strings"] = new(Expect.InvalidTypes, e => Json(Object(e, f => WrongType(f, 1)))),
        ["objects for strings"] = new(Expect.InvalidTypes, e => Json(Object(e, f => WrongType(f, 2)))),
        ["booleans for strings"] = new(Expect.InvalidTypes, e => Json(Object(e, f => WrongType(f, 3)))),
        ["only unknown fields"] = new(Expect.Required, _ => Json("""{"is_staff": true, "is_superuser": true, "id": 1, "__proto__": {"x": 1}}""")),
        ["a 1 MB body"] = new(Expect.BodyTooLarge, e => Json(Object(e, _ => JsonString(new string('a', 1024 * 1024))))),
        ["a 1 MB body without Content-Length"] = new(Expect.BodyTooLarge, e => new UnknownLengthContent(Encoding.UTF8.GetBytes(Object(e, _ => JsonString(new string('a', 1024 * 1024)))))),
        ["100 kB strings"] = new(Expect.BodyTooLarge, e => Json(Object(e, _ => JsonString(new string('x', 100 * 1024))))),
        ["over-long values"] = new(Expect.MaxLength, e => Json(Object(e, f => f.Kind switch
        {
            FieldKind.Text => JsonString(new string('x', 20_000)),
            FieldKind.IdList => "[" + string.Join(",", Enumerable.Range(1, 5000)) + "]",
            _ => Valid(f),
        }))),
        ["10,000 levels of nesting"] = new(Expect.InvalidJson, _ => Json("{\"a\": " + new string('[', 10_000) + new string(']', 10_000) + "}")),
        ["10,000 levels of nested objects"] = new(Expect.InvalidJson, _ => Json(string.Concat(Enumerable.Repeat("{\"a\":", 10_000)) + "1" + new string('}', 10_000))),
        ["a form-encoded body"] = new(Expect.InvalidJson, _ => new FormUrlEncodedContent([new("email", "a@example.com"), new("password", "x")])),
        ["a multipart body"] = new(Expect.InvalidJson, _ => new MultipartFormDataContent { { new StringContent("a@example.com"), "email" } }),
        ["invalid UTF-8 bytes"] = new(Expect.InvalidJson, e => Bytes([.. "{\""u8, .. Encoding.ASCII.GetBytes(e.Fields[0].Name), .. "\": \""u8, 0xFF, 0xFE, 0xC3, 0x28, .. "\"}"u8])),
        ["a lone surrogate escape"] = new(Expect.AnyFieldError, e => Json(Object(e, f => f.Kind == FieldKind.Text ? "\"a\\ud800b@example.com\"" : Valid(f)))),
        ["NUL characters"] = new(Expect.NullCharacters, e => Json(Object(e, f => f.Kind == FieldKind.Text ? "\"nul\\u0000@example.com\"" : Valid(f)))),
    };

    /// <summary>Every endpoint that reads a body, for both clients; each test sends every payload of <see cref="Payloads"/>.</summary>
    public static TheoryData<string, ClientKind> EndpointsAndClients()
    {
        var data = new TheoryData<string, ClientKind>();
        foreach (var endpoint in Endpoints.Keys)
        {
            data.Add(endpoint, ClientKind.App);
            data.Add(endpoint, ClientKind.Browser);
        }
        return data;
    }

    /// <summary>
    /// The endpoint x payload matrix. One app per endpoint and client (starting one per payload made
    /// the matrix take minutes); every payload is checked and all failures are reported together.
    /// </summary>
    [Theory, MemberData(nameof(EndpointsAndClients))]
    public async Task HostileBodies_AreAnsweredWithA400Envelope_NeverA500(string endpointName, ClientKind kind)
    {
        var endpoint = Endpoints[endpointName];
        var app = await StartAsync(endpoint.Settings);
        var client = await PreparedClientAsync(app, kind, endpoint);

        var failures = new List<string>();
        foreach (var (name, payload) in Payloads)
        {
            var response = await SendAsync(client, endpoint, payload.Build(endpoint));
            try
            {
                AssertErrorEnvelope(response);
                AssertExpected(endpoint, payload.Expect, response);
            }
            catch (Xunit.Sdk.XunitException ex)
            {
                failures.Add($"{name}: {ex.Message.ReplaceLineEndings(" ")} | got {Truncate(response.ToString())}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {Payloads.Count} payloads failed:\n" + string.Join("\n", failures));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task UnknownFields_AreIgnored_AsAllauthIgnoresThem(ClientKind kind)
    {
        // allauth's forms read only their own fields: extra members (even ones named like model
        // fields) neither fail the request nor reach the account.
        var app = await StartAsync();
        var client = app.Client(kind);

        var response = await client.PostAsync("auth/signup", new
        {
            email = "alice@example.com",
            password = Password,
            is_staff = true,
            is_superuser = true,
            is_active = false,
            username = "root",
            id = 1,
            csrfmiddlewaretoken = "x",
        });

        Assert.Equal(401, response.StatusCode);
        Assert.Equal("verify_email", response.PendingFlow);
        var user = await app.DbAsync(db => db.Users.AsNoTracking().SingleAsync());
        Assert.False(user.IsStaff);
        Assert.True(user.IsActive);
        Assert.Equal("alice", user.Username);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task JsonSentAsTextPlain_IsReadAsJson_LikeAllauth(ClientKind kind)
    {
        // app_32: allauth parses the body as JSON whatever the Content-Type (except form posts).
        var app = await StartAsync();
        var client = app.Client(kind);
        using var request = new HttpRequestMessage(HttpMethod.Post, client.Prefix + "auth/login")
        {
            Content = new StringContent("""{"email": "nobody@example.com", "password": "wrong-password"}""", Encoding.UTF8, "text/plain"),
        };

        var response = await client.SendRawAsync(request);

        Assert.Equal(400, response.StatusCode);
        Assert.Equal(["email_password_mismatch@password"], response.ErrorCodes);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task UnknownPath_UnderTheApi_AnswersA404Envelope(ClientKind kind)
    {
        var app = await StartAsync();
        var client = app.Client(kind);

        foreach (var path in new[] { "no/such/endpoint", "auth/login/extra", "AUTH/LOGINX" })
        {
            var response = await client.GetAsync(path);

            Assert.Equal(404, response.StatusCode);
            Assert.Equal("application/json", response.ContentHeaders.ContentType?.MediaType);
            Assert.Equal(404, response.Json.GetProperty("status").GetInt32());
            Assert.Equal(["not_found"], response.ErrorCodes);
        }
    }

    [Fact]
    public async Task UnknownApiVersion_AnswersA404Envelope()
    {
        var app = await StartAsync();
        using var http = app.CreateClient();

        using var response = await http.GetAsync("/_allauth/app/v2/config");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(404, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(404, JsonDocument.Parse(body).RootElement.GetProperty("status").GetInt32());
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task GetOnLogin_AnswersA405EnvelopeWithAnAllowHeader(ClientKind kind)
    {
        var app = await StartAsync();
        var client = app.Client(kind);

        var response = await client.GetAsync("auth/login");

        Assert.Equal(405, response.StatusCode);
        Assert.Equal("application/json", response.ContentHeaders.ContentType?.MediaType);
        Assert.Equal(405, response.Json.GetProperty("status").GetInt32());
        Assert.Equal(["method_not_allowed"], response.ErrorCodes);
        Assert.Contains("POST", AllowHeader(response));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task PostOnConfig_AnswersA405Envelope(ClientKind kind)
    {
        var app = await StartAsync();
        var client = app.Client(kind);

        var response = await client.PostAsync("config", new { });

        Assert.Equal(405, response.StatusCode);
        Assert.Equal(["method_not_allowed"], response.ErrorCodes);
        Assert.Contains("GET", AllowHeader(response));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task EveryApiResponse_CarriesTheNoStoreNoSniffAndDenyFramingHeaders(ClientKind kind)
    {
        var app = await StartAsync();
        var client = app.Client(kind);
        var responses = new List<(string What, ApiResponse Response)>
        {
            ("GET config", await client.GetAsync("config")),
            ("GET auth/session (401)", await client.GetAsync("auth/session")),
            ("POST auth/login (400)", await client.PostAsync("auth/login", new { })),
            ("POST auth/login malformed (400)", await client.PostAsync("auth/login", "{")),
            ("unknown path (404)", await client.GetAsync("no/such/thing")),
            ("wrong method (405)", await client.GetAsync("auth/login")),
            ("POST auth/signup (401)", await client.PostAsync("auth/signup", new { email = "alice@example.com", password = Password })),
        };
        if (kind == ClientKind.Browser)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, client.Prefix + "auth/login") { Content = Json("{}") };
            responses.Add(("CSRF failure (403)", await client.SendRawAsync(request, withCsrf: false)));
        }
        else
        {
            responses.Add(("dead token (410)", await SendWithToken(client, "x".PadRight(32, 'x'))));
        }

        foreach (var (what, response) in responses)
        {
            var cacheControl = response.Headers.CacheControl;
            Assert.True(cacheControl is { NoStore: true, NoCache: true, Private: true }, $"{what}: Cache-Control is '{cacheControl}'");
            Assert.True(response.Headers.TryGetValues("X-Content-Type-Options", out var sniff) && sniff.Single() == "nosniff", $"{what}: no nosniff");
            Assert.True(response.Headers.TryGetValues("X-Frame-Options", out var frame) && frame.Single() == "DENY", $"{what}: no X-Frame-Options DENY");
            Assert.Equal("application/json", response.ContentHeaders.ContentType?.MediaType);
        }
    }

    private static async Task<ApiResponse> SendWithToken(ApiClient client, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, client.Prefix + "auth/session");
        return await client.SendRawAsync(request, new Dictionary<string, string> { ["X-Session-Token"] = token });
    }

    private static IReadOnlyList<string> AllowHeader(ApiResponse response)
    {
        var values = response.ContentHeaders.Allow.Count > 0
            ? response.ContentHeaders.Allow
            : response.Headers.TryGetValues("Allow", out var raw) ? raw : [];
        return [.. values.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))];
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static async Task<ApiClient> PreparedClientAsync(GatehouseApp app, ClientKind kind, Endpoint endpoint)
    {
        switch (endpoint.Prep)
        {
            case Prep.Authenticated:
                return await SignedUpAndVerifiedAsync(app, kind, "alice@example.com");
            case Prep.PendingCode:
                var client = app.Client(kind);
                var request = await client.PostAsync("auth/code/request", new { email = "nobody@example.com" });
                Assert.Equal("login_by_code", request.PendingFlow);
                return client;
            default:
                return app.Client(kind);
        }
    }

    private static Task<ApiResponse> SendAsync(ApiClient client, Endpoint endpoint, HttpContent content)
    {
        var request = new HttpRequestMessage(new HttpMethod(endpoint.Method), client.Prefix + endpoint.Path) { Content = content };
        return SendDisposingAsync(client, request);
    }

    private static async Task<ApiResponse> SendDisposingAsync(ApiClient client, HttpRequestMessage request)
    {
        using (request)
        {
            return await client.SendRawAsync(request);
        }
    }

    private static void AssertErrorEnvelope(ApiResponse response)
    {
        Assert.True(response.StatusCode == 400, $"Expected 400, got {Truncate(response.ToString())}");
        Assert.Equal("application/json", response.ContentHeaders.ContentType?.MediaType);
        Assert.Equal(400, response.Json.GetProperty("status").GetInt32());
        var errors = response.Json.GetProperty("errors");
        Assert.True(errors.GetArrayLength() > 0);
        foreach (var error in errors.EnumerateArray())
        {
            Assert.Equal(JsonValueKind.String, error.GetProperty("code").ValueKind);
            Assert.Equal(JsonValueKind.String, error.GetProperty("message").ValueKind);
        }
        Assert.False(response.Json.TryGetProperty("data", out _));
    }

    private static void AssertExpected(Endpoint endpoint, Expect expect, ApiResponse response)
    {
        switch (expect)
        {
            case Expect.InvalidJson:
                Assert.Equal(["invalid_json"], response.ErrorCodes);
                break;
            case Expect.BodyTooLarge:
                Assert.Equal(["body_too_large"], response.ErrorCodes);
                break;
            case Expect.Required:
                Assert.Equal(endpoint.RequiredErrors ?? [.. endpoint.Fields.Select(f => $"required@{f.Name}")], response.ErrorCodes);
                break;
            case Expect.InvalidTypes:
                Assert.Equal(endpoint.Fields.Select(f => $"invalid@{f.Name}"), response.ErrorCodes);
                break;
            case Expect.MaxLength:
                // Strings over the field's limit: max_length; a list of 5,000 ids: not a valid list.
                Assert.Equal(endpoint.Fields.Where(f => f.Kind != FieldKind.Flag)
                    .Select(f => f.Kind == FieldKind.Text ? $"max_length@{f.Name}" : $"invalid@{f.Name}"), response.ErrorCodes);
                break;
            case Expect.NullCharacters:
                // Django's CharField: null_characters_not_allowed (and PostgreSQL cannot take NUL in text).
                Assert.Equal(endpoint.Fields.Where(f => f.Kind == FieldKind.Text).Select(f => $"null_characters_not_allowed@{f.Name}"),
                    response.ErrorCodes.Where(c => c.StartsWith("null_characters_not_allowed", StringComparison.Ordinal)));
                break;
            case Expect.AnyFieldError:
                break; // any 400 in the envelope will do: what matters is that it is not a 500

        }
    }

    private static string Truncate(string text) => text.Length > 500 ? text[..500] + "..." : text;

    private static string Object(Endpoint endpoint, Func<Field, string> value) =>
        "{" + string.Join(", ", endpoint.Fields.Select(f => $"{JsonString(f.Name)}: {value(f)}")) + "}";

    private static string JsonString(string text) => JsonSerializer.Serialize(text);

    /// <summary>A value of the wrong JSON type for the field: numbers, lists and objects for strings.</summary>
    private static string WrongType(Field field, int variant) => field.Kind switch
    {
        FieldKind.Flag => "\"yes\"",
        FieldKind.IdList => "\"all\"",
        _ => variant switch
        {
            0 => "12345",
            1 => "[\"a@example.com\"]",
            2 => "{\"value\": \"a@example.com\"}",
            _ => "true",
        },
    };

    /// <summary>A well-typed value for a non-text field.</summary>
    private static string Valid(Field field) => field.Kind switch
    {
        FieldKind.Flag => "true",
        FieldKind.IdList => "[999999]",
        _ => "\"x\"",
    };

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static ByteArrayContent Bytes(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>A body sent without Content-Length (chunked), so the server must count while reading.</summary>
    private sealed class UnknownLengthContent(byte[] body) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => stream.WriteAsync(body).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }
}

public sealed class SqliteBadInputTests() : BadInputTests(DatabaseKind.Sqlite);
public sealed class PostgresBadInputTests() : BadInputTests(DatabaseKind.Postgres);
