using System.Text.Json;
using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Tests.Api;

/// <summary>GET/POST/PUT/DELETE account/authenticators/webauthn with a software authenticator (real keys, real CBOR).</summary>
public abstract class WebAuthnRegistrationTests(DatabaseKind database) : WebAuthnTestBase(database)
{
    [Theory, MemberData(nameof(Clients))]
    public async Task CreationOptions_AreWebAuthnJson_ForTheConfiguredRelyingParty(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await UserAsync(app, kind);

        var plain = await client.GetAsync(WebAuthnPath);
        var passkey = await client.GetAsync(WebAuthnPath + "?passwordless");

        Assert.Equal(200, plain.StatusCode);
        var options = plain.Data.GetProperty("creation_options").GetProperty("publicKey");
        Assert.Equal("localhost", options.GetProperty("rp").GetProperty("id").GetString());
        Assert.Equal(16, SoftwareAuthenticator.FromBase64Url(options.GetProperty("challenge").GetString()!).Length);
        Assert.Equal(Email, options.GetProperty("user").GetProperty("name").GetString());
        Assert.Contains(options.GetProperty("pubKeyCredParams").EnumerateArray(), p => p.GetProperty("alg").GetInt32() == -7);
        Assert.True(options.GetProperty("extensions").GetProperty("credProps").GetBoolean());
        Assert.Equal("discouraged", options.GetProperty("authenticatorSelection").GetProperty("residentKey").GetString());
        var passkeySelection = passkey.Data.GetProperty("creation_options").GetProperty("publicKey").GetProperty("authenticatorSelection");
        Assert.Equal("required", passkeySelection.GetProperty("residentKey").GetString());
        Assert.Equal("required", passkeySelection.GetProperty("userVerification").GetString());
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AddingAKey_StoresIt_ListsItsNameAndPasskeyFlag_AndMailsTheOwner(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await UserAsync(app, kind);
        using var key = new SoftwareAuthenticator();

        var added = await RegisterAsync(client, key, passwordless: true, name: "Laptop");

        Assert.Equal(200, added.StatusCode);
        Assert.Equal("webauthn", added.Data.GetProperty("type").GetString());
        Assert.Equal("Laptop", added.Data.GetProperty("name").GetString());
        Assert.True(added.Data.GetProperty("is_passwordless").GetBoolean());
        Assert.Equal(JsonValueKind.Null, added.Data.GetProperty("last_used_at").ValueKind);
        Assert.True(added.Meta.GetProperty("recovery_codes_generated").GetBoolean());
        var row = await app.DbAsync(db => db.Authenticators.SingleAsync(a => a.Type == "webauthn"));
        Assert.Equal(key.CredentialIdText, row.CredentialId);
        Assert.Equal(0, row.Counter);
        using var data = JsonDocument.Parse(row.Data);
        Assert.Equal("Laptop", data.RootElement.GetProperty("name").GetString());
        Assert.True(data.RootElement.GetProperty("passwordless").GetBoolean());
        var mail = await MailToAsync(app, Email, "Security Key Added");
        Assert.Contains("A new security key has been added.", mail.TextBody, StringComparison.Ordinal);
        // The first authenticator brought recovery codes (allauth's auto_generate_recovery_codes), shown once here.
        var codes = await client.GetAsync("account/authenticators/recovery-codes");
        Assert.Equal(200, codes.StatusCode);
        Assert.Equal(10, codes.Data.GetProperty("unused_codes").GetArrayLength());
        var list = await client.GetAsync("account/authenticators");
        var listed = list.Data.EnumerateArray().Single(a => a.GetProperty("type").GetString() == "webauthn");
        Assert.Equal("Laptop", listed.GetProperty("name").GetString());
        Assert.True(listed.GetProperty("is_passwordless").GetBoolean());
        using var second = new SoftwareAuthenticator();
        Assert.False((await RegisterAsync(client, second)).Meta.GetProperty("recovery_codes_generated").GetBoolean());
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AKeyWithoutName_GetsAllauthsDefaultNames(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await UserAsync(app, kind);
        using var first = new SoftwareAuthenticator { ResidentKey = null };
        using var second = new SoftwareAuthenticator();

        var one = await RegisterAsync(client, first, name: null);
        var two = await RegisterAsync(client, second, name: "  ");

        Assert.Equal("Master key", one.Data.GetProperty("name").GetString());
        Assert.False(one.Data.TryGetProperty("is_passwordless", out _)); // the client did not say: absent, as allauth
        Assert.Equal("Backup key", two.Data.GetProperty("name").GetString());
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task TheSameAnswer_PostedTwice_IsRefusedTheSecondTime(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await UserAsync(app, kind);
        using var key = new SoftwareAuthenticator();
        var options = await client.GetAsync(WebAuthnPath);
        var credential = key.Create(options.Data.GetProperty("creation_options"));

        var first = await client.PostAsync(WebAuthnPath, new { name = "a", credential });
        var replay = await client.PostAsync(WebAuthnPath, new { name = "b", credential });

        Assert.Equal(200, first.StatusCode);
        Assert.Equal(400, replay.StatusCode);
        Assert.Equal(["incorrect_code"], replay.ErrorCodes);
        Assert.Equal(1, await WebAuthnCountAsync(app));
    }

    public static TheoryData<ClientKind, string> Forgeries()
    {
        var data = new TheoryData<ClientKind, string>();
        foreach (var kind in new[] { ClientKind.App, ClientKind.Browser })
        {
            foreach (var forgery in new[] { "origin", "rp_id", "challenge", "no_options", "other_session", "expired" })
            {
                data.Add(kind, forgery);
            }
        }
        return data;
    }

    [Theory, MemberData(nameof(Forgeries))]
    public async Task AnAnswerForAnotherOriginRpIdOrChallenge_IsRefused_AndNothingIsStored(ClientKind kind, string forgery)
    {
        var app = await StartAsync();
        var client = await UserAsync(app, kind);
        using var key = new SoftwareAuthenticator();
        var options = await client.GetAsync(WebAuthnPath);
        var creation = options.Data.GetProperty("creation_options");
        switch (forgery)
        {
            case "origin": key.Origin = "https://evil.example.net"; break;
            case "rp_id": key.RpIdOverride = "evil.example.net"; break;
        }
        var credential = forgery == "challenge"
            ? key.Create(creation, challengeOverride: SoftwareAuthenticator.Base64Url(new byte[16]))
            : key.Create(creation);
        if (forgery == "no_options")
        {
            // A fresh login has no ceremony in its session.
            client = await LoggedInAsync(app, kind, Email);
        }
        if (forgery == "other_session")
        {
            // The options went to another session of the same user: this one never asked.
            var other = await LoggedInAsync(app, kind, Email);
            var otherOptions = await other.GetAsync(WebAuthnPath);
            credential = key.Create(otherOptions.Data.GetProperty("creation_options"));
            client = await LoggedInAsync(app, kind, Email);
        }
        if (forgery == "expired")
        {
            app.Clock.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
            Assert.Equal(200, (await client.PostAsync("auth/reauthenticate", new { password = Password })).StatusCode);
        }

        var added = await client.PostAsync(WebAuthnPath, new { name = "x", credential });

        Assert.Equal(400, added.StatusCode);
        Assert.Equal(["incorrect_code"], added.ErrorCodes);
        Assert.Equal(0, await WebAuthnCountAsync(app));
    }

    public static TheoryData<ClientKind, string> MalformedCredentials()
    {
        var data = new TheoryData<ClientKind, string>();
        string[] bodies =
        [
            """{"credential": {}}""",
            """{"credential": {"id": "AA", "rawId": "AA", "type": "public-key", "response": 5}}""",
            """{"credential": {"id": "AA", "rawId": "!!!", "type": "public-key", "response": {"clientDataJSON": "AA", "attestationObject": "AA"}, "clientExtensionResults": {}}}""",
            """{"credential": {"id": "AA", "rawId": "AA", "type": "public-key", "response": {"clientDataJSON": "e30", "attestationObject": "oA"}, "clientExtensionResults": {}}}""",
            """{"credential": {"id": "AA", "rawId": "AA", "type": "nope", "response": {"clientDataJSON": "", "attestationObject": ""}, "clientExtensionResults": {}}}""",
            """{"credential": {"id": "AA", "rawId": "AA", "type": "public-key", "response": {"clientDataJSON": "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoiQUEiLCJvcmlnaW4iOiI6Ly8ifQ", "attestationObject": "v2NmbXRkbm9uZf8"}, "clientExtensionResults": {}}}""",
        ];
        foreach (var kind in new[] { ClientKind.App, ClientKind.Browser })
        {
            foreach (var body in bodies)
            {
                data.Add(kind, body);
            }
        }
        return data;
    }

    [Theory, MemberData(nameof(MalformedCredentials))]
    public async Task AMalformedCredential_Answers400IncorrectCode_NeverA500(ClientKind kind, string body)
    {
        var app = await StartAsync();
        var client = await UserAsync(app, kind);
        Assert.Equal(200, (await client.GetAsync(WebAuthnPath)).StatusCode);

        var added = await client.PostAsync(WebAuthnPath, body);

        Assert.Equal(400, added.StatusCode);
        Assert.Equal(["incorrect_code"], added.ErrorCodes);
        Assert.Equal(0, await WebAuthnCountAsync(app));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AMissingOrNonObjectCredential_IsAFieldError(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await UserAsync(app, kind);

        var missing = await client.PostAsync(WebAuthnPath, new { name = "x" });
        var text = await client.PostAsync(WebAuthnPath, new { credential = "abc" });

        Assert.Equal(["required@credential"], missing.ErrorCodes);
        Assert.Equal(["invalid@credential"], text.ErrorCodes);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AKeyRegisteredToOneUser_CannotBeRegisteredToAnother(ClientKind kind)
    {
        var app = await StartAsync();
        using var key = new SoftwareAuthenticator();
        await WithKeyAsync(app, kind, key);
        var bob = await UserAsync(app, kind, OtherEmail);

        var added = await RegisterAsync(bob, key);

        Assert.Equal(400, added.StatusCode);
        Assert.Equal(["incorrect_code"], added.ErrorCodes);
        Assert.Equal(1, await WebAuthnCountAsync(app));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task WithAnUnverifiedAddress_AddingAKey_Answers409UnverifiedEmail(ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Account:EmailVerification"] = "Optional" });
        var client = app.Client(kind);
        Assert.Equal(200, (await client.PostAsync("auth/signup", new { email = Email, password = Password })).StatusCode);

        var options = await client.GetAsync(WebAuthnPath);
        var post = await client.PostAsync(WebAuthnPath, new { credential = new { } });

        Assert.Equal(409, options.StatusCode);
        Assert.Equal(["unverified_email"], options.ErrorCodes);
        Assert.Equal(409, post.StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AfterTheReauthenticationTimeout_ManagingKeys_AsksToReauthenticate(ClientKind kind)
    {
        var app = await StartAsync();
        using var key = new SoftwareAuthenticator();
        var (client, id) = await WithKeyAsync(app, kind, key);
        app.Clock.Advance(TimeSpan.FromSeconds(301));

        var options = await client.GetAsync(WebAuthnPath);
        var rename = await client.PutAsync(WebAuthnPath, new { id, name = "renamed" });
        var remove = await client.DeleteAsync(WebAuthnPath, new { authenticators = new[] { id } });

        foreach (var answer in new[] { options, rename, remove })
        {
            Assert.Equal(401, answer.StatusCode);
            Assert.True(answer.IsAuthenticated);
            Assert.Equal(["reauthenticate", "mfa_reauthenticate"], answer.FlowIds);
            var mfa = answer.Data.GetProperty("flows")[1];
            Assert.Equal(["recovery_codes", "webauthn"], mfa.GetProperty("types").EnumerateArray().Select(t => t.GetString()));
        }
        Assert.Equal(1, await WebAuthnCountAsync(app));
        Assert.Equal(200, (await client.PostAsync("auth/reauthenticate", new { password = Password })).StatusCode);
        Assert.Equal(200, (await client.PutAsync(WebAuthnPath, new { id, name = "renamed" })).StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task Renaming_ChangesTheName_OfOwnKeysOnly(ClientKind kind)
    {
        var app = await StartAsync();
        using var aliceKey = new SoftwareAuthenticator();
        using var bobKey = new SoftwareAuthenticator();
        var (alice, aliceId) = await WithKeyAsync(app, kind, aliceKey);
        var (_, bobId) = await WithKeyAsync(app, kind, bobKey, OtherEmail);

        var renamed = await alice.PutAsync(WebAuthnPath, new { id = aliceId, name = "Phone" });
        var others = await alice.PutAsync(WebAuthnPath, new { id = bobId, name = "Mine now" });
        var unknown = await alice.PutAsync(WebAuthnPath, new { id = 999999, name = "x" });
        var noName = await alice.PutAsync(WebAuthnPath, new { id = aliceId });
        var textId = await alice.PutAsync(WebAuthnPath, new { id = "1", name = "x" });

        Assert.Equal(200, renamed.StatusCode);
        Assert.Equal("Phone", renamed.Data.GetProperty("name").GetString());
        Assert.Equal(["invalid_choice@id"], others.ErrorCodes);
        Assert.Equal(["invalid_choice@id"], unknown.ErrorCodes);
        Assert.Equal(["required@name"], noName.ErrorCodes);
        Assert.Equal(["invalid@id"], textId.ErrorCodes);
        var bobName = await app.DbAsync(db => db.Authenticators.Where(a => a.Id == bobId).Select(a => a.Data).FirstAsync());
        Assert.Contains("\"My key\"", bobName, StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task Removing_DeletesOwnKeys_MailsTheOwner_AndRefusesOthersKeys(ClientKind kind)
    {
        var app = await StartAsync();
        using var aliceKey = new SoftwareAuthenticator();
        using var bobKey = new SoftwareAuthenticator();
        var (_, bobId) = await WithKeyAsync(app, kind, bobKey, OtherEmail);
        var (alice, aliceId) = await WithKeyAsync(app, kind, aliceKey);
        app.Mail.Clear();

        var others = await alice.DeleteAsync(WebAuthnPath, new { authenticators = new[] { aliceId, bobId } });
        var empty = await alice.DeleteAsync(WebAuthnPath, new { authenticators = Array.Empty<long>() });
        Assert.Equal(2, await WebAuthnCountAsync(app));
        var removed = await alice.DeleteAsync(WebAuthnPath, new { authenticators = new[] { aliceId } });

        Assert.Equal(["invalid_choice@authenticators"], others.ErrorCodes);
        Assert.Equal(["required@authenticators"], empty.ErrorCodes);
        Assert.Equal(200, removed.StatusCode);
        Assert.Equal(1, await WebAuthnCountAsync(app));
        var mail = await MailToAsync(app, Email, "Security Key Removed");
        Assert.Contains("A security key has been removed.", mail.TextBody, StringComparison.Ordinal);
        // With its only key gone, the account logs in with the password alone again.
        Assert.Equal(200, (await app.Client(kind).PostAsync("auth/login", new { email = Email, password = Password })).StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task TheRoutes_RequireALoggedInUser(ClientKind kind)
    {
        var app = await StartAsync();
        var client = app.Client(kind);

        Assert.Equal(401, (await client.GetAsync(WebAuthnPath)).StatusCode);
        Assert.Equal(401, (await client.PostAsync(WebAuthnPath, new { credential = new { } })).StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task WithoutWebAuthnSupported_TheRoutesDoNotExist(ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Mfa:SupportedTypes:0"] = "totp" });
        var client = await UserAsync(app, kind);

        Assert.Equal(404, (await client.GetAsync(WebAuthnPath)).StatusCode);
        Assert.Equal(404, (await client.GetAsync("auth/webauthn/reauthenticate")).StatusCode);
        Assert.Equal(404, (await app.Client(kind).GetAsync("auth/webauthn/login")).StatusCode);
        Assert.Equal(404, (await app.Client(kind).GetAsync("auth/webauthn/authenticate")).StatusCode);
        Assert.DoesNotContain("mfa_login_webauthn", (await app.Client(kind).GetAsync("auth/session")).FlowIds);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task WithPasskeyLoginOff_ItsRoutesDoNotExist_AndItsFlowIsNotOffered(ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Mfa:PasskeyLoginEnabled"] = "false" });
        var on = await StartAsync();

        Assert.Equal(404, (await app.Client(kind).GetAsync("auth/webauthn/login")).StatusCode);
        Assert.DoesNotContain("mfa_login_webauthn", (await app.Client(kind).GetAsync("auth/session")).FlowIds);
        Assert.False((await app.Client(kind).GetAsync("config")).Data.GetProperty("mfa").GetProperty("passkey_login_enabled").GetBoolean());
        Assert.Contains("mfa_login_webauthn", (await on.Client(kind).GetAsync("auth/session")).FlowIds);
        Assert.Equal(404, (await on.Client(kind).GetAsync("auth/webauthn/signup")).StatusCode); // passkey signup is off by default
    }
}

public sealed class SqliteWebAuthnRegistrationTests() : WebAuthnRegistrationTests(DatabaseKind.Sqlite);
public sealed class PostgresWebAuthnRegistrationTests() : WebAuthnRegistrationTests(DatabaseKind.Postgres);
