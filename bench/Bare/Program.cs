// The ceiling: what the bare framework does for a small JSON endpoint on this machine. Same host
// defaults as Gatehouse.Server (WebApplication.CreateBuilder, Kestrel, System.Text.Json), nothing else.
var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var app = builder.Build();
app.MapGet("/json", () => new Payload(200, "ok", IsAuthenticated: false));
app.MapGet("/healthz", () => Results.Text("ok"));
await app.RunAsync();

internal sealed record Payload(int Status, string Message, bool IsAuthenticated);
