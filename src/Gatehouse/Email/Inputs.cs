using Gatehouse.Account;
using Gatehouse.Http;
using Gatehouse.Security;
using Gatehouse.Storage.Entities;

namespace Gatehouse.Email;

// The email request bodies, as allauth's headless account/inputs.py declares them: each Read does all field
// reading and shape checks, records field errors on the JsonInput in the order the flows always reported them,
// and returns null when it recorded one. An address picked from the user's own (resend, primary, remove) is a
// choice field, as allauth's SelectEmailInput: the reader resolves it against the addresses it is given.

/// <summary>POST auth/email/verify: the mailed key, or with verification by code the code.</summary>
public sealed record VerifyEmailInput(string Key)
{
    public const int MaxKeyLength = 256;

    public static VerifyEmailInput? Read(JsonInput input)
    {
        var key = input.Text("key", maxLength: MaxKeyLength);
        return input.IsValid ? new VerifyEmailInput(key!) : null;
    }
}

/// <summary>POST account/email: a new address; a throw-away domain is refused.</summary>
public sealed record AddEmailInput(string Email)
{
    public static AddEmailInput? Read(JsonInput input, DisposableEmailDomains disposable)
    {
        var email = EmailValidation.Read(input, disposable);
        return input.IsValid ? new AddEmailInput(email!) : null;
    }
}

/// <summary>PUT (resend verification) and DELETE account/email: one of the user's own addresses.</summary>
public sealed record SelectEmailInput(EmailAddress Address)
{
    public static SelectEmailInput? Read(JsonInput input, User user)
    {
        var address = ReadOwn(input, user);
        return input.IsValid ? new SelectEmailInput(address!) : null;
    }

    internal static EmailAddress? ReadOwn(JsonInput input, User user)
    {
        var email = EmailValidation.Read(input);
        if (email is null)
        {
            return null;
        }
        var normalized = EmailValidation.Normalize(email);
        var address = user.EmailAddresses.FirstOrDefault(e => e.EmailNormalized == normalized);
        if (address is null)
        {
            input.AddError(ApiErrors.UnknownOwnEmail("email"));
        }
        return address;
    }
}

/// <summary>PATCH account/email: one of the user's addresses and <c>"primary": true</c>.</summary>
public sealed record MarkPrimaryEmailInput(EmailAddress Address)
{
    public static MarkPrimaryEmailInput? Read(JsonInput input, User user)
    {
        var address = SelectEmailInput.ReadOwn(input, user);
        // allauth's BooleanField(required=True): false is "required", as Django treats an unchecked box.
        if (input.Flag("primary") == false)
        {
            input.AddError(ApiError.Required("primary"));
        }
        // Once any address is proven, an unproven one cannot take over as primary.
        if (address is { Verified: false } && user.EmailAddresses.Any(e => e.Verified))
        {
            input.AddError(ApiErrors.UnverifiedPrimaryEmail("email"));
        }
        return input.IsValid ? new MarkPrimaryEmailInput(address!) : null;
    }
}
