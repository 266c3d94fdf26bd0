using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Gatehouse.Tests.Api;

/// <summary>
/// The session lookup's connections map the SQLite file (<c>Gatehouse:Database:SqliteMmapSize</c>), and 0 really turns
/// the mapping off. Read from this process's own memory map (Linux), since the server under test runs in it.
/// </summary>
public sealed class SqliteSessionLookupMappingTests() : ApiTestBase(DatabaseKind.Sqlite)
{
    [Theory]
    [InlineData(null, true)]
    [InlineData("0", false)]
    public async Task TheLookupMapsTheDatabaseFile_UnlessItIsSwitchedOff(string? size, bool mapped)
    {
        var app = await StartAsync(size is null ? null : new Dictionary<string, string?> { ["Gatehouse:Database:SqliteMmapSize"] = size });
        var client = await SignedUpAndVerifiedAsync(app, ClientKind.App, "alice@example.com");

        var session = await client.GetAsync("auth/session");

        Assert.Equal(200, session.StatusCode);
        var file = Path.GetFullPath(new SqliteConnectionStringBuilder(app.ConnectionString).DataSource);
        var maps = await File.ReadAllLinesAsync("/proc/self/maps");
        Assert.Equal(mapped, maps.Any(line => line.EndsWith(" " + file, StringComparison.Ordinal)));
    }
}
