using Gatehouse;
using Gatehouse.Server;

// `Gatehouse.Server migrate` applies pending schema migrations and exits; anything else serves.
if (args.FirstOrDefault() == "migrate")
{
    return await Cli.MigrateAsync(args[1..]);
}

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddGatehouse(builder.Configuration);

var app = builder.Build();
await Startup.MigrateIfConfiguredAsync(app);
app.MapGatehouse();
app.MapGet("/healthz", () => Results.Text("ok"));
// The web frontend (web/out) on the same origin; without it, "/" says what this server is.
if (!app.UseGatehouseFrontend())
{
    app.MapGet("/", () => Results.Text("Gatehouse: the django-allauth headless API for ASP.NET Core. API under /_allauth/{browser|app}/v1/."));
}
await app.RunAsync();
return 0;

public partial class Program;
