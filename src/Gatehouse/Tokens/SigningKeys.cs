using System.Buffers.Text;
using System.Security.Cryptography;
using Gatehouse.Security;
using Gatehouse.Storage;
using Gatehouse.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.Tokens;

/// <summary>One signing key as a node holds it in memory: the private key for signing, the public one for checking and the JWKS.</summary>
public sealed record LoadedSigningKey(
    string Kid, int Generation, string Algorithm, AsymmetricSecurityKey PrivateKey, AsymmetricSecurityKey PublicKey,
    JsonWebKey PublicJwk, DateTime CreatedAt, DateTime ActivatesAt)
{
    /// <summary>When a newer key took over signing (null while this one signs or has not started).</summary>
    public DateTime? SupersededAt { get; init; }
}

/// <summary>The keys a node knows, by kid and by generation (newest last). Immutable: replaced whole on reload.</summary>
public sealed class SigningKeySet
{
    public static readonly SigningKeySet Empty = new([]);

    private readonly Dictionary<string, LoadedSigningKey> _byKid;

    public SigningKeySet(IReadOnlyList<LoadedSigningKey> keys)
    {
        // A key is superseded when any later generation activates (generations only grow, activations come in order).
        var ordered = keys.OrderBy(k => k.Generation).ToList();
        var result = new List<LoadedSigningKey>(ordered.Count);
        for (var i = 0; i < ordered.Count; i++)
        {
            DateTime? superseded = null;
            for (var j = i + 1; j < ordered.Count; j++)
            {
                superseded = superseded is { } s && s < ordered[j].ActivatesAt ? s : ordered[j].ActivatesAt;
            }
            result.Add(ordered[i] with { SupersededAt = superseded });
        }
        All = result;
        _byKid = result.ToDictionary(k => k.Kid, StringComparer.Ordinal);
    }

    /// <summary>Every key loaded, oldest generation first.</summary>
    public IReadOnlyList<LoadedSigningKey> All { get; }

    public LoadedSigningKey? Find(string kid) => _byKid.GetValueOrDefault(kid);

    /// <summary>The key that signs at <paramref name="now"/>: the newest generation whose activation has come.</summary>
    public LoadedSigningKey? SigningKeyAt(DateTime now) => All.LastOrDefault(k => k.ActivatesAt <= now);

    /// <summary>
    /// Whether tokens signed by <paramref name="key"/> can still be valid at <paramref name="now"/>: it has not
    /// been superseded, or not for longer than the longest access token it may have signed lives (plus skew).
    /// Keys not active yet are published too, so validators know them before they sign.
    /// </summary>
    public static bool IsPublished(LoadedSigningKey key, DateTime now, TimeSpan tokenLifetime) =>
        key.SupersededAt is not { } superseded || superseded + tokenLifetime > now;
}

/// <summary>
/// The JWT signing keys: generated on first start, stored in the database with the private key sealed
/// (<see cref="SecretBox"/>, bound to the kid), shared by every node, and cached in memory: a request never
/// reads a key from the database (allauth parses its PEM on every request). Each node re-reads the table on
/// <see cref="TokenOptions.KeyReloadInterval"/>, and at most that often when a token names a kid it does not
/// know. Rotation adds a key that is published <see cref="TokenOptions.KeyPublicationDelay"/> before it signs;
/// the old key stays published until the last token it signed has expired.
/// </summary>
public sealed partial class SigningKeys(
    IServiceScopeFactory scopes, SecretBox box, IOptions<TokenOptions> options, TimeProvider time, ILogger<SigningKeys> logger) : IDisposable
{
    private const string SealPurpose = "tokens.signing_key";
    private readonly TokenOptions _options = options.Value;
    private readonly SemaphoreSlim _reloadLock = new(1, 1);
    private volatile SigningKeySet _set = SigningKeySet.Empty;
    private DateTime _lastReload = DateTime.MinValue;

    public SigningKeySet Current => _set;

    /// <summary>How long a superseded key stays published and accepted: the access-token lifetime plus clock skew.</summary>
    public TimeSpan RetentionAfterSupersede => _options.AccessTokenLifetime + _options.ClockSkew;

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    /// <summary>Loads the keys; makes the first one when there is none that can sign now (first start, or only unreadable keys).</summary>
    public async Task EnsureAsync(CancellationToken ct)
    {
        await ReloadAsync(ct);
        if (_set.SigningKeyAt(Now) is null)
        {
            await AddKeyAsync(Now, ct);
        }
    }

    /// <summary>
    /// Adds the next generation, published now and signing after <see cref="TokenOptions.KeyPublicationDelay"/>
    /// (the CLI's <c>keys rotate</c> and the schedule). Returns the new key, or the one a concurrent rotation added.
    /// </summary>
    public Task<LoadedSigningKey> RotateAsync(CancellationToken ct) =>
        // With no key at all there is nothing to overlap with: the first key signs at once.
        AddKeyAsync(_set.All.Count == 0 ? Now : Now + _options.KeyPublicationDelay, ct);

    private Task<LoadedSigningKey> RotateAfterAsync(int generation, CancellationToken ct) =>
        AddKeyAsync(Now + _options.KeyPublicationDelay, ct, generation + 1);

    /// <summary>Rotates when the newest key is older than <see cref="TokenOptions.KeyRotationInterval"/> (off at zero).</summary>
    public async Task<bool> RotateIfDueAsync(CancellationToken ct)
    {
        var all = _set.All;
        var newest = all.Count > 0 ? all[^1] : null;
        if (_options.KeyRotationInterval <= TimeSpan.Zero || newest is null || newest.CreatedAt + _options.KeyRotationInterval > Now)
        {
            return false;
        }
        // The generation after the newest this node knows: if another node (or this node's timer) rotated
        // meanwhile, that generation exists and the unique index refuses a second key for the same due date.
        await RotateAfterAsync(newest.Generation, ct);
        return true;
    }

    /// <summary>Deletes keys whose tokens have all expired: nothing they signed can be valid, so they need not be kept.</summary>
    public async Task<int> PruneAsync(CancellationToken ct)
    {
        var now = Now;
        var gone = _set.All.Where(k => !SigningKeySet.IsPublished(k, now, RetentionAfterSupersede)).Select(k => k.Kid).ToList();
        if (gone.Count == 0)
        {
            return 0;
        }
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatehouseDbContext>();
        var deleted = await db.SigningKeys.Where(k => gone.Contains(k.Kid)).ExecuteDeleteAsync(ct);
        await ReloadAsync(ct);
        return deleted;
    }

    /// <summary>Re-reads the keys because a token names a kid this node does not know, at most once per reload interval.</summary>
    public async Task<bool> ReloadForUnknownKidAsync(string kid, CancellationToken ct)
    {
        if (Now - _lastReload < _options.KeyReloadInterval)
        {
            return false;
        }
        await ReloadAsync(ct);
        return _set.Find(kid) is not null;
    }

    /// <summary>Reads every key row; keeps the in-memory key objects of kids already loaded (their crypto providers are cached).</summary>
    public async Task ReloadAsync(CancellationToken ct)
    {
        await _reloadLock.WaitAsync(ct);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<GatehouseDbContext>();
            var rows = await db.SigningKeys.AsNoTracking().OrderBy(k => k.Generation).ToListAsync(ct);
            var loaded = new List<LoadedSigningKey>(rows.Count);
            var unchanged = rows.Count == _set.All.Count;
            foreach (var row in rows)
            {
                if (_set.Find(row.Kid) is { } known && known.ActivatesAt == row.ActivatesAt)
                {
                    loaded.Add(known);
                    continue;
                }
                unchanged = false;
                try
                {
                    loaded.Add(Open(row));
                }
                catch (CryptographicException)
                {
                    // Fail closed: a key this node cannot open neither signs nor verifies. Most likely
                    // Gatehouse:SecretKey changed without the old key in PreviousSecretKeys.
                    Log.UnreadableKey(logger, row.Kid);
                }
            }
            // The same instance when nothing changed: AccessTokenValidator's verified tokens stay good across reloads.
            if (!unchanged)
            {
                _set = new SigningKeySet(loaded);
            }
            _lastReload = Now;
        }
        finally
        {
            _reloadLock.Release();
        }
    }

    /// <param name="generation">The generation to add; null: the one after the newest in the database.</param>
    private async Task<LoadedSigningKey> AddKeyAsync(DateTime activatesAt, CancellationToken ct, int? generation = null)
    {
        var (row, key) = Generate(_options.Algorithm, activatesAt);
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GatehouseDbContext>();
            row.Generation = generation ?? (await db.SigningKeys.MaxAsync(k => (int?)k.Generation, ct) ?? 0) + 1;
            db.SigningKeys.Add(row);
            try
            {
                await db.SaveChangesAsync(ct);
                Log.KeyAdded(logger, row.Kid, row.Generation, row.Algorithm, row.ActivatesAt);
            }
            catch (DbUpdateException ex) when (UniqueViolation.Is(ex))
            {
                // Another node (or this node's own timer) added this generation first: use its key.
                await ReloadAsync(ct);
                var all = _set.All;
                return all.Count > 0
                    ? all[^1]
                    : throw new CryptographicException("Another node added a signing key that this node cannot open: check Gatehouse:SecretKey.");
            }
        }
        await ReloadAsync(ct);
        return _set.Find(key.Kid) ?? key;
    }

    private (SigningKey Row, LoadedSigningKey Key) Generate(string algorithm, DateTime activatesAt)
    {
        byte[] pkcs8;
        if (algorithm == SigningAlgorithms.Rs256)
        {
            using var rsa = RSA.Create(2048);
            pkcs8 = rsa.ExportPkcs8PrivateKey();
        }
        else
        {
            using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            pkcs8 = ecdsa.ExportPkcs8PrivateKey();
        }
        try
        {
            var now = Now;
            var key = Build(algorithm, pkcs8, now, activatesAt, generation: 0);
            var row = new SigningKey
            {
                Kid = key.Kid,
                Algorithm = algorithm,
                PrivateKey = box.Seal(Convert.ToBase64String(pkcs8), SealPurpose, key.Kid),
                CreatedAt = now,
                ActivatesAt = activatesAt,
            };
            return (row, key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    private LoadedSigningKey Open(SigningKey row)
    {
        var pkcs8 = Convert.FromBase64String(box.Open(row.PrivateKey, SealPurpose, row.Kid));
        try
        {
            var key = Build(row.Algorithm, pkcs8, row.CreatedAt, row.ActivatesAt, row.Generation);
            // The kid is the public key's thumbprint: a row whose kid does not match its key was tampered with.
            if (key.Kid != row.Kid)
            {
                throw new CryptographicException("The signing key does not match its kid.");
            }
            return key;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    private static LoadedSigningKey Build(string algorithm, byte[] pkcs8, DateTime createdAt, DateTime activatesAt, int generation)
    {
        AsymmetricSecurityKey privateKey, publicKey;
        if (algorithm == SigningAlgorithms.Rs256)
        {
            var rsa = RSA.Create();
            rsa.ImportPkcs8PrivateKey(pkcs8, out _);
            privateKey = new RsaSecurityKey(rsa);
            publicKey = new RsaSecurityKey(rsa.ExportParameters(includePrivateParameters: false));
        }
        else if (algorithm == SigningAlgorithms.Es256)
        {
            var ecdsa = ECDsa.Create();
            ecdsa.ImportPkcs8PrivateKey(pkcs8, out _);
            privateKey = new ECDsaSecurityKey(ecdsa);
            publicKey = new ECDsaSecurityKey(ECDsa.Create(ecdsa.ExportParameters(includePrivateParameters: false)));
        }
        else
        {
            throw new CryptographicException($"Unsupported signing algorithm {algorithm}.");
        }
        var jwk = JsonWebKeyConverter.ConvertFromSecurityKey(publicKey);
        var kid = Base64Url.EncodeToString(jwk.ComputeJwkThumbprint());
        jwk.Kid = kid;
        jwk.Alg = algorithm;
        jwk.Use = "sig";
        privateKey.KeyId = kid;
        publicKey.KeyId = kid;
        return new LoadedSigningKey(kid, generation, algorithm, privateKey, publicKey, jwk, createdAt, activatesAt);
    }

    public void Dispose() => _reloadLock.Dispose();

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Added JWT signing key {Kid} (generation {Generation}, {Algorithm}), signing from {ActivatesAt:O}")]
        public static partial void KeyAdded(ILogger logger, string kid, int generation, string algorithm, DateTime activatesAt);

        [LoggerMessage(2, LogLevel.Error, "JWT signing key {Kid} cannot be opened with the configured Gatehouse:SecretKey or PreviousSecretKeys; it is ignored")]
        public static partial void UnreadableKey(ILogger logger, string kid);
    }
}
