using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gatehouse.Sessions;

/// <summary>
/// What a session remembers besides its user: how the user authenticated, and the flow in progress
/// (the "pending flow"). Stored as JSON in <c>sessions.state</c>.
/// </summary>
public sealed class SessionState
{
    public List<AuthMethod> Methods { get; set; } = [];
    public PendingFlow? Pending { get; set; }

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string Serialize() => JsonSerializer.Serialize(this, Json);

    public static SessionState Parse(string? json) =>
        string.IsNullOrEmpty(json) ? new SessionState() : JsonSerializer.Deserialize<SessionState>(json, Json) ?? new SessionState();
}

/// <summary>One entry of <c>data.methods</c>: how and when the user proved who they are.</summary>
public sealed class AuthMethod
{
    public required string Method { get; set; }
    /// <summary>Epoch seconds with fraction, as allauth writes it.</summary>
    public double At { get; set; }
    public string? Email { get; set; }
    public string? Username { get; set; }
    public bool? Reauthenticated { get; set; }
}

/// <summary>
/// A multi-step authentication in progress. <see cref="Stages"/> lists what must still happen, first
/// one current: <c>verify_email</c> after a login or signup, <c>login_by_code</c> after a code request,
/// <c>password_reset_by_code</c> after a reset request by code. Later features add their stages
/// (<c>mfa_authenticate</c>, <c>provider_signup</c>) to the same list.
/// </summary>
public sealed class PendingFlow
{
    public List<string> Stages { get; set; } = [];
    /// <summary>Null when the account does not exist (enumeration prevention keeps the flow looking alike).</summary>
    public long? UserId { get; set; }
    public string? Email { get; set; }
    public DateTime ExpiresAt { get; set; }
    /// <summary>Methods earned so far, carried into the session when the last stage passes.</summary>
    public List<AuthMethod> Methods { get; set; } = [];
    /// <summary>HMAC of the code this stage waits for, if it waits for one.</summary>
    public string? CodeHash { get; set; }
    public int Attempts { get; set; }
    /// <summary>A password reset by code whose code was accepted once; the flow then moved to a new token.</summary>
    public bool CodeConfirmed { get; set; }

    [JsonIgnore]
    public string? CurrentStage => Stages.Count > 0 ? Stages[0] : null;
}

public static class Stages
{
    public const string VerifyEmail = "verify_email";
    public const string LoginByCode = "login_by_code";
    public const string PasswordResetByCode = "password_reset_by_code";
}
