using Gatehouse.Http;
using Microsoft.Extensions.Options;

namespace Gatehouse.Configuration;

/// <summary>GET config: what the frontend needs to know about this server's account settings.</summary>
public sealed class ConfigFlow(IOptions<AccountOptions> options)
{
    public ApiResult Get()
    {
        var account = options.Value;
        return ApiResult.Ok(w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("account");
            w.WriteStartArray("login_methods");
            if (account.LoginByEmail)
            {
                w.WriteStringValue("email");
            }
            if (account.LoginByUsername)
            {
                w.WriteStringValue("username");
            }
            w.WriteEndArray();
            w.WriteBoolean("is_open_for_signup", account.IsOpenForSignup);
            w.WriteBoolean("email_verification_by_code_enabled", account.EmailVerificationByCodeEnabled);
            w.WriteBoolean("login_by_code_enabled", account.LoginByCodeEnabled);
            w.WriteBoolean("password_reset_by_code_enabled", account.PasswordResetByCodeEnabled);
            w.WriteString("authentication_method", (account.LoginByEmail, account.LoginByUsername) switch
            {
                (true, true) => "username_email",
                (false, true) => "username",
                _ => "email",
            });
            w.WriteEndObject();
            w.WriteStartObject("usersessions");
            w.WriteBoolean("track_activity", false);
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }
}
