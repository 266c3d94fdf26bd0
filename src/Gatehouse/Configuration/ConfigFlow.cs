using Gatehouse.Http;
using Microsoft.Extensions.Options;

namespace Gatehouse.Configuration;

/// <summary>A feature's part of GET config (allauth's get_config_data per installed app): one property of <c>data</c>.</summary>
public interface IConfigContributor
{
    void Write(System.Text.Json.Utf8JsonWriter writer);
}

/// <summary>GET config: what the frontend needs to know about this server's account settings.</summary>
public sealed class ConfigFlow(IOptions<AccountOptions> options, IOptions<SessionOptions> sessions, IEnumerable<IConfigContributor> contributors)
{
    private readonly IConfigContributor[] _contributors = contributors.ToArray();

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
            w.WriteBoolean("track_activity", sessions.Value.TrackActivity);
            w.WriteEndObject();
            foreach (var contributor in _contributors)
            {
                contributor.Write(w);
            }
            w.WriteEndObject();
        });
    }
}
