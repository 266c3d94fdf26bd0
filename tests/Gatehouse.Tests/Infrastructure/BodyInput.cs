using System.Text;
using Gatehouse.Http;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Tests.Infrastructure;

/// <summary>A <see cref="JsonInput"/> read from request bytes the way an endpoint binds it, for testing the input readers.</summary>
public static class BodyInput
{
    public static async Task<JsonInput> ParseAsync(string json)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.ContentType = "application/json";
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(json));
        var (input, error) = await JsonInput.ReadAsync(context.Request, CancellationToken.None);
        Assert.Null(error);
        return input!;
    }

    /// <summary>The recorded errors as <c>param:code</c>, in order, so a test can assert both what and in which order.</summary>
    public static string[] ErrorList(this JsonInput input) => [.. input.Errors.Select(e => $"{e.Param}:{e.Code}")];
}
