using Gatehouse.Email;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Gatehouse.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Tests.Api;

/// <summary>
/// Base of the headless API tests. Each test starts its own server on the database of the derived
/// class (SQLite or PostgreSQL); tests are theories over both client kinds.
/// </summary>
public abstract class ApiTestBase(DatabaseKind database) : IAsyncLifetime
{
    private readonly List<GatehouseApp> _apps = [];

    public static TheoryData<ClientKind> Clients => new() { ClientKind.App, ClientKind.Browser };

    protected DatabaseKind Database { get; } = database;

    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>();

    protected async Task<GatehouseApp> StartAsync(IDictionary<string, string?>? overrides = null, Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services = null)
    {
        var settings = new Dictionary<string, string?>(Settings);
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
        var app = await GatehouseApp.StartAsync(Database, settings, services);
        _apps.Add(app);
        return app;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }
    }

    protected const string Password = "Tr0ub4dor&3-horse";

    /// <summary>Signs a user up and verifies the address through the mailed link; leaves the client logged in.</summary>
    protected static async Task<ApiClient> SignedUpAndVerifiedAsync(GatehouseApp app, ClientKind kind, string email, string password = Password)
    {
        var client = app.Client(kind);
        var signup = await client.PostAsync("auth/signup", new { email, password });
        Assert.Equal(401, signup.StatusCode);
        var key = await VerificationKeyAsync(app, email);
        var verified = await client.PostAsync("auth/email/verify", new { key });
        Assert.Equal(200, verified.StatusCode);
        return client;
    }

    /// <summary>The key of the newest verification link mailed to <paramref name="email"/>.</summary>
    protected static async Task<string> VerificationKeyAsync(GatehouseApp app, string email)
    {
        var mail = await app.Mail.WaitForMailAsync(m => m.To.Contains(email) && m.Subject.Contains("Confirm Your Email", StringComparison.Ordinal));
        app.Mail.Clear();
        return KeyFromUrl(mail.FirstUrl());
    }

    protected static string KeyFromUrl(string url) => Uri.UnescapeDataString(url[(url.LastIndexOf('/') + 1)..]);

    /// <summary>A new client of <paramref name="kind"/> logged in with the password (asserts the 200).</summary>
    protected static async Task<ApiClient> LoggedInAsync(GatehouseApp app, ClientKind kind, string email, string password = Password, string userAgent = "gatehouse-tests")
    {
        var client = app.Client(kind, userAgent);
        var login = await client.PostAsync("auth/login", new { email, password });
        Assert.Equal(200, login.StatusCode);
        return client;
    }

    /// <summary>Asserts that <paramref name="response"/> is allauth's envelope: a JSON body whose <c>status</c> is the HTTP status.</summary>
    protected static void AssertEnvelope(ApiResponse response) =>
        Assert.True(response.EnvelopeStatus == response.StatusCode, $"not the envelope of its status: {response}");

    /// <summary>Waits for a mail to <paramref name="email"/> whose subject contains <paramref name="subject"/>, then forgets all caught mail.</summary>
    protected static async Task<CaughtMail> MailToAsync(GatehouseApp app, string email, string subject)
    {
        var mail = await app.Mail.WaitForMailAsync(m => m.To.Contains(email) && m.Subject.Contains(subject, StringComparison.Ordinal));
        app.Mail.Clear();
        return mail;
    }

    /// <summary>
    /// Puts a sign-in code mail for each recipient in the outbox through the product's Mailer, all in one
    /// commit, so the worker finds them in one pass.
    /// </summary>
    protected static async Task EnqueueAsync(GatehouseApp app, params string[] recipients)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var mailer = scope.ServiceProvider.GetRequiredService<Mailer>();
        foreach (var to in recipients)
        {
            mailer.Enqueue(to, "login_code", new() { ["code"] = "BCDF-GHJK" });
        }
        await scope.ServiceProvider.GetRequiredService<GatehouseDbContext>().SaveChangesAsync();
    }

    /// <summary>How many mails to <paramref name="email"/> with <paramref name="subject"/> in their subject the outbox holds (sent or not).</summary>
    protected static Task<int> OutboxCountAsync(GatehouseApp app, string email, string subject) =>
        app.DbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.CountAsync(
            db.OutboxMessages, m => m.ToAddress == email && m.Subject.Contains(subject)));
}
