using System.Text.Json;
using Gatehouse.Configuration;
using Microsoft.Extensions.Options;

namespace Gatehouse.Mfa;

/// <summary><c>config.mfa</c> (allauth's headless/mfa/response.py get_config_data).</summary>
internal sealed class MfaConfig(IOptions<MfaOptions> options) : IConfigContributor
{
    public void Write(Utf8JsonWriter writer)
    {
        var mfa = options.Value;
        writer.WriteStartObject("mfa");
        writer.WriteStartArray("supported_types");
        foreach (var type in mfa.SupportedTypes)
        {
            writer.WriteStringValue(type);
        }
        writer.WriteEndArray();
        writer.WriteBoolean("passkey_login_enabled", mfa.PasskeyLogin);
        writer.WriteEndObject();
    }
}
