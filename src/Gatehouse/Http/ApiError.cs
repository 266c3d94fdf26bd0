namespace Gatehouse.Http;

/// <summary>One entry of the envelope's <c>errors</c> list; <see cref="Param"/> is omitted for non-field errors.</summary>
public sealed record ApiError(string Message, string Code, string? Param = null)
{
    public static ApiError Required(string param) => new("This field is required.", ErrorCodes.Required, param);
}
