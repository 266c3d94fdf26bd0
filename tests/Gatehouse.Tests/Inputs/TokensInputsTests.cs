using Gatehouse.Http;
using Gatehouse.Tests.Infrastructure;
using Gatehouse.Tokens;

namespace Gatehouse.Tests.Inputs;

/// <summary>The tokens reader on bodies parsed from bytes: the refresh token's errors as the wire carries them, and the valid case.</summary>
public sealed class TokensInputsTests
{
    [Fact]
    public async Task Refresh_ReadsTheToken()
    {
        var input = await BodyInput.ParseAsync("""{"refresh_token":"abc.def"}""");

        Assert.Equal(new RefreshTokenInput("abc.def"), RefreshTokenInput.Read(input));
        Assert.Empty(input.Errors);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"refresh_token":null}""")]
    [InlineData("""{"refresh_token":""}""")]
    public async Task Refresh_TokenIsRequired(string json)
    {
        var input = await BodyInput.ParseAsync(json);

        Assert.Null(RefreshTokenInput.Read(input));
        Assert.Equal([new ApiError("This field is required.", "required", "refresh_token")], input.Errors);
    }

    [Theory]
    [InlineData("""{"refresh_token":42}""")]
    [InlineData("""{"refresh_token":{"token":"abc"}}""")]
    public async Task Refresh_TokenMustBeAString(string json)
    {
        var input = await BodyInput.ParseAsync(json);

        Assert.Null(RefreshTokenInput.Read(input));
        Assert.Equal([new ApiError("Enter a valid value.", "invalid", "refresh_token")], input.Errors);
    }

    [Fact]
    public async Task Refresh_RefusesATokenOfMoreThan128Characters()
    {
        var input = await BodyInput.ParseAsync($$"""{"refresh_token":"{{new string('t', 129)}}"}""");

        Assert.Null(RefreshTokenInput.Read(input));
        Assert.Equal([new ApiError("Ensure this value has at most 128 characters (it has 129).", "max_length", "refresh_token")], input.Errors);
    }
}
