using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Tests.Api;

/// <summary>
/// What every mailed code keeps, for the three flows that mail one (login by code, email verification by code,
/// password reset by code): one <c>CodeChallenges</c> is behind all three, so one set of tests runs over all
/// three. Each flow's own behaviour (what the code shows, what a success does) stays in its own test class.
/// </summary>
public abstract class MailedCodeTests(DatabaseKind database) : ApiTestBase(database)
{
    private const string Email = "alice@example.com";
    private const string NewPassword = "N3w-Tr0ub4dor&3-horse";
    private const string WrongCode = "BBBB-BBBB";

    /// <summary>One mailed-code flow: how it starts, where its code goes, and what its answers look like.</summary>
    public sealed record CodeFlow(
        string Name,
        Dictionary<string, string?> Settings,
        Func<GatehouseApp, ClientKind, Task<ApiClient>> StartAsync,
        string Subject,
        string Path,
        Func<string, object> Body,
        string? KeyHeader,
        string ErrorParam,
        string? ResendPath,
        TimeSpan Timeout,
        int SuccessStatus);

    private static readonly CodeFlow[] Flows =
    [
        new("login_by_code", [],
            async (app, kind) =>
            {
                await (await SignedUpAndVerifiedAsync(app, kind, Email)).DeleteAsync("auth/session");
                var client = app.Client(kind);
                Assert.Equal(401, (await client.PostAsync("auth/code/request", new { email = Email })).StatusCode);
                return client;
            },
            "Sign-In Code", "auth/code/confirm", code => new { code }, KeyHeader: null, "code",
            "auth/code/resend", TimeSpan.FromMinutes(3), SuccessStatus: 200),
        new("verify_email", new() { ["Gatehouse:Account:EmailVerificationByCodeEnabled"] = "true" },
            async (app, kind) =>
            {
                var client = app.Client(kind);
                Assert.Equal(401, (await client.PostAsync("auth/signup", new { email = Email, password = Password })).StatusCode);
                return client;
            },
            "Confirm Your Email", "auth/email/verify", code => new { key = code }, "X-Email-Verification-Key", "key",
            "auth/email/verify/resend", TimeSpan.FromMinutes(15), SuccessStatus: 200),
        new("password_reset_by_code", new() { ["Gatehouse:Account:PasswordResetByCodeEnabled"] = "true" },
            async (app, kind) =>
            {
                await (await SignedUpAndVerifiedAsync(app, kind, Email)).DeleteAsync("auth/session");
                var client = app.Client(kind);
                Assert.Equal(401, (await client.PostAsync("auth/password/request", new { email = Email })).StatusCode);
                return client;
            },
            // Success is allauth's 401: the password is reset, nobody is logged in (LoginOnPasswordReset off).
            "Password Reset Code", "auth/password/reset", code => new { key = code, password = NewPassword }, "X-Password-Reset-Key", "key",
            ResendPath: null, TimeSpan.FromMinutes(3), SuccessStatus: 401),
    ];

    public static TheoryData<string, ClientKind> AllFlows => Combine(Flows);
    public static TheoryData<string, ClientKind> ResendableFlows => Combine(Flows.Where(f => f.ResendPath is not null));
    public static TheoryData<string, ClientKind> FlowsWithAGet => Combine(Flows.Where(f => f.KeyHeader is not null));

    private static TheoryData<string, ClientKind> Combine(IEnumerable<CodeFlow> flows)
    {
        var data = new TheoryData<string, ClientKind>();
        foreach (var flow in flows)
        {
            data.Add(flow.Name, ClientKind.App);
            data.Add(flow.Name, ClientKind.Browser);
        }
        return data;
    }

    private static CodeFlow FlowNamed(string name) => Flows.Single(f => f.Name == name);

    private async Task<(GatehouseApp App, ApiClient Client, string Code)> StartedAsync(CodeFlow flow, ClientKind kind)
    {
        var app = await StartAsync(flow.Settings);
        var client = await flow.StartAsync(app, kind);
        return (app, client, await CodeAsync(app, flow));
    }

    private static async Task<string> CodeAsync(GatehouseApp app, CodeFlow flow)
    {
        var code = (await MailToAsync(app, Email, flow.Subject)).CodeLine();
        Assert.NotNull(code);
        return code;
    }

    /// <summary>Sends a code: by POST, or, where the flow has one, by its GET with the key header (allauth checks it there too).</summary>
    private static Task<ApiResponse> SubmitAsync(ApiClient client, CodeFlow flow, string code, bool byGet = false) =>
        byGet && flow.KeyHeader is { } header
            ? client.GetAsync(flow.Path, new Dictionary<string, string> { [header] = code })
            : client.PostAsync(flow.Path, flow.Body(code));

    private static async Task AssertNothingPendingAsync(ApiClient client)
    {
        var session = await client.GetAsync("auth/session");
        Assert.Equal(401, session.StatusCode);
        Assert.Null(session.PendingFlow);
    }

    [Theory, MemberData(nameof(AllFlows))]
    public async Task AWrongCode_IsIncorrectOnItsParam_ByPostAndByGet_AndTheRightOneStillWorks(string name, ClientKind kind)
    {
        var flow = FlowNamed(name);
        var (_, client, code) = await StartedAsync(flow, kind);

        var wrongPost = await SubmitAsync(client, flow, WrongCode);
        var wrongGet = await SubmitAsync(client, flow, WrongCode, byGet: true);
        var right = await SubmitAsync(client, flow, code);

        Assert.Equal(400, wrongPost.StatusCode);
        Assert.Equal([$"incorrect_code@{flow.ErrorParam}"], wrongPost.ErrorCodes);
        Assert.Equal([$"incorrect_code@{flow.ErrorParam}"], wrongGet.ErrorCodes);
        Assert.Equal(flow.SuccessStatus, right.StatusCode);
    }

    [Theory, MemberData(nameof(AllFlows))]
    public async Task TheThirdWrongCode_EndsTheFlow_SoEvenTheRightCodeThenAnswers409(string name, ClientKind kind)
    {
        var flow = FlowNamed(name);
        var (_, client, code) = await StartedAsync(flow, kind);

        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var wrong = await SubmitAsync(client, flow, WrongCode, byGet: attempt == 2);
            Assert.Equal([$"incorrect_code@{flow.ErrorParam}"], wrong.ErrorCodes);
        }
        var right = await SubmitAsync(client, flow, code);

        Assert.Equal(409, right.StatusCode);
        Assert.Equal(409, right.Json.GetProperty("status").GetInt32());
        await AssertNothingPendingAsync(client);
    }

    [Theory, MemberData(nameof(AllFlows))]
    public async Task FiftyParallelWrongCodes_AreEvaluatedAtMostThreeTimes_AndTheRightCodeIsRefusedAfterwards(string name, ClientKind kind)
    {
        var flow = FlowNamed(name);
        var (app, client, code) = await StartedAsync(flow, kind);

        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => SubmitAsync(client, flow, WrongCode)));

        Assert.All(answers, a =>
        {
            Assert.True(a.StatusCode is 400 or 409, $"a wrong code answered {a}");
            AssertEnvelope(a);
        });
        // Each evaluated guess took an attempt first, by a conditional update that stops at the limit.
        var attempts = await app.DbAsync(db => db.CodeChallenges.Select(c => c.Attempts).SingleAsync());
        Assert.True(attempts <= 3, $"{attempts} guesses were evaluated against a limit of 3");
        var right = await SubmitAsync(client, flow, code);
        Assert.Equal(409, right.StatusCode);
        AssertEnvelope(right);
        await AssertNothingPendingAsync(client);
    }

    [Theory, MemberData(nameof(AllFlows))]
    public async Task TwentyParallelSubmissionsOfTheRightCode_SucceedOnce_AndTheOthersAre409Or410NotA500(string name, ClientKind kind)
    {
        var flow = FlowNamed(name);
        var (app, client, code) = await StartedAsync(flow, kind);

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => SubmitAsync(client, flow, code)));

        Assert.Single(answers, a => a.StatusCode == flow.SuccessStatus);
        // The losers hear that the flow is over (409), or, once the winner's new session replaced the flow's
        // token, that the token is gone (410).
        Assert.All(answers.Where(a => a.StatusCode != flow.SuccessStatus), a => Assert.True(a.StatusCode is 409 or 410, a.ToString()));
        Assert.All(answers, AssertEnvelope);
        Assert.Equal(1, await app.DbAsync(db => db.CodeChallenges.CountAsync(c => c.ConsumedAt != null)));
        Assert.DoesNotContain(app.Logs.Lines, line => line.StartsWith("Error", StringComparison.Ordinal) || line.StartsWith("Critical", StringComparison.Ordinal));
    }

    [Theory, MemberData(nameof(FlowsWithAGet))]
    public async Task AGetWithoutACode_DoesNotUseUpAnAttempt(string name, ClientKind kind)
    {
        var flow = FlowNamed(name);
        var (app, client, code) = await StartedAsync(flow, kind);

        // Cross-site navigations (or a careless client) that carry no code must not end the flow: as many as the limit.
        for (var i = 0; i < 3; i++)
        {
            var get = await client.GetAsync(flow.Path);
            Assert.Equal(400, get.StatusCode);
            Assert.Equal([$"required@{flow.ErrorParam}"], get.ErrorCodes);
        }

        Assert.Equal(0, await app.DbAsync(db => db.CodeChallenges.Select(c => c.Attempts).SingleAsync()));
        Assert.Equal(flow.SuccessStatus, (await SubmitAsync(client, flow, code)).StatusCode);
    }

    [Theory, MemberData(nameof(ResendableFlows))]
    public async Task Resending_MailsANewCode_ThatWorks_WhileTheOldOneNoLongerDoes(string name, ClientKind kind)
    {
        var flow = FlowNamed(name);
        var (app, client, oldCode) = await StartedAsync(flow, kind);

        var resend = await client.PostAsync(flow.ResendPath!);
        var newCode = await CodeAsync(app, flow);
        var old = await SubmitAsync(client, flow, oldCode);
        var fresh = await SubmitAsync(client, flow, newCode);

        Assert.Equal(200, resend.StatusCode);
        Assert.NotEqual(oldCode, newCode);
        Assert.Equal([$"incorrect_code@{flow.ErrorParam}"], old.ErrorCodes);
        Assert.Equal(flow.SuccessStatus, fresh.StatusCode);
    }

    [Theory, MemberData(nameof(ResendableFlows))]
    public async Task Resending_DoesNotResetTheWrongAttempts(string name, ClientKind kind)
    {
        // allauth counts failed attempts per flow: a resend makes a new code, not a new allowance.
        var flow = FlowNamed(name);
        var (app, client, _) = await StartedAsync(flow, kind);
        Assert.Equal(400, (await SubmitAsync(client, flow, WrongCode)).StatusCode);
        Assert.Equal(400, (await SubmitAsync(client, flow, WrongCode)).StatusCode);

        Assert.Equal(200, (await client.PostAsync(flow.ResendPath!)).StatusCode);
        var newCode = await CodeAsync(app, flow);
        var third = await SubmitAsync(client, flow, WrongCode);
        var right = await SubmitAsync(client, flow, newCode);

        Assert.Equal([$"incorrect_code@{flow.ErrorParam}"], third.ErrorCodes);
        Assert.Equal(409, right.StatusCode);
    }

    [Theory, MemberData(nameof(AllFlows))]
    public async Task Submitting_OrResending_WithoutAPendingFlow_Answers409(string name, ClientKind kind)
    {
        var flow = FlowNamed(name);
        var app = await StartAsync(flow.Settings);
        var client = app.Client(kind);

        Assert.Equal(409, (await SubmitAsync(client, flow, "BCDF-GHJK")).StatusCode);
        Assert.Equal(409, (await SubmitAsync(client, flow, "BCDF-GHJK", byGet: true)).StatusCode);
        if (flow.ResendPath is { } resend)
        {
            Assert.Equal(409, (await client.PostAsync(resend)).StatusCode);
        }
    }

    [Theory, MemberData(nameof(AllFlows))]
    public async Task ACodeMailedInOneSession_DoesNotWorkInAnother(string name, ClientKind kind)
    {
        var flow = FlowNamed(name);
        var (app, _, code) = await StartedAsync(flow, kind);

        var stranger = await SubmitAsync(app.Client(kind), flow, code);

        Assert.Equal(409, stranger.StatusCode);
    }

    [Theory, MemberData(nameof(AllFlows))]
    public async Task TheCode_StillWorksJustBeforeItsTimeout(string name, ClientKind kind)
    {
        var flow = FlowNamed(name);
        var (app, client, code) = await StartedAsync(flow, kind);

        app.Clock.Advance(flow.Timeout - TimeSpan.FromSeconds(1));

        Assert.Equal(flow.SuccessStatus, (await SubmitAsync(client, flow, code)).StatusCode);
    }

    [Theory, MemberData(nameof(AllFlows))]
    public async Task TheCode_ExpiresAfterItsTimeout(string name, ClientKind kind)
    {
        var flow = FlowNamed(name);
        var (app, client, code) = await StartedAsync(flow, kind);

        app.Clock.Advance(flow.Timeout + TimeSpan.FromSeconds(1));

        Assert.Equal(409, (await SubmitAsync(client, flow, code)).StatusCode);
    }
}

public sealed class SqliteMailedCodeTests() : MailedCodeTests(DatabaseKind.Sqlite);
public sealed class PostgresMailedCodeTests() : MailedCodeTests(DatabaseKind.Postgres);
