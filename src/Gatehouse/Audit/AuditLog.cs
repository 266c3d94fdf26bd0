using System.Text.Json;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Gatehouse.Storage.Entities;

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
}

/// <summary>
/// Adds audit rows to the request's unit of work, so an event is recorded exactly when its change commits.
/// Data holds non-secret details only (an email address, a method name, a session id).
/// </summary>
public sealed class AuditLog(GatehouseDbContext db, AuthContext auth, TimeProvider time)
{
    public void Record(string eventType, long? userId, object? data = null) =>
        db.AuditEvents.Add(new AuditEvent
        {
            OccurredAt = time.GetUtcNow().UtcDateTime,
            EventType = eventType,
            UserId = userId,
            Ip = auth.Ip,
            UserAgent = auth.UserAgent,
            Data = data is null ? null : JsonSerializer.Serialize(data),
        });
}
