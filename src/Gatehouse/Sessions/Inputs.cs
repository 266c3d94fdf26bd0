using Gatehouse.Http;

namespace Gatehouse.Sessions;

// The sessions request bodies, as allauth's usersessions/inputs.py declares them: Read does the field reading and
// shape checks, records field errors on the JsonInput, and returns null when it recorded one. Whether an id is one
// of the user's sessions is the flow's rule (it needs the database).

/// <summary>DELETE auth/sessions: a non-empty list of session ids.</summary>
public sealed record EndSessionsInput(IReadOnlyList<long> Ids)
{
    public static EndSessionsInput? Read(JsonInput input)
    {
        var ids = input.IdList("sessions");
        if (ids is { Count: 0 })
        {
            input.AddError(ApiError.Required("sessions"));
        }
        return input.IsValid ? new EndSessionsInput(ids!) : null;
    }
}
