using Gatehouse.Account;
using Gatehouse.Configuration;
using Gatehouse.Security;
using Gatehouse.Security.Passwords;
using Gatehouse.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Gatehouse.Tests.Inputs;

/// <summary>The account readers on bodies parsed from bytes: which field is asked for, and errors in allauth's order.</summary>
public sealed class AccountInputsTests
{
    private static readonly AccountOptions EmailOrUsername = new() { LoginMethods = ["email", "username"] };
    private static readonly DisposableEmailDomains Disposable = new(Options.Create(new PasswordOptions()));

    [Theory]
    [InlineData("""{"password":"x"}""")]
    [InlineData("""{"email":"a@example.com","username":"alice","password":"x"}""")]
    [InlineData("""{"email":null,"username":null,"password":"x"}""")]
    public async Task Login_WithBothMethods_WantsExactlyOneIdentifier(string json)
    {
        var input = await BodyInput.ParseAsync(json);

        Assert.Null(LoginInput.Read(input, EmailOrUsername));
        Assert.Equal([":invalid_login"], input.ErrorList());
    }

    [Fact]
    public async Task Login_WithBothMethods_ReportsTheIdentifierBeforeThePassword()
    {
        var input = await BodyInput.ParseAsync("{}");

        Assert.Null(LoginInput.Read(input, EmailOrUsername));
        Assert.Equal([":invalid_login", "password:required"], input.ErrorList());
    }

    [Theory]
    [InlineData("""{"username":"alice","password":"x"}""", null, "alice")]
    [InlineData("""{"email":" a@example.com ","password":"x"}""", "a@example.com", null)]
    public async Task Login_WithBothMethods_TakesTheIdentifierGiven(string json, string? email, string? username)
    {
        var login = LoginInput.Read(await BodyInput.ParseAsync(json), EmailOrUsername);

        Assert.Equal(new LoginInput(email, username, "x"), login);
    }

    [Fact]
    public async Task Login_ByEmailOnly_IgnoresAUsernameAndAsksForTheEmail()
    {
        var input = await BodyInput.ParseAsync("""{"username":"alice","password":"x"}""");

        Assert.Null(LoginInput.Read(input, new AccountOptions()));
        Assert.Equal(["email:required"], input.ErrorList());
    }

    [Fact]
    public async Task Login_ByUsernameOnly_RefusesAnOverlongUsername()
    {
        var input = await BodyInput.ParseAsync($$"""{"username":"{{new string('a', 151)}}","password":"x"}""");

        Assert.Null(LoginInput.Read(input, new AccountOptions { LoginMethods = ["username"] }));
        Assert.Equal(["username:max_length"], input.ErrorList());
    }

    [Fact]
    public async Task Signup_ReportsUsernameRulesAfterThePasswordsRequiredError_AndKeepsTheUsernameForSimilarity()
    {
        var options = new AccountOptions { SignupEmail = false, SignupUsername = true, UsernameMinLength = 3 };
        var input = await BodyInput.ParseAsync("""{"username":" ab "}""");

        var signup = SignupInput.Read(input, options, Disposable, byPasskey: false);

        Assert.Equal(["password:required", "username:min_length"], input.ErrorList());
        Assert.Equal(new SignupInput(null, "ab", UsernameWellFormed: false, null), signup);
    }

    [Theory]
    [InlineData("Admin", "username:username_blocked")]
    [InlineData("al ice", "username:invalid")]
    public async Task Signup_RefusesABlockedOrMalformedUsername(string username, string error)
    {
        var options = new AccountOptions { SignupUsername = true, UsernameBlocklist = ["admin"] };
        var input = await BodyInput.ParseAsync($$"""{"email":"a@example.com","username":"{{username}}","password":"pw"}""");

        var signup = SignupInput.Read(input, options, Disposable, byPasskey: false);

        Assert.False(signup.UsernameWellFormed);
        Assert.Equal([error], input.ErrorList());
    }

    [Fact]
    public async Task Signup_ByPasskey_AsksForNoPassword_AndRefusesADisposableAddress()
    {
        var input = await BodyInput.ParseAsync("""{"email":"someone@mailinator.com"}""");

        var signup = SignupInput.Read(input, new AccountOptions(), Disposable, byPasskey: true);

        Assert.Equal(["email:disposable_email"], input.ErrorList());
        Assert.Null(signup.Password);
    }

    [Theory]
    [InlineData(true, new[] { "current_password:required", "new_password:required" })]
    [InlineData(false, new[] { "new_password:required" })]
    public async Task PasswordChange_AsksForTheCurrentPasswordOnlyWhenThereIsOne(bool hasPassword, string[] errors)
    {
        var input = await BodyInput.ParseAsync("""{"current_password":" "}""");

        PasswordChangeInput.Read(input, hasPassword);

        Assert.Equal(errors, input.ErrorList());
    }
}
