namespace Gatehouse.Configuration;

public enum EmailVerificationMode { Mandatory, Optional, None }

/// <summary><c>Gatehouse:Account</c>: the account flows, named after allauth's ACCOUNT_* settings.</summary>
public sealed class AccountOptions
{
    public const string Section = "Gatehouse:Account";

    /// <summary>"email", "username" or both (ACCOUNT_LOGIN_METHODS).</summary>
    public string[] LoginMethods { get; set; } = ["email"];
    /// <summary>Whether signup asks for a username (it is generated from the email otherwise).</summary>
    public bool SignupUsername { get; set; }
    /// <summary>Whether signup asks for an email address; required unless login is by username only.</summary>
    public bool SignupEmail { get; set; } = true;
    public bool IsOpenForSignup { get; set; } = true;
    public EmailVerificationMode EmailVerification { get; set; } = EmailVerificationMode.Mandatory;
    /// <summary>Verifying the email of an account in the middle of logging in logs it in (allauth's SPA expects it on).</summary>
    public bool LoginOnEmailConfirmation { get; set; } = true;
    public bool EmailVerificationByCodeEnabled { get; set; }
    public int EmailVerificationByCodeMaxAttempts { get; set; } = 3;
    public TimeSpan EmailVerificationByCodeTimeout { get; set; } = TimeSpan.FromMinutes(15);
    /// <summary>How long a verification link stays valid (ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS).</summary>
    public TimeSpan EmailConfirmationExpiry { get; set; } = TimeSpan.FromDays(3);
    /// <summary>Minimum time between two verification mails to one address (allauth's confirm_email 1/3m).</summary>
    public TimeSpan EmailConfirmationCooldown { get; set; } = TimeSpan.FromMinutes(3);

    public bool LoginByCodeEnabled { get; set; } = true;
    public int LoginByCodeMaxAttempts { get; set; } = 3;
    public TimeSpan LoginByCodeTimeout { get; set; } = TimeSpan.FromMinutes(3);

    public bool PasswordResetByCodeEnabled { get; set; }
    public int PasswordResetByCodeMaxAttempts { get; set; } = 3;
    public TimeSpan PasswordResetByCodeTimeout { get; set; } = TimeSpan.FromMinutes(3);
    /// <summary>How long a reset link stays valid (Django's PASSWORD_RESET_TIMEOUT: 3 days).</summary>
    public TimeSpan PasswordResetKeyExpiry { get; set; } = TimeSpan.FromDays(3);
    public bool LoginOnPasswordReset { get; set; }

    /// <summary>End the user's other sessions when the password changes (Django does, through the session auth hash).</summary>
    public bool LogoutOtherSessionsOnPasswordChange { get; set; } = true;
    /// <summary>Require a recent authentication for email changes (ACCOUNT_REAUTHENTICATION_REQUIRED).</summary>
    public bool ReauthenticationRequired { get; set; }
    public TimeSpan ReauthenticationTimeout { get; set; } = TimeSpan.FromSeconds(300);
    public int? MaxEmailAddresses { get; set; }
    /// <summary>Answer signup and password reset alike whether or not the account exists (ACCOUNT_PREVENT_ENUMERATION).</summary>
    public bool PreventEnumeration { get; set; } = true;
    /// <summary>How long an unfinished login/signup (pending stage) may wait.</summary>
    public TimeSpan PendingFlowTimeout { get; set; } = TimeSpan.FromMinutes(15);
    public int UsernameMinLength { get; set; } = 1;
    public string[] UsernameBlocklist { get; set; } = [];

    public bool LoginByEmail => LoginMethods.Contains("email", StringComparer.OrdinalIgnoreCase);
    public bool LoginByUsername => LoginMethods.Contains("username", StringComparer.OrdinalIgnoreCase);
}
