using Gatehouse.Tests.Infrastructure;

namespace Gatehouse.Tests.Hosting;

/// <summary>
/// The library leaves a host's pages alone; Gatehouse.Server owns its whole origin and gives its own pages
/// (the frontend, /healthz) the headers the API has. HTTP layer only: SQLite.
/// </summary>
public sealed class ServerHeadersTests() : Api.ApiTestBase(DatabaseKind.Sqlite)
{
    [Fact]
    public async Task TheServersOwnPages_GetTheSecurityHeaders_ButNotTheApisNoStore()
    {
        var app = await StartAsync();
        using var http = app.CreateClient();

        using var response = await http.GetAsync("/healthz");

        Assert.Equal("ok", await response.Content.ReadAsStringAsync());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("same-origin", response.Headers.GetValues("Cross-Origin-Opener-Policy").Single());
        Assert.Null(response.Headers.CacheControl);
    }
}
