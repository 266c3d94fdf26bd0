using System.Text.Json;
using Gatehouse.Sessions;
using Gatehouse.Storage.Entities;

namespace Gatehouse.Account.Stages;

/// <summary>
/// One step a user who has proven who they are must still pass before the session is logged in
/// (allauth's <c>LoginStage</c>): <c>verify_email</c> now, <c>mfa_authenticate</c>, <c>mfa_trust</c>,
/// <c>provider_signup</c> later. Stages are registered in DI in the order they run; <see cref="LoginStages"/>
/// asks each one and <see cref="Flows.LoginCompletion"/> is the only place that moves between them.
/// The stage's own endpoint (e.g. auth/email/verify) does the work and then calls
/// <see cref="Flows.LoginCompletion.CompleteStageAsync"/>.
/// </summary>
public interface ILoginStage
{
    /// <summary>The flow id clients see in <c>data.flows</c> (<c>{"id": ..., "is_pending": true}</c>).</summary>
    string Id { get; }

    /// <summary>Whether <paramref name="user"/> must pass this stage in this login.</summary>
    ValueTask<bool> AppliesToAsync(StageContext context, CancellationToken ct);

    /// <summary>Called when the stage becomes the current one: send what it needs (a mail, a code).</summary>
    ValueTask EnterAsync(StageContext context, CancellationToken ct);

    /// <summary>Extra members of the pending flow object (allauth's <c>_enrich_mfa_flow</c> adds <c>types</c>).</summary>
    void WritePendingDetails(Utf8JsonWriter writer, PendingFlow pending) { }

    /// <summary>
    /// The login this request runs has added <paramref name="session"/> to the unit of work, not yet saved: what a
    /// stage adds here is saved with the session, or neither is (MFA links the browser's trust to it, so ending
    /// the session from the sessions page ends the trust).
    /// </summary>
    void LoggingIn(User user, Session session) { }
}

/// <summary>
/// What a stage sees: the user, the flow being built, whether this login is a signup, and whether that signup
/// is by passkey (allauth's <c>login.state["passkey_signup"]</c>).
/// </summary>
public sealed record StageContext(User User, PendingFlow Pending, bool Signup, bool PasskeySignup = false);
