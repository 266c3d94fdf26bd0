using System.Security.Cryptography;
using System.Text;
using Gatehouse.Configuration;
using Microsoft.Extensions.Options;

namespace Gatehouse.Security;

/// <summary>
/// Short codes (login, verification, reset) have too little entropy for a plain hash to protect them:
/// anyone reading the database could try all of them. They are stored as HMAC-SHA-256 under the
/// server's secret key, which is not in the database.
/// </summary>
public sealed class CodeHasher(IOptions<GatehouseOptions> options)
{
    private readonly byte[] _key = options.Value.SecretKeyBytes;

    public string Hash(string code) =>
        Convert.ToBase64String(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes("code:" + Secrets.NormalizeCode(code))));

    public bool Matches(string code, string? storedHash)
    {
        if (storedHash is null)
        {
            return false;
        }
        var expected = Convert.FromBase64String(storedHash);
        var actual = HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes("code:" + Secrets.NormalizeCode(code)));
        return Secrets.FixedTimeEquals(expected, actual);
    }
}
