using Gatehouse.Configuration;
using Gatehouse.Sessions;
using Microsoft.Extensions.Options;

namespace Gatehouse.Account;

/// <summary>The account feature's flows, as allauth lists them: login, login by code, signup, reset by code.</summary>
public sealed class AccountFlows(IOptions<AccountOptions> options) : IFlowContributor
{
    public void AddFlows(FlowList flows)
    {
        var account = options.Value;
        flows.Add("login");
        if (account.LoginByCodeEnabled)
        {
            flows.Add(FlowIds.LoginByCode);
        }
        if (account.IsOpenForSignup)
        {
            flows.Add("signup");
        }
        if (account.PasswordResetByCodeEnabled)
        {
            flows.AddAfterPending(FlowIds.PasswordResetByCode);
        }
    }
}
