using System.Text.Json;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Gatehouse.Storage.Entities;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Audit;

public static class AuditEvents
{
    public const string SignedUp = "signed_up";
    public const string LoggedIn = "logged_in";
    /// <summary>Ours: the owner of an account's never-verified address took it over by a login code.</summary>
    public const string AccountClaimed = "account_claimed";
    public const string LoginFailed = "login_failed";
    public const string LoggedOut = "logged_out";
    public const string EmailConfirmed = "email_confirmed";
    public const string EmailAdded = "email_added";
    public const string EmailRemoved = "email_removed";
    public const string EmailPrimaryChanged = "email_primary_changed";
    public const string PasswordChanged = "password_changed";
    public const string PasswordSet = "password_set";
    public const string PasswordReset = "password_reset";
    public const string Reauthenticated = "reauthenticated";
    public const string SessionEnded = "session_ended";
    /// <summary>Ours: a spent refresh token came back after the grace period; its family and session were revoked.</summary>
    public const string RefreshTokenReused = "refresh_token_reused";
}

/// <summary>
/// Adds audit rows to the request's unit of work, so an event is recorded exactly when its change commits.
/// Data holds non-secret details only (an email address, a method name, a session id). Each event is also
/// written to the log (category "Gatehouse.Audit") for operators who read the console, with the address
/// masked: the log leaves the database's access control behind.
/// </summary>
public sealed partial class AuditLog(GatehouseDbContext db, AuthContext auth, TimeProvider time, ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger("Gatehouse.Audit");

    public void Record(string eventType, long? userId, object? data = null)
    {
        var json = data is null ? null : JsonSerializer.Serialize(data);
        db.AuditEvents.Add(new AuditEvent
        {
            OccurredAt = time.GetUtcNow().UtcDateTime,
            EventType = eventType,
            UserId = userId,
            Ip = auth.Ip,
            UserAgent = auth.UserAgent,
            Data = json,
        });
        var outcome = eventType == AuditEvents.LoginFailed ? "failure" : "success";
        if (_logger.IsEnabled(LogLevel.Information))
        {
            var masked = MaskedEmail(json);
            Log.AuthEvent(_logger, eventType, userId, auth.Ip, outcome, masked);
        }
    }

    /// <summary>"alice@example.com" becomes "a***@example.com"; null when the data names no address.</summary>
    internal static string? MaskedEmail(string? json)
    {
        if (json is null)
        {
            return null;
        }
        using var document = JsonDocument.Parse(json);
        var element = document.RootElement;
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty("email", out var email) || email.ValueKind != JsonValueKind.String)
        {
            return null;
        }
        var address = email.GetString()!;
        var at = address.LastIndexOf('@');
        return at <= 0 ? "***" : $"{address[0]}***{address[at..]}";
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 9001, Level = LogLevel.Information,
            Message = "Auth event {EventType} for user {UserId} from {Ip}: {Outcome} (email {Email})")]
        public static partial void AuthEvent(ILogger logger, string eventType, long? userId, string? ip, string outcome, string? email);
    }
}
