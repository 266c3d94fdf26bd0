using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;

// The ceiling: what the bare framework does for a small JSON endpoint on this machine. Same host
// defaults as Gatehouse.Server (WebApplication.CreateBuilder, Kestrel, System.Text.Json), nothing else.
// With --Bare:Floor=true (scenario 1b) it is instead the framework's floor for a protected endpoint: ASP.NET
// Core's authentication and authorization middleware with a handler that checks nothing (any Bearer header is a
// user) and builds a principal of the Gatehouse scheme's shape, and an endpoint that answers users/me's fields
// from its claims. What Gatehouse's Bearer scenario (9) costs beyond 1b is Gatehouse's own work.
var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var floor = builder.Configuration.GetValue<bool>("Bare:Floor");
if (floor)
{
    builder.Services.AddAuthentication(options => options.AddScheme<FloorHandler>(FloorHandler.Name, null));
    builder.Services.AddAuthorization();
}
var app = builder.Build();
app.MapGet("/json", () => new Payload(200, "ok", IsAuthenticated: false));
app.MapGet("/healthz", () => Results.Text("ok"));
if (floor)
{
    app.MapGet("/users/me", static (ClaimsPrincipal user, HttpContext context) =>
    {
        context.Response.Headers.CacheControl = "no-store";
        return Results.Json(new Me(
            long.Parse(user.FindFirstValue(ClaimTypes.NameIdentifier)!, System.Globalization.CultureInfo.InvariantCulture),
            user.FindFirstValue(ClaimTypes.Email), user.FindFirstValue("username"), user.FindFirstValue("has_mfa") == "true"));
    }).RequireAuthorization();
}
await app.RunAsync();

internal sealed record Payload(int Status, string Message, bool IsAuthenticated);

internal sealed record Me(
    [property: System.Text.Json.Serialization.JsonPropertyName("id")] long Id,
    [property: System.Text.Json.Serialization.JsonPropertyName("email")] string? Email,
    [property: System.Text.Json.Serialization.JsonPropertyName("username")] string? Username,
    [property: System.Text.Json.Serialization.JsonPropertyName("has_mfa")] bool HasMfa);

/// <summary>Accepts any Bearer header; the principal has the claims Gatehouse's scheme puts on a host route.</summary>
internal sealed class FloorHandler : IAuthenticationHandler
{
    public const string Name = "Floor";
    private HttpContext _context = null!;

    public Task InitializeAsync(AuthenticationScheme scheme, HttpContext context)
    {
        _context = context;
        return Task.CompletedTask;
    }

    public Task<AuthenticateResult> AuthenticateAsync()
    {
        var header = _context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        var identity = new ClaimsIdentity(Name, ClaimTypes.Name, ClaimTypes.Role);
        identity.AddClaim(new Claim(ClaimTypes.NameIdentifier, "42"));
        identity.AddClaim(new Claim("sid", "4242"));
        identity.AddClaim(new Claim("gatehouse_client", "app"));
        identity.AddClaim(new Claim(ClaimTypes.Name, "user42"));
        identity.AddClaim(new Claim(ClaimTypes.Email, "user42@bench.test"));
        identity.AddClaim(new Claim("username", "user42"));
        identity.AddClaim(new Claim("email_verified", "true"));
        identity.AddClaim(new Claim("is_staff", "false"));
        identity.AddClaim(new Claim("has_mfa", "false"));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Name)));
    }

    public Task ChallengeAsync(AuthenticationProperties? properties)
    {
        _context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        return Task.CompletedTask;
    }

    public Task ForbidAsync(AuthenticationProperties? properties)
    {
        _context.Response.StatusCode = StatusCodes.Status403Forbidden;
        return Task.CompletedTask;
    }
}
