using System.Globalization;

namespace Gatehouse.Http;

/// <summary>
/// The errors the flows answer with, each code paired with its exact message, as allauth keeps them together in its
/// adapters' <c>error_messages</c> (account/adapter.py, mfa/adapter.py, headless/adapter.py) and Django in its
/// fields' and validators' messages. A flow writes <c>ApiErrors.IncorrectCode("code")</c>, never the pair itself,
/// so the same error cannot drift apart between flows.
/// </summary>
/// <remarks>
/// The messages are the wire's, byte for byte: allauth's frontend shows them and the recorded reference pairs
/// compare them, so change one only with the reference. Where allauth gives one code two messages (unknown_email,
/// invalid_choice, invalid), each is its own entry named for where it is used. A field error takes its param from
/// the caller, as allauth's forms attach an error to the field that raised it; a non-field error takes none.
/// The body's own errors (required, type, length, malformed JSON) are JsonInput's, as Django's are its fields'.
/// </remarks>
public static class ApiErrors
{
    // ---- allauth account/adapter.py error_messages ----

    public static ApiError CannotRemovePrimaryEmail(string param) =>
        new("You cannot remove your primary email address.", ErrorCodes.CannotRemovePrimaryEmail, param);

    public static ApiError DuplicateEmail(string param) =>
        new("This email address is already associated with this account.", ErrorCodes.DuplicateEmail, param);

    public static ApiError EmailPasswordMismatch(string param) =>
        new("The email address and/or password you specified are not correct.", ErrorCodes.EmailPasswordMismatch, param);

    public static ApiError UsernamePasswordMismatch(string param) =>
        new("The username and/or password you specified are not correct.", ErrorCodes.UsernamePasswordMismatch, param);

    public static ApiError EmailTaken(string param) =>
        new("A user is already registered with this email address.", ErrorCodes.EmailTaken, param);

    public static ApiError EnterCurrentPassword(string param) =>
        new("Please type your current password.", ErrorCodes.EnterCurrentPassword, param);

    /// <summary>allauth's account and mfa adapters both say this. A passkey assertion that fails is reported on
    /// <c>credential</c>, or as a non-field error (null) where the request had no such field.</summary>
    public static ApiError IncorrectCode(string? param) =>
        new("Incorrect code.", ErrorCodes.IncorrectCode, param);

    public static ApiError IncorrectPassword(string param) =>
        new("Incorrect password.", ErrorCodes.IncorrectPassword, param);

    public static ApiError InvalidOrExpiredKey(string param) =>
        new("Invalid or expired key.", ErrorCodes.InvalidOrExpiredKey, param);

    /// <summary>Non-field: neither or both of email and username were given.</summary>
    public static ApiError InvalidLogin() =>
        new("Invalid login.", ErrorCodes.InvalidLogin);

    public static ApiError InvalidPasswordReset(string param) =>
        new("The password reset token was invalid.", ErrorCodes.InvalidPasswordReset, param);

    public static ApiError MaxEmailAddresses(int max, string param) =>
        new($"You cannot add more than {max.ToString(CultureInfo.InvariantCulture)} email addresses.", ErrorCodes.MaxEmailAddresses, param);

    /// <summary>A non-field error on the password login and reauthentication forms (no param), a field error
    /// where allauth raises it from a field's clean (the login code's email, the MFA code or credential).</summary>
    public static ApiError TooManyLoginAttempts(string? param = null) =>
        new("Too many failed login attempts. Try again later.", ErrorCodes.TooManyLoginAttempts, param);

    /// <summary>The address names no account (login by code, password reset). Compare <see cref="UnknownOwnEmail"/>.</summary>
    public static ApiError UnknownEmail(string param) =>
        new("The email address is not assigned to any user account.", ErrorCodes.UnknownEmail, param);

    public static ApiError UnverifiedPrimaryEmail(string param) =>
        new("Your primary email address must be verified.", ErrorCodes.UnverifiedPrimaryEmail, param);

    /// <summary>allauth's key is username_blacklisted; its code on our wire has always been username_blocked.</summary>
    public static ApiError UsernameBlocked(string param) =>
        new("Username can not be used. Please use other username.", ErrorCodes.UsernameBlocked, param);

    /// <summary>allauth's username_taken is Django's AbstractUser username field's <c>unique</c> message.</summary>
    public static ApiError UsernameTaken(string param) =>
        new("A user with that username already exists.", ErrorCodes.UsernameTaken, param);

    // ---- allauth mfa/adapter.py error_messages (incorrect_code is above) ----

    /// <summary>Non-field: allauth's validate_can_add_authenticator.</summary>
    public static ApiError UnverifiedEmail() =>
        new("You cannot activate two-factor authentication until you have verified your email address.", ErrorCodes.UnverifiedEmail);

    /// <summary>Non-field: GenerateRecoveryCodesForm.clean.</summary>
    public static ApiError CannotGenerateRecoveryCodes() =>
        new("You cannot generate recovery codes without having two-factor authentication enabled.", ErrorCodes.CannotGenerateRecoveryCodes);

    // ---- allauth headless/adapter.py error_messages ----

    public static ApiError InvalidToken(string param) =>
        new("Invalid token.", ErrorCodes.InvalidToken, param);

    /// <summary>The address is not one of the user's own (headless SelectEmailInput). Compare <see cref="UnknownEmail"/>.</summary>
    public static ApiError UnknownOwnEmail(string param) =>
        new("Unknown email address.", ErrorCodes.UnknownEmail, param);

    // ---- Django's fields and validators, as allauth's forms use them ----

    /// <summary>Django's EmailValidator; also JsonInput's message for an email that is not a string.</summary>
    public const string InvalidEmailMessage = "Enter a valid email address.";

    public static ApiError InvalidEmail(string param) =>
        new(InvalidEmailMessage, ErrorCodes.Invalid, param);

    /// <summary>Django's UnicodeUsernameValidator.</summary>
    public static ApiError InvalidUsername(string param) =>
        new("Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.", ErrorCodes.Invalid, param);

    /// <summary>Django's MinLengthValidator, counting what was given.</summary>
    public static ApiError MinLength(int min, int length, string param) =>
        new($"Ensure this value has at least {min.ToString(CultureInfo.InvariantCulture)} characters (it has {length.ToString(CultureInfo.InvariantCulture)}).",
            ErrorCodes.MinLength, param);

    /// <summary>A single id that is not one of the user's (Django's ModelChoiceField). Compare <see cref="InvalidChoiceInList"/>.</summary>
    public static ApiError InvalidChoice(string param) =>
        new("Select a valid choice. That choice is not one of the available choices.", ErrorCodes.InvalidChoice, param);

    /// <summary>An id in a list that is not one of the user's (Django's ModelMultipleChoiceField names the value).</summary>
    public static ApiError InvalidChoiceInList(long value, string param) =>
        new($"Select a valid choice. {value.ToString(CultureInfo.InvariantCulture)} is not one of the available choices.", ErrorCodes.InvalidChoice, param);

    // ---- Gatehouse's own (allauth answers these with HTML or not at all) ----

    /// <summary>Django's CSRF failure page says this; the session endpoints and the host scheme answer it in the envelope.</summary>
    public static ApiError CsrfFailed() =>
        new("CSRF verification failed. Request aborted.", ErrorCodes.CsrfFailed);

    public static ApiError DisposableEmail(string param) =>
        new("Disposable email addresses are not accepted.", ErrorCodes.DisposableEmail, param);

    public static ApiError RefreshTokenReused(string param) =>
        new("The refresh token was already used; its session has ended.", ErrorCodes.RefreshTokenReused, param);
}
