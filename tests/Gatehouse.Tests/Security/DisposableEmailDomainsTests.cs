using Gatehouse.Security;
using Gatehouse.Security.Passwords;
using Microsoft.Extensions.Options;

namespace Gatehouse.Tests.Security;

public sealed class DisposableEmailDomainsTests
{
    private static DisposableEmailDomains Domains(Action<PasswordOptions>? configure = null)
    {
        var options = new PasswordOptions();
        configure?.Invoke(options);
        return new DisposableEmailDomains(Options.Create(options));
    }

    [Theory]
    [InlineData("someone@mailinator.com")]
    [InlineData("mailinator.com")]
    [InlineData("Someone@MAILINATOR.com")]
    [InlineData("someone@sub.mailinator.com")]
    [InlineData("a.b.mailinator.com.")]
    [InlineData("  guerrillamail.com ")]
    public void IsDisposable_ListedDomainOrItsSubdomain_IsTrue(string input)
    {
        Assert.True(Domains().IsDisposable(input));
    }

    [Theory]
    [InlineData("alice@gmail.com")]
    [InlineData("alice@example.com")]
    [InlineData("qmailinator.com")] // shares a suffix with mailinator.com, but not a label boundary
    [InlineData("mailinator.com.example.org")]
    [InlineData("com")]
    [InlineData("alice@")]
    [InlineData("")]
    [InlineData("   ")]
    public void IsDisposable_OrdinaryOrMalformedInput_IsFalse(string input)
    {
        Assert.False(Domains().IsDisposable(input));
    }

    [Fact]
    public void IsDisposable_ConfiguredExtraDomain_IsBlockedWithItsSubdomains()
    {
        DisposableEmailDomains domains = Domains(o => o.DisposableEmailDomains = ["Throwaway.Example", "@burner.example", "*.temp.example"]);

        Assert.True(domains.IsDisposable("bob@throwaway.example"));
        Assert.True(domains.IsDisposable("bob@mx.throwaway.example"));
        Assert.True(domains.IsDisposable("bob@burner.example"));
        Assert.True(domains.IsDisposable("bob@x.temp.example"));
        Assert.False(domains.IsDisposable("bob@example"));
    }

    [Fact]
    public void IsDisposable_WhenBlockingIsOff_IsAlwaysFalse()
    {
        Assert.False(Domains(o => o.BlockDisposableEmailDomains = false).IsDisposable("someone@mailinator.com"));
    }
}
