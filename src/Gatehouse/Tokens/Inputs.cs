using Gatehouse.Http;

namespace Gatehouse.Tokens;

// The tokens request bodies, as allauth's headless tokens/inputs.py declares them: Read does the field reading and
// shape checks, records field errors on the JsonInput, and returns null when it recorded one.

/// <summary>POST tokens/refresh: the refresh token to rotate.</summary>
public sealed record RefreshTokenInput(string RefreshToken)
{
    public static RefreshTokenInput? Read(JsonInput input)
    {
        var presented = input.Text("refresh_token", maxLength: RefreshTokenFlow.MaxTokenLength);
        return input.IsValid && presented is not null ? new RefreshTokenInput(presented) : null;
    }
}
