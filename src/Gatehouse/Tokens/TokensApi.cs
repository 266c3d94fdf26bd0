using System.Text.Json;
using Gatehouse.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Gatehouse.Tokens;

/// <summary>
/// The token routes, mapped only with the JWT strategy: <c>tokens/refresh</c> for the app client (allauth's
/// <c>tokens/urls.py</c>, app only) and the JWKS document at <c>/.well-known/jwks.json</c>.
/// </summary>
public static class TokensApi
{
    public const string JwksPath = "/.well-known/jwks.json";

    public static void MapTokens(this RouteGroupBuilder appGroup) =>
        // No session is looked up: the refresh token alone says which session it belongs to, and an expired
        // access token still sitting in the client's Authorization header must not matter here.
        appGroup.MapPost("tokens/refresh", static (JsonInput input, RefreshTokenFlow flow, CancellationToken ct) => flow.RefreshAsync(input, ct))
            .WithMetadata(new Sessions.NoSessionMetadata());

    public static void MapJwks(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet(JwksPath, static (HttpContext http, SigningKeys keys, IOptions<TokenOptions> options, TimeProvider time) =>
        {
            var now = time.GetUtcNow().UtcDateTime;
            var response = http.Response;
            response.ContentType = "application/json";
            // Validators cache this; a new key is published KeyPublicationDelay (at least this long) before it signs.
            response.Headers[HeaderNames.CacheControl] = $"public, max-age={(int)options.Value.JwksCacheDuration.TotalSeconds}";
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteStartArray("keys");
                foreach (var key in keys.Current.All.Where(k => Tokens.SigningKeySet.IsPublished(k, now, keys.RetentionAfterSupersede)).Reverse())
                {
                    WriteJwk(w, key);
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            return Results.Bytes(buffer.ToArray(), "application/json");
        });

    /// <summary>RFC 7517 section 4 / RFC 7518 section 6: only public members.</summary>
    private static void WriteJwk(Utf8JsonWriter w, LoadedSigningKey key)
    {
        var jwk = key.PublicJwk;
        w.WriteStartObject();
        w.WriteString("kty", jwk.Kty);
        w.WriteString("use", "sig");
        w.WriteString("alg", key.Algorithm);
        w.WriteString("kid", key.Kid);
        if (jwk.Kty == "EC")
        {
            w.WriteString("crv", jwk.Crv);
            w.WriteString("x", jwk.X);
            w.WriteString("y", jwk.Y);
        }
        else
        {
            w.WriteString("n", jwk.N);
            w.WriteString("e", jwk.E);
        }
        w.WriteEndObject();
    }
}
