using System.Text.RegularExpressions;
using Gatehouse.Http;

namespace Gatehouse.Account;

/// <summary>Email syntax as Django's EmailValidator accepts it (dot-atom or quoted local part, a dotted domain or localhost).</summary>
public static partial class EmailValidation
{
    public static bool IsValid(string email)
    {
        if (email.Length > 254 || email.Any(char.IsControl))
        {
            return false;
        }
        var at = email.LastIndexOf('@');
        if (at <= 0 || at == email.Length - 1)
        {
            return false;
        }
        var local = email[..at];
        var domain = email[(at + 1)..];
        return (LocalPart().IsMatch(local) || QuotedLocalPart().IsMatch(local)) &&
               (domain.Equals("localhost", StringComparison.OrdinalIgnoreCase) || Domain().IsMatch(domain));
    }

    /// <summary>
    /// Reads an <c>email</c> field: required, a string, valid syntax and, when <paramref name="disposable"/>
    /// is given, not at a throw-away domain. Returns the trimmed address, or null with the error added.
    /// </summary>
    public static string? Read(JsonInput input, Security.DisposableEmailDomains? disposable = null)
    {
        var email = input.Text("email", invalidMessage: ApiErrors.InvalidEmailMessage, maxLength: 254)?.Trim();
        if (email is null)
        {
            return null;
        }
        if (!IsValid(email))
        {
            input.AddError(ApiErrors.InvalidEmail("email"));
            return null;
        }
        if (disposable?.IsDisposable(email) == true)
        {
            input.AddError(ApiErrors.DisposableEmail("email"));
            return null;
        }
        return email;
    }

    /// <summary>allauth stores and compares addresses lower-cased.</summary>
    public static string Normalize(string email) => email.Trim().ToLowerInvariant();

    [GeneratedRegex(@"^[-!#$%&'*+/=?^_`{}|~0-9A-Za-z]+(\.[-!#$%&'*+/=?^_`{}|~0-9A-Za-z]+)*$")]
    private static partial Regex LocalPart();

    [GeneratedRegex(@"^""([\x01-\x08\x0b\x0c\x0e-\x1f!#-\[\]-\x7f]|\\[\x01-\x09\x0b\x0c\x0e-\x7f])*""$")]
    private static partial Regex QuotedLocalPart();

    [GeneratedRegex(@"^((?!-)[A-Za-z0-9-]{1,63}(?<!-)\.)+(?!-)([A-Za-z]{2,63}|xn--[A-Za-z0-9]{1,59})(?<!-)\.?$")]
    private static partial Regex Domain();
}
