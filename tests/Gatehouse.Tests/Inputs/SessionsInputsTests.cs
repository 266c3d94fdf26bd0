using Gatehouse.Http;
using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;

namespace Gatehouse.Tests.Inputs;

/// <summary>The sessions reader on bodies parsed from bytes: the ids' errors as the wire carries them, and the valid case.</summary>
public sealed class SessionsInputsTests
{
    [Fact]
    public async Task EndSessions_ReadsTheIds()
    {
        var input = await BodyInput.ParseAsync("""{"sessions":[1,2]}""");

        Assert.Equal([1L, 2L], EndSessionsInput.Read(input)?.Ids);
        Assert.Empty(input.Errors);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"sessions":null}""")]
    [InlineData("""{"sessions":[]}""")]
    public async Task EndSessions_WantsAtLeastOneId(string json)
    {
        var input = await BodyInput.ParseAsync(json);

        Assert.Null(EndSessionsInput.Read(input));
        Assert.Equal([new ApiError("This field is required.", "required", "sessions")], input.Errors);
    }

    [Theory]
    [InlineData("""{"sessions":1}""")]
    [InlineData("""{"sessions":"1,2"}""")]
    public async Task EndSessions_WantsAList(string json)
    {
        var input = await BodyInput.ParseAsync(json);

        Assert.Null(EndSessionsInput.Read(input));
        Assert.Equal([new ApiError("Enter a list of values.", "invalid", "sessions")], input.Errors);
    }

    [Fact]
    public async Task EndSessions_RefusesMoreThan1000Ids()
    {
        var input = await BodyInput.ParseAsync($$"""{"sessions":[{{string.Join(',', Enumerable.Range(1, 1001))}}]}""");

        Assert.Null(EndSessionsInput.Read(input));
        Assert.Equal([new ApiError("Enter a list of values.", "invalid", "sessions")], input.Errors);
    }

    [Theory]
    [InlineData("""{"sessions":[1,"2"]}""")]
    [InlineData("""{"sessions":[1.5]}""")]
    [InlineData("""{"sessions":[null]}""")]
    public async Task EndSessions_WantsWholeNumberIds(string json)
    {
        var input = await BodyInput.ParseAsync(json);

        Assert.Null(EndSessionsInput.Read(input));
        Assert.Equal([new ApiError("Enter a whole number.", "invalid", "sessions")], input.Errors);
    }
}
