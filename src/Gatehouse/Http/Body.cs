namespace Gatehouse.Http;

public static class Body
{
    /// <summary>Reads the JSON body and hands it to <paramref name="handle"/>, or answers the body's error.</summary>
    public static async Task<ApiResult> Json(HttpRequest request, Func<JsonInput, Task<ApiResult>> handle, CancellationToken ct)
    {
        var (input, error) = await JsonInput.ReadAsync(request, ct);
        return error ?? await handle(input!);
    }
}
