using Gatehouse.Configuration;
using Gatehouse.Http;
using Gatehouse.Security;

namespace Gatehouse.Account;

// The account request bodies, as allauth's account/inputs.py declares them: each Read does all field reading and
// shape checks (presence, type, length, syntax), records field errors on the JsonInput in the order allauth's
// forms report them, and returns null when it recorded one. The two forms whose rules add errors beside the shape
// errors in the same 400 (signup, password change) return a partial record instead: the flow adds its errors and
// then answers all of them. A flow calls Read where it read its fields before, so which check answers first (a
// 409, a 429) is unchanged.

/// <summary>Field limits shared by the account bodies.</summary>
internal static class AccountFields
{
    /// <summary>Large enough for any passphrase; bounds the work a single hash is asked to do.</summary>
    public const int MaxPasswordLength = 4096;
    public const int MaxUsernameLength = 150;
    public const int MaxKeyLength = 256;
    public const int MaxCodeLength = 64;

    public static string? Password(JsonInput input, string name = "password") => input.Text(name, maxLength: MaxPasswordLength);
}

/// <summary>POST auth/login: an email or a username, as the configuration allows, and the password.</summary>
public sealed record LoginInput(string? Email, string? Username, string Password)
{
    public static LoginInput? Read(JsonInput input, AccountOptions options)
    {
        var (email, username) = ReadIdentifier(input, options);
        var password = AccountFields.Password(input);
        return input.IsValid ? new LoginInput(email, username, password!) : null;
    }

    /// <summary>With login by email and by username both on, exactly one of the two must be given.</summary>
    private static (string? Email, string? Username) ReadIdentifier(JsonInput input, AccountOptions options)
    {
        if (options.LoginByEmail && options.LoginByUsername)
        {
            var hasEmail = input.Has("email");
            if (hasEmail == input.Has("username"))
            {
                input.AddError(ApiErrors.InvalidLogin());
                return (null, null);
            }
            return hasEmail ? (EmailValidation.Read(input), null) : (null, ReadUsername(input));
        }
        return options.LoginByEmail ? (EmailValidation.Read(input), null) : (null, ReadUsername(input));
    }

    private static string? ReadUsername(JsonInput input) => input.Text("username", maxLength: AccountFields.MaxUsernameLength);
}

/// <summary>
/// POST auth/signup and auth/webauthn/signup. Partial: the flow adds the username-taken and password-validator
/// errors to the same answer. <see cref="UsernameWellFormed"/> tells it whether the username is worth looking up;
/// <see cref="Username"/> is kept even when it is not, since the password validator compares the password with it.
/// </summary>
public sealed record SignupInput(string? Email, string? Username, bool UsernameWellFormed, string? Password)
{
    /// <param name="byPasskey">A passkey signup has no password field (allauth's SignupForm with by_passkey).</param>
    public static SignupInput Read(JsonInput input, AccountOptions options, DisposableEmailDomains disposable, bool byPasskey)
    {
        var email = options.SignupEmail ? EmailValidation.Read(input, disposable) : null;
        var username = options.SignupUsername ? input.Text("username", maxLength: AccountFields.MaxUsernameLength)?.Trim() : null;
        var password = byPasskey ? null : AccountFields.Password(input);
        // After the password's own errors, as allauth's clean_username errors follow the fields' required errors.
        var wellFormed = username is not null && CheckUsername(input, username, options);
        return new SignupInput(email, username, wellFormed, password);
    }

    private static bool CheckUsername(JsonInput input, string username, AccountOptions options)
    {
        if (username.Length < options.UsernameMinLength)
        {
            input.AddError(ApiErrors.MinLength(options.UsernameMinLength, username.Length, "username"));
            return false;
        }
        if (!UserDirectory.IsValidUsername(username))
        {
            input.AddError(ApiErrors.InvalidUsername("username"));
            return false;
        }
        if (options.UsernameBlocklist.Contains(username, StringComparer.OrdinalIgnoreCase))
        {
            input.AddError(ApiErrors.UsernameBlocked("username"));
            return false;
        }
        return true;
    }
}

/// <summary>POST auth/reauthenticate.</summary>
public sealed record ReauthenticateInput(string Password)
{
    public static ReauthenticateInput? Read(JsonInput input)
    {
        var password = AccountFields.Password(input);
        return input.IsValid ? new ReauthenticateInput(password!) : null;
    }
}

/// <summary>POST auth/code/request.</summary>
public sealed record LoginCodeRequestInput(string Email)
{
    public static LoginCodeRequestInput? Read(JsonInput input)
    {
        var email = EmailValidation.Read(input);
        return input.IsValid ? new LoginCodeRequestInput(email!) : null;
    }
}

/// <summary>POST auth/code/confirm.</summary>
public sealed record LoginCodeConfirmInput(string Code)
{
    public static LoginCodeConfirmInput? Read(JsonInput input)
    {
        var code = input.Text("code", maxLength: AccountFields.MaxCodeLength);
        return input.IsValid ? new LoginCodeConfirmInput(code!) : null;
    }
}

/// <summary>POST auth/password/request.</summary>
public sealed record PasswordResetRequestInput(string Email)
{
    public static PasswordResetRequestInput? Read(JsonInput input)
    {
        var email = EmailValidation.Read(input);
        return input.IsValid ? new PasswordResetRequestInput(email!) : null;
    }
}

/// <summary>POST auth/password/reset: the mailed key (or, by code, the code) and the new password.</summary>
public sealed record PasswordResetInput(string Key, string Password)
{
    public static PasswordResetInput? Read(JsonInput input)
    {
        var key = input.Text("key", maxLength: AccountFields.MaxKeyLength);
        var password = AccountFields.Password(input);
        return input.IsValid ? new PasswordResetInput(key!, password!) : null;
    }
}

/// <summary>
/// POST account/password/change. Partial: the flow adds the validator's and the wrong-current-password errors.
/// An account without a usable password sets a first one, so <c>current_password</c> is not asked for.
/// </summary>
public sealed record PasswordChangeInput(string? CurrentPassword, string? NewPassword)
{
    public static PasswordChangeInput Read(JsonInput input, bool hasPassword)
    {
        var current = hasPassword ? AccountFields.Password(input, "current_password") : null;
        var newPassword = AccountFields.Password(input, "new_password");
        return new PasswordChangeInput(current, newPassword);
    }
}
