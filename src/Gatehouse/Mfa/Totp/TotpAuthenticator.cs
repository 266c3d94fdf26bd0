using System.Globalization;
using System.Text.Json;
using Gatehouse.Configuration;
using Gatehouse.Security;
using Gatehouse.Storage;
using Gatehouse.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OtpNet;

namespace Gatehouse.Mfa.Totp;

/// <summary>
/// TOTP (RFC 6238) through Otp.NET: secrets, the otpauth URL, and code checks with replay protection
/// (allauth's mfa/totp/internal/auth.py). The secret is stored sealed with SecretBox, bound to its user, so
/// neither a copy of the database nor a row moved to another account yields a working secret.
/// </summary>
public sealed class TotpAuthenticator(GatehouseDbContext db, SecretBox box, TimeProvider time, IOptions<MfaOptions> options)
{
    private const string SecretPurpose = "mfa.totp.secret";
    private const string PendingSecretPurpose = "mfa.totp.pending_secret";
    private readonly MfaOptions _options = options.Value;

    /// <summary>A new secret: 20 random bytes (RFC 4226 section 4 recommends 160 bits), base32 as allauth makes it.</summary>
    public static string NewSecret() => Base32Encoding.ToString(KeyGeneration.GenerateRandomKey(20)).TrimEnd('=');

    public string SealPending(string secret, long userId) => box.Seal(secret, PendingSecretPurpose, Binding(userId));

    /// <summary>The secret offered to this user earlier in this session, or null when there is none or it does not open.</summary>
    public string? OpenPending(string? sealedSecret, long userId)
    {
        if (sealedSecret is null)
        {
            return null;
        }
        try
        {
            return box.Open(sealedSecret, PendingSecretPurpose, Binding(userId));
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null; // fail closed: no secret, nothing can be activated with it
        }
    }

    /// <summary>
    /// allauth's <c>build_totp_url</c>: label the user's address (else username), issuer the configured one (else
    /// the site name), digits and period only when not the defaults. Built by hand rather than with Otp.NET's
    /// OtpUri, which writes the label as "issuer:label" and always adds algorithm/digits/period: authenticator
    /// apps read both, but this keeps the URL the same as allauth's for frontends that compare or display it.
    /// </summary>
    public string Url(string label, string secret, string siteName)
    {
        var issuer = string.IsNullOrEmpty(_options.TotpIssuer) ? siteName : _options.TotpIssuer;
        var url = $"otpauth://totp/{Uri.EscapeDataString(label)}?secret={Uri.EscapeDataString(secret)}&issuer={Uri.EscapeDataString(issuer)}";
        if (_options.TotpDigits != 6)
        {
            url += "&digits=" + _options.TotpDigits.ToString(CultureInfo.InvariantCulture);
        }
        if (_options.TotpPeriod != 30)
        {
            url += "&period=" + _options.TotpPeriod.ToString(CultureInfo.InvariantCulture);
        }
        return url;
    }

    /// <summary>
    /// The time step <paramref name="code"/> is valid for at the current time, within the configured tolerance
    /// (RFC 6238 section 5.2), or null. Otp.NET compares in fixed time.
    /// </summary>
    public long? MatchingStep(string secret, string code)
    {
        if (code.Length != _options.TotpDigits || !code.All(char.IsAsciiDigit))
        {
            return null;
        }
        byte[] key;
        try
        {
            key = Base32Encoding.ToBytes(secret);
        }
        catch (ArgumentException)
        {
            return null;
        }
        var totp = new OtpNet.Totp(key, step: _options.TotpPeriod, mode: OtpHashMode.Sha1, totpSize: _options.TotpDigits);
        var window = new VerificationWindow(previous: _options.TotpTolerance, future: _options.TotpTolerance);
        return totp.VerifyTotp(time.GetUtcNow().UtcDateTime, code, out var step, window) ? step : null;
    }

    /// <summary>Activates TOTP for <paramref name="user"/>: adds the authenticator (sealed secret, the activation's step as last used) to the unit of work.</summary>
    public Authenticator Activate(long userId, string secret, long acceptedStep) =>
        db.Authenticators.Add(new Authenticator
        {
            UserId = userId,
            Type = MfaTypes.Totp,
            Data = JsonSerializer.Serialize(new { secret = box.Seal(secret, SecretPurpose, Binding(userId)) }),
            // The code that activated it cannot log in afterwards (RFC 6238 section 5.2: a code is accepted once).
            Counter = acceptedStep,
            CreatedAt = time.GetUtcNow().UtcDateTime,
        }).Entity;

    /// <summary>
    /// Checks <paramref name="code"/> against the user's TOTP authenticator and accepts it only for a step later
    /// than the last accepted one, with one conditional UPDATE: a code cannot be used twice in its window, not
    /// even by two requests at once (allauth marks used codes in its cache, which two nodes or a race defeat).
    /// Returns the authenticator when accepted. Runs now.
    /// </summary>
    public async Task<Authenticator?> VerifyAsync(Authenticator authenticator, string code, CancellationToken ct)
    {
        var secret = OpenSecret(authenticator);
        if (secret is null || MatchingStep(secret, code) is not { } step)
        {
            return null;
        }
        var now = time.GetUtcNow().UtcDateTime;
        var accepted = await db.Authenticators
            .Where(a => a.Id == authenticator.Id && (a.Counter == null || a.Counter < step))
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Counter, step).SetProperty(a => a.LastUsedAt, now), ct) == 1;
        return accepted ? authenticator : null;
    }

    private string? OpenSecret(Authenticator authenticator)
    {
        try
        {
            using var data = JsonDocument.Parse(authenticator.Data);
            var sealedSecret = data.RootElement.GetProperty("secret").GetString();
            return sealedSecret is null ? null : box.Open(sealedSecret, SecretPurpose, Binding(authenticator.UserId));
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or System.Security.Cryptography.CryptographicException)
        {
            return null; // an unreadable or moved secret accepts no code (fail closed)
        }
    }

    private static string Binding(long userId) => "user:" + userId.ToString(CultureInfo.InvariantCulture);
}
