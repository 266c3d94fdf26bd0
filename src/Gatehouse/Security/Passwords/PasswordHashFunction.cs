using Microsoft.AspNetCore.Identity;

namespace Gatehouse.Security.Passwords;

/// <summary>
/// The CPU-bound work that <see cref="PasswordHashingExecutor"/> schedules. A seam, not an extension
/// point: production always uses <see cref="DjangoPasswordHashFunction"/>; tests put in a hash that
/// blocks until they release it, or one that records what the executor asked for.
/// </summary>
internal interface IPasswordHashFunction
{
    string Hash(string password, int iterations);

    /// <summary>The result, and the cost in key-derivation iterations (0 when nothing was derived).</summary>
    (PasswordVerificationResult Result, int Cost) Verify(string password, string? encoded, int currentIterations);

    /// <summary>Derives a key of <paramref name="iterations"/> and throws it away (timing padding).</summary>
    void Spend(string password, int iterations);
}

internal sealed class DjangoPasswordHashFunction : IPasswordHashFunction
{
    public static readonly DjangoPasswordHashFunction Instance = new();

    public string Hash(string password, int iterations) => DjangoPasswordHasher.Hash(password, iterations);

    public (PasswordVerificationResult Result, int Cost) Verify(string password, string? encoded, int currentIterations)
    {
        PasswordVerificationResult result = DjangoPasswordHasher.Verify(password, encoded ?? "", currentIterations, out int cost);
        return (result, cost);
    }

    public void Spend(string password, int iterations) => DjangoPasswordHasher.Spend(password, iterations);
}
