namespace Gatehouse.Security.Passwords;

/// <summary>
/// One reason a new password is refused. <see cref="Code"/> is Django's validation error code
/// (<c>password_too_short</c>, ...), which allauth clients match on; the message is Django's English text.
/// </summary>
public sealed record PasswordProblem(string Code, string Message);
