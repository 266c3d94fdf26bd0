using Gatehouse;
using Gatehouse.HostApi;
using Gatehouse.Server;
using Gatehouse.Storage;

// `Gatehouse.Server migrate` applies pending schema migrations and exits; anything else serves.
if (args.FirstOrDefault() == "migrate")
{
    return await Cli.MigrateAsync(args[1..]);
}
// `Gatehouse.Server keys rotate|list`: the JWT signing keys (Gatehouse:Tokens).
if (args.FirstOrDefault() == "keys")
{
    return await Cli.KeysAsync(args[1..]);
}

var builder = WebApplication.CreateBuilder(args);
// Registered before AddGatehouse, so it runs first: everything after it sees the client a trusted proxy saw.
builder.Services.AddTransient<IStartupFilter, Startup.ForwardedHeadersFirst>();
builder.Services.AddGatehouse(builder.Configuration);
// The server's own API (/api/v1/users/me) is protected by Gatehouse's scheme, as a host app's would be.
builder.Services.AddAuthentication().AddGatehouse();

var app = builder.Build();
app.Use(Startup.SecurityHeaders);
app.MapGatehouse();
app.MapGatehouseUserApi();
app.MapGet("/healthz", () => Results.Text("ok"));
// The web frontend (web/out) on the same origin; without it, "/" says what this server is.
if (!app.UseGatehouseFrontend())
{
    app.MapGet("/", () => Results.Text("Gatehouse: the django-allauth headless API for ASP.NET Core. API under /_allauth/{browser|app}/v1/."));
}
try
{
    // Start-up migrates when Gatehouse:Database:AutoMigrate is on, and refuses a schema that does not match.
    await app.RunAsync();
}
catch (SchemaMismatchException ex)
{
    await Console.Error.WriteLineAsync(ex.Message);
    return 1;
}
return 0;

public partial class Program;
