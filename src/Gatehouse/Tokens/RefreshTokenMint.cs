using System.Buffers.Text;
using System.Security.Cryptography;
using Gatehouse.Security;
using Gatehouse.Storage.Entities;
using Microsoft.Extensions.Options;

namespace Gatehouse.Tokens;

/// <summary>
/// Makes refresh tokens: 32 random bytes (base64url), opaque; the row holds only their SHA-256. A refresh token
/// lives its lifetime, never longer than its session.
/// </summary>
public sealed class RefreshTokenMint(TimeProvider time, IOptions<TokenOptions> options)
{
    /// <summary>
    /// The first token of a session that is being inserted in the same save: the row points at the session entity,
    /// so both are inserted in one transaction and EF fills in the session's id.
    /// </summary>
    public (string Token, RefreshToken Row) ForNewSession(Session session)
    {
        var (token, row) = Next(0, session.ExpiresAt);
        row.Session = session;
        return (token, row);
    }

    /// <summary>The successor of a token of session <paramref name="sessionId"/>.</summary>
    public (string Token, RefreshToken Row) Next(long sessionId, DateTime sessionExpiresAt)
    {
        var token = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var now = time.GetUtcNow().UtcDateTime;
        var expires = now + options.Value.RefreshTokenLifetime;
        var row = new RefreshToken
        {
            SessionId = sessionId,
            TokenHash = Secrets.Sha256(token),
            CreatedAt = now,
            ExpiresAt = expires < sessionExpiresAt ? expires : sessionExpiresAt,
        };
        return (token, row);
    }
}
