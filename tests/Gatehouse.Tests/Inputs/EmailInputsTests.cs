using Gatehouse.Email;
using Gatehouse.Storage.Entities;
using Gatehouse.Tests.Infrastructure;

namespace Gatehouse.Tests.Inputs;

/// <summary>The email readers on bodies parsed from bytes: an address is one of the user's own, errors in the wire's order.</summary>
public sealed class EmailInputsTests
{
    private static User Owner()
    {
        var user = new User { Username = "alice", UsernameNormalized = "alice", PasswordHash = "!", SecurityStamp = "s" };
        user.EmailAddresses.Add(new EmailAddress { Email = "alice@example.com", EmailNormalized = "alice@example.com", Verified = true, IsPrimary = true });
        user.EmailAddresses.Add(new EmailAddress { Email = "new@example.com", EmailNormalized = "new@example.com" });
        return user;
    }

    [Fact]
    public async Task Select_FindsTheOwnAddress_WhateverItsCase()
    {
        var user = Owner();

        var selected = SelectEmailInput.Read(await BodyInput.ParseAsync("""{"email":" NEW@example.com"}"""), user);

        Assert.Same(user.EmailAddresses.Last(), selected?.Address);
    }

    [Fact]
    public async Task Select_RefusesAnAddressOfNoOneOrSomeoneElse()
    {
        var input = await BodyInput.ParseAsync("""{"email":"bob@example.com"}""");

        Assert.Null(SelectEmailInput.Read(input, Owner()));
        Assert.Equal(["email:unknown_email"], input.ErrorList());
    }

    [Theory]
    [InlineData("""{"email":"bob@example.com","primary":false}""", new[] { "email:unknown_email", "primary:required" })]
    [InlineData("""{"email":"new@example.com","primary":false}""", new[] { "primary:required", "email:unverified_primary_email" })]
    [InlineData("""{"email":"new@example.com","primary":true}""", new[] { "email:unverified_primary_email" })]
    [InlineData("""{"email":"alice@example.com","primary":"yes"}""", new[] { "primary:invalid" })]
    public async Task MarkPrimary_CollectsItsErrorsInOrder(string json, string[] errors)
    {
        var input = await BodyInput.ParseAsync(json);

        Assert.Null(MarkPrimaryEmailInput.Read(input, Owner()));
        Assert.Equal(errors, input.ErrorList());
    }
}
