namespace Gatehouse.Sessions;

/// <summary>
/// A feature's part of <c>data.flows</c> in a 401: the flows a client may start (allauth's
/// <c>_get_flows</c> asks each installed app). Contributors are registered in DI in allauth's order
/// (account, then providers, then MFA); a switched-off feature contributes nothing.
/// </summary>
public interface IFlowContributor
{
    void AddFlows(FlowList flows);
}

/// <summary>The flows of one response, in order; the pending stage is merged in by id (allauth's <c>_upsert_pending_flow</c>).</summary>
public sealed class FlowList
{
    private readonly List<string> _ids = [];
    private readonly List<string> _afterPending = [];

    public IReadOnlyList<string> Ids => _ids;

    /// <summary>Flows written after the pending one, each with an explicit <c>is_pending</c> true or false.</summary>
    public IReadOnlyList<string> AfterPending => _afterPending;

    public void Add(string id) => _ids.Add(id);

    /// <summary>
    /// allauth's <c>_get_flows</c> appends <c>password_reset_by_code</c> last, after the pending stage was upserted,
    /// and always says whether it is pending (<c>"is_pending": false</c> too); a flow added here is written that way.
    /// </summary>
    public void AddAfterPending(string id) => _afterPending.Add(id);
}
