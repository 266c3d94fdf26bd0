using Gatehouse.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Gatehouse.Tests;

/// <summary>A wrong setting stops the server at start with a sentence naming it.</summary>
public sealed class ConfigurationValidationTests
{
    [Theory]
    [InlineData("Gatehouse:Email:Delivery", "Smtp", "Gatehouse:Email:Smtp:Host", "", "Gatehouse:Email:Smtp:Host")]
    [InlineData("Gatehouse:RateLimits:Rules:login", "30/fortnight/ip", "Gatehouse:Email:From", "a@b.example", "Gatehouse:RateLimits:Rules:login")]
    [InlineData("Gatehouse:Account:LoginMethods:0", "phone", "Gatehouse:Email:From", "a@b.example", "Gatehouse:Account:LoginMethods")]
    [InlineData("Gatehouse:Http:TrustedProxies:0", "not-an-ip", "Gatehouse:Email:From", "a@b.example", "Gatehouse:Http:TrustedProxies")]
    [InlineData("Gatehouse:Passwords:Iterations", "0", "Gatehouse:Email:From", "a@b.example", "Gatehouse:Passwords:Iterations")]
    [InlineData("Gatehouse:SecretKey", "c2hvcnQ=", "Gatehouse:Email:From", "a@b.example", "Gatehouse:SecretKey")]
    [InlineData("Gatehouse:FrontendUrls:BaseUrl", null, "Gatehouse:Email:From", "a@b.example", "Gatehouse:FrontendUrls:BaseUrl")]
    [InlineData("Gatehouse:FrontendUrls:AccountConfirmEmail", "/verify", "Gatehouse:Email:From", "a@b.example", "Gatehouse:FrontendUrls:AccountConfirmEmail")]
    public async Task Startup_WithAnInvalidSetting_FailsNamingTheSetting(string key, string? value, string key2, string value2, string named)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var app = await GatehouseApp.StartAsync(DatabaseKind.Sqlite, new Dictionary<string, string?> { [key] = value, [key2] = value2 });
            _ = app.Server;
        });
        var validation = error as OptionsValidationException ?? error.InnerException as OptionsValidationException
            ?? (error as AggregateException)?.InnerExceptions.OfType<OptionsValidationException>().FirstOrDefault();
        Assert.True(validation is not null, error.ToString());
        Assert.Contains(named, validation.Message, StringComparison.Ordinal);
    }
}
