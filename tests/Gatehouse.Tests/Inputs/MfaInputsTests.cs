using Gatehouse.Http;
using Gatehouse.Mfa;
using Gatehouse.Tests.Infrastructure;

namespace Gatehouse.Tests.Inputs;

/// <summary>
/// The MFA readers on bodies parsed from bytes: each field's errors with the exact message, code and param the wire
/// carries, and the record a valid body gives.
/// </summary>
public sealed class MfaInputsTests
{
    private static ApiError Required(string param) => new("This field is required.", "required", param);

    [Fact]
    public async Task Code_ReadsTheCode()
    {
        Assert.Equal(new MfaCodeInput("123456"), MfaCodeInput.Read(await BodyInput.ParseAsync("""{"code":"123456"}""")));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"code":null}""")]
    [InlineData("""{"code":" "}""")]
    public async Task Code_IsRequired(string json)
    {
        var input = await BodyInput.ParseAsync(json);

        Assert.Null(MfaCodeInput.Read(input));
        Assert.Equal([Required("code")], input.Errors);
    }

    [Theory]
    [InlineData("""{"code":123456}""")]
    [InlineData("""{"code":["123456"]}""")]
    public async Task Code_MustBeAString(string json)
    {
        var input = await BodyInput.ParseAsync(json);

        Assert.Null(MfaCodeInput.Read(input));
        Assert.Equal([new ApiError("Enter a valid value.", "invalid", "code")], input.Errors);
    }

    [Fact]
    public async Task Code_RefusesMoreThan64Characters()
    {
        var input = await BodyInput.ParseAsync($$"""{"code":"{{new string('1', 65)}}"}""");

        Assert.Null(MfaCodeInput.Read(input));
        Assert.Equal([new ApiError("Ensure this value has at most 64 characters (it has 65).", "max_length", "code")], input.Errors);
    }

    [Theory]
    [InlineData("{}", false)]
    [InlineData("""{"trust":null}""", false)]
    [InlineData("""{"trust":false}""", false)]
    [InlineData("""{"trust":true}""", true)]
    public async Task Trust_IsOptional_AndAbsentMeansNo(string json, bool trust)
    {
        var input = await BodyInput.ParseAsync(json);

        Assert.Equal(new MfaTrustInput(trust), MfaTrustInput.Read(input));
        Assert.Empty(input.Errors);
    }

    [Theory]
    [InlineData("""{"trust":"true"}""")]
    [InlineData("""{"trust":1}""")]
    public async Task Trust_RefusesWhatIsNoBoolean(string json)
    {
        var input = await BodyInput.ParseAsync(json);

        Assert.Null(MfaTrustInput.Read(input));
        Assert.Equal([new ApiError("Enter a valid boolean.", "invalid", "trust")], input.Errors);
    }

    [Fact]
    public async Task Credential_KeepsTheObjectForTheRelyingParty()
    {
        var read = WebAuthnCredentialInput.Read(await BodyInput.ParseAsync("""{"credential":{"id":"abc","type":"public-key"}}"""));

        Assert.Equal("abc", read?.Credential.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Credential_IsRequired()
    {
        var input = await BodyInput.ParseAsync("""{"credential":null}""");

        Assert.Null(WebAuthnCredentialInput.Read(input));
        Assert.Equal([Required("credential")], input.Errors);
    }

    [Theory]
    [InlineData("""{"credential":"{\"id\":\"abc\"}"}""")]
    [InlineData("""{"credential":[]}""")]
    public async Task Credential_MustBeAnObject(string json)
    {
        var input = await BodyInput.ParseAsync(json);

        Assert.Null(WebAuthnCredentialInput.Read(input));
        Assert.Equal([new ApiError("Enter a valid JSON.", "invalid", "credential")], input.Errors);
    }

    [Theory]
    [InlineData("""{"credential":{"id":"abc"}}""", null)]
    [InlineData("""{"name":"Laptop","credential":{"id":"abc"}}""", "Laptop")]
    public async Task Add_TakesAnOptionalName(string json, string? name)
    {
        var read = WebAuthnAddInput.Read(await BodyInput.ParseAsync(json));

        Assert.Equal(name, read?.Name);
        Assert.Equal("abc", read?.Credential.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Add_ReportsTheNameBeforeTheCredential()
    {
        var input = await BodyInput.ParseAsync("""{"name":7}""");

        Assert.Null(WebAuthnAddInput.Read(input));
        Assert.Equal([new ApiError("Enter a valid value.", "invalid", "name"), Required("credential")], input.Errors);
    }

    [Fact]
    public async Task Add_RefusesANameOfMoreThan100Characters()
    {
        var input = await BodyInput.ParseAsync($$"""{"credential":{},"name":"{{new string('n', 101)}}"}""");

        Assert.Null(WebAuthnAddInput.Read(input));
        Assert.Equal([new ApiError("Ensure this value has at most 100 characters (it has 101).", "max_length", "name")], input.Errors);
    }

    [Fact]
    public async Task Rename_ReadsTheIdAndTheName()
    {
        var input = await BodyInput.ParseAsync("""{"id":7,"name":"Laptop"}""");

        Assert.Equal(new WebAuthnRenameInput(7, "Laptop"), WebAuthnRenameInput.Read(input));
        Assert.Empty(input.Errors);
    }

    [Fact]
    public async Task Rename_IsPartial_BothFieldsRequired()
    {
        var input = await BodyInput.ParseAsync("{}");

        Assert.Equal(new WebAuthnRenameInput(null, null), WebAuthnRenameInput.Read(input));
        Assert.Equal([Required("id"), Required("name")], input.Errors);
    }

    [Theory]
    [InlineData("""{"id":"7","name":"Laptop"}""")]
    [InlineData("""{"id":7.5,"name":"Laptop"}""")]
    public async Task Rename_WantsAWholeNumberId_AndKeepsTheName(string json)
    {
        var input = await BodyInput.ParseAsync(json);

        Assert.Equal(new WebAuthnRenameInput(null, "Laptop"), WebAuthnRenameInput.Read(input));
        Assert.Equal([new ApiError("Enter a whole number.", "invalid", "id")], input.Errors);
    }

    [Fact]
    public async Task Rename_RefusesANameOfMoreThan100Characters()
    {
        var input = await BodyInput.ParseAsync($$"""{"id":7,"name":"{{new string('n', 101)}}"}""");

        Assert.Equal(new WebAuthnRenameInput(7, null), WebAuthnRenameInput.Read(input));
        Assert.Equal([new ApiError("Ensure this value has at most 100 characters (it has 101).", "max_length", "name")], input.Errors);
    }

    [Fact]
    public async Task Remove_ReadsTheIds()
    {
        var input = await BodyInput.ParseAsync("""{"authenticators":[3,5]}""");

        Assert.Equal([3L, 5L], WebAuthnRemoveInput.Read(input).Ids);
        Assert.Empty(input.Errors);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"authenticators":[]}""")]
    public async Task Remove_WantsAtLeastOneId(string json)
    {
        var input = await BodyInput.ParseAsync(json);

        Assert.Null(WebAuthnRemoveInput.Read(input).Ids);
        Assert.Equal([Required("authenticators")], input.Errors);
    }

    [Theory]
    [InlineData("""{"authenticators":3}""")]
    [InlineData("""{"authenticators":{"id":3}}""")]
    public async Task Remove_WantsAList(string json)
    {
        var input = await BodyInput.ParseAsync(json);

        Assert.Null(WebAuthnRemoveInput.Read(input).Ids);
        Assert.Equal([new ApiError("Enter a list of values.", "invalid", "authenticators")], input.Errors);
    }

    [Fact]
    public async Task Remove_RefusesMoreThan100Ids()
    {
        var input = await BodyInput.ParseAsync($$"""{"authenticators":[{{string.Join(',', Enumerable.Range(1, 101))}}]}""");

        Assert.Null(WebAuthnRemoveInput.Read(input).Ids);
        Assert.Equal([new ApiError("Enter a list of values.", "invalid", "authenticators")], input.Errors);
    }

    [Theory]
    [InlineData("""{"authenticators":[3,"5"]}""")]
    [InlineData("""{"authenticators":[3.5]}""")]
    public async Task Remove_WantsWholeNumberIds(string json)
    {
        var input = await BodyInput.ParseAsync(json);

        Assert.Null(WebAuthnRemoveInput.Read(input).Ids);
        Assert.Equal([new ApiError("Enter a whole number.", "invalid", "authenticators")], input.Errors);
    }
}
