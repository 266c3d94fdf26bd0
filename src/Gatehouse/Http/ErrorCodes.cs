namespace Gatehouse.Http;

/// <summary>
/// Every error code the API can return, in one place. The strings are django-allauth's (clients
/// branch on them); the few that allauth does not have are marked as ours.
/// </summary>
public static class ErrorCodes
{
    public const string Required = "required";
    public const string Invalid = "invalid";
    public const string EmailPasswordMismatch = "email_password_mismatch";
    public const string UsernamePasswordMismatch = "username_password_mismatch";
    public const string TooManyLoginAttempts = "too_many_login_attempts";
    public const string EmailTaken = "email_taken";
    public const string UsernameTaken = "username_taken";
    public const string UsernameBlocked = "username_blocked";
    public const string InvalidOrExpiredKey = "invalid_or_expired_key";
    public const string InvalidPasswordReset = "invalid_password_reset";
    public const string IncorrectCode = "incorrect_code";
    public const string IncorrectPassword = "incorrect_password";
    public const string EnterCurrentPassword = "enter_current_password";
    public const string CannotRemovePrimaryEmail = "cannot_remove_primary_email";
    public const string UnverifiedPrimaryEmail = "unverified_primary_email";
    public const string MaxEmailAddresses = "max_email_addresses";
    public const string DuplicateEmail = "duplicate_email";
    public const string UnknownEmail = "unknown_email";
    public const string InvalidLogin = "invalid_login";
    public const string InvalidChoice = "invalid_choice";
    public const string MaxLength = "max_length";
    public const string MinLength = "min_length";
    public const string NullCharactersNotAllowed = "null_characters_not_allowed";
    // allauth.mfa's adapter error_messages.
    public const string UnverifiedEmail = "unverified_email";
    public const string CannotGenerateRecoveryCodes = "cannot_generate_recovery_codes";
    public const string CannotDeleteAuthenticator = "cannot_delete_authenticator";
    public const string InvalidToken = "invalid_token";

    // Gatehouse's own codes (allauth answers these cases with HTML pages or a 500).
    public const string InvalidJson = "invalid_json";
    public const string BodyTooLarge = "body_too_large";
    public const string CsrfFailed = "csrf_failed";
    public const string NotFound = "not_found";
    public const string MethodNotAllowed = "method_not_allowed";
    public const string DisposableEmail = "disposable_email";
    public const string ServerError = "server_error";
    public const string ServerBusy = "server_busy";
    /// <summary>A spent refresh token was presented after the grace period: its family and session were revoked.</summary>
    public const string RefreshTokenReused = "refresh_token_reused";

    // A host app's endpoints protected by Gatehouse's scheme and policies (C8). The first three are Django REST
    // framework's codes for the same answers, which the seeds' DRF views gave.
    public const string NotAuthenticated = "not_authenticated";
    public const string AuthenticationFailed = "authentication_failed";
    public const string PermissionDenied = "permission_denied";
    public const string EmailNotVerified = "email_not_verified";
    public const string MfaRequired = "mfa_required";
}
