using Gatehouse.Account.Stages;
using Gatehouse.Configuration;
using Gatehouse.Sessions;
using Microsoft.Extensions.Options;

namespace Gatehouse.Mfa.WebAuthn;

/// <summary>
/// The <c>mfa_signup_webauthn</c> login stage (allauth's PasskeySignupStage): a passkey signup, once its address
/// is verified, stops here until the new passkey is registered (GET/PUT auth/webauthn/signup).
/// </summary>
public sealed class PasskeySignupStage(IOptions<MfaOptions> options) : ILoginStage
{
    public string Id => FlowIds.MfaSignupWebAuthn;

    public ValueTask<bool> AppliesToAsync(StageContext context, CancellationToken ct) =>
        ValueTask.FromResult(context.PasskeySignup && options.Value.PasskeySignup);

    public ValueTask EnterAsync(StageContext context, CancellationToken ct) => ValueTask.CompletedTask;
}

/// <summary><c>mfa_login_webauthn</c> among the flows a client may start, when passkey login is on (allauth's _get_flows).</summary>
public sealed class WebAuthnFlows(IOptions<MfaOptions> options) : IFlowContributor
{
    public void AddFlows(FlowList flows)
    {
        if (options.Value.PasskeyLogin)
        {
            flows.Add(FlowIds.MfaLoginWebAuthn);
        }
    }
}
