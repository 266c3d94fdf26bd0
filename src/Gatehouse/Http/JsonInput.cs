using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Http;

/// <summary>
/// A request body read as a JSON object, with field accessors that collect Django-style field errors.
/// allauth gives a 500 for an array, string or number body and an empty HTML 400 for malformed JSON;
/// we answer every one of them with the envelope.
/// </summary>
public sealed partial class JsonInput
{
    /// <summary>Large enough for any request of this API; a bigger body is refused before parsing.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 16 };
    private readonly JsonElement _root;
    private readonly List<ApiError> _errors = [];

    private JsonInput(JsonElement root) => _root = root;

    /// <summary>A fresh input with no fields (an empty or <c>null</c> body). A new instance each time: it collects errors.</summary>
    public static JsonInput Empty => new(default);

    /// <summary>
    /// Set when the body could not be read as a JSON object; the endpoint filter answers it before the
    /// handler runs, so handlers only ever see a readable input.
    /// </summary>
    public ApiResult? BodyError { get; private init; }

    /// <summary>Minimal APIs bind a <see cref="JsonInput"/> parameter from the request body through this.</summary>
    public static async ValueTask<JsonInput?> BindAsync(HttpContext context)
    {
        var (input, error) = await ReadAsync(context.Request, context.RequestAborted);
        return input ?? new JsonInput(default) { BodyError = error };
    }

    public IReadOnlyList<ApiError> Errors => _errors;
    public bool IsValid => _errors.Count == 0;

    public void AddError(ApiError error) => _errors.Add(error);

    /// <summary>Reads and parses the body. Returns an error result for anything that is not a JSON object (or empty/null).</summary>
    public static async Task<(JsonInput? Input, ApiResult? Error)> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        var contentType = request.ContentType ?? "";
        if (contentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) ||
            contentType.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return (null, InvalidJson("Expected a JSON body."));
        }
        if (request.ContentLength > MaxBodyBytes)
        {
            return (null, TooLarge());
        }

        var buffer = new ArrayBufferWriter<byte>(1024);
        var total = 0;
        try
        {
            while (true)
            {
                var memory = buffer.GetMemory(4096);
                var read = await request.Body.ReadAsync(memory, ct);
                if (read == 0)
                {
                    break;
                }
                total += read;
                if (total > MaxBodyBytes)
                {
                    return (null, TooLarge());
                }
                buffer.Advance(read);
            }
        }
        catch (Exception ex) when (ex is BadHttpRequestException or IOException && !request.HttpContext.RequestAborted.IsCancellationRequested)
        {
            // The body could not be read (Kestrel: a malformed chunk, a body sent too slowly): the client's
            // fault, so a 400 and a line without stack trace, not an unhandled error.
            Log.Unreadable(request.HttpContext, ex);
            return (null, ex is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge }
                ? TooLarge()
                : ApiResult.BadRequest(new ApiError("The request body could not be read.", ErrorCodes.Invalid)));
        }

        if (total == 0 || buffer.WrittenSpan.Trim(" \t\r\n"u8).IsEmpty)
        {
            return (Empty, null);
        }
        // The parser does not check the bytes inside strings; decoding them later would throw.
        if (!System.Text.Unicode.Utf8.IsValid(buffer.WrittenSpan))
        {
            return (null, InvalidJson("Malformed JSON."));
        }
        try
        {
            using var document = JsonDocument.Parse(buffer.WrittenMemory, ParseOptions);
            return document.RootElement.ValueKind switch
            {
                JsonValueKind.Object when !HasDecodableNames(document.RootElement) => (null, InvalidJson("Malformed JSON.")),
                JsonValueKind.Object => (new JsonInput(document.RootElement.Clone()), null),
                JsonValueKind.Null => (Empty, null),
                _ => (null, InvalidJson("Expected a JSON object.")),
            };
        }
        catch (JsonException)
        {
            return (null, InvalidJson("Malformed JSON."));
        }
    }

    /// <summary>
    /// An escaped lone surrogate in a property name ({"\udc00": 1}) is valid JSON but no valid string, and
    /// every field lookup compares names, so it would throw there (a 500 from any endpoint). Such a body
    /// is refused whole; a lone surrogate in a value only makes that field invalid (see <see cref="Text"/>).
    /// Found by the property tests.
    /// </summary>
    private static bool HasDecodableNames(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    try
                    {
                        _ = property.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        return false;
                    }
                    if (!HasDecodableNames(property.Value))
                    {
                        return false;
                    }
                }
                return true;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (!HasDecodableNames(item))
                    {
                        return false;
                    }
                }
                return true;
            default:
                return true;
        }
    }

    private static ApiResult InvalidJson(string message) => ApiResult.BadRequest(new ApiError(message, ErrorCodes.InvalidJson));
    private static ApiResult TooLarge() => ApiResult.BadRequest(new ApiError("The request body is too large.", ErrorCodes.BodyTooLarge));

    private bool TryGet(string name, out JsonElement value)
    {
        if (_root.ValueKind == JsonValueKind.Object && _root.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null)
        {
            return true;
        }
        value = default;
        return false;
    }

    public bool Has(string name) => TryGet(name, out _);

    /// <summary>
    /// A string field. Missing, null or blank gives <c>required</c> when <paramref name="required"/>;
    /// a non-string gives <c>invalid</c> with <paramref name="invalidMessage"/>.
    /// </summary>
    public string? Text(string name, bool required = true, string invalidMessage = "Enter a valid value.", int maxLength = 1024)
    {
        if (!TryGet(name, out var value))
        {
            if (required)
            {
                _errors.Add(ApiError.Required(name));
            }
            return null;
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            _errors.Add(new ApiError(invalidMessage, ErrorCodes.Invalid, name));
            return null;
        }
        string text;
        try
        {
            text = value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // An escaped lone surrogate ("\ud800") is valid JSON but no valid string.
            _errors.Add(new ApiError(invalidMessage, ErrorCodes.Invalid, name));
            return null;
        }
        if (text.Length > maxLength)
        {
            _errors.Add(new ApiError($"Ensure this value has at most {maxLength} characters (it has {text.Length}).", ErrorCodes.MaxLength, name));
            return null;
        }
        if (text.Contains('\0', StringComparison.Ordinal))
        {
            // Django's CharField refuses NUL (ProhibitNullCharactersValidator); PostgreSQL cannot store or compare it.
            _errors.Add(new ApiError("Null characters are not allowed.", ErrorCodes.NullCharactersNotAllowed, name));
            return null;
        }
        if (required && string.IsNullOrWhiteSpace(text))
        {
            _errors.Add(ApiError.Required(name));
            return null;
        }
        return text;
    }

    /// <summary>A boolean field; strings and numbers are refused rather than guessed at.</summary>
    public bool? Flag(string name, bool required = true)
    {
        if (!TryGet(name, out var value))
        {
            if (required)
            {
                _errors.Add(ApiError.Required(name));
            }
            return null;
        }
        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return value.GetBoolean();
        }
        _errors.Add(new ApiError("Enter a valid boolean.", ErrorCodes.Invalid, name));
        return null;
    }

    /// <summary>A list of integer ids (e.g. <c>sessions</c>); anything else in it is an error.</summary>
    public IReadOnlyList<long>? IdList(string name, int maxCount = 1000)
    {
        if (!TryGet(name, out var value))
        {
            _errors.Add(ApiError.Required(name));
            return null;
        }
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() > maxCount)
        {
            _errors.Add(new ApiError("Enter a list of values.", ErrorCodes.Invalid, name));
            return null;
        }
        var ids = new List<long>();
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out var id))
            {
                _errors.Add(new ApiError("Enter a whole number.", ErrorCodes.Invalid, name));
                return null;
            }
            ids.Add(id);
        }
        return ids;
    }

    /// <summary>
    /// A JSON object field (e.g. a WebAuthn <c>credential</c>), returned as-is for a parser that knows its
    /// shape. Missing or null gives <c>required</c>; anything but an object gives <c>invalid</c>.
    /// </summary>
    public JsonElement? JsonObject(string name, bool required = true)
    {
        if (!TryGet(name, out var value))
        {
            if (required)
            {
                _errors.Add(ApiError.Required(name));
            }
            return null;
        }
        if (value.ValueKind != JsonValueKind.Object)
        {
            _errors.Add(new ApiError("Enter a valid JSON.", ErrorCodes.Invalid, name));
            return null;
        }
        return value;
    }

    /// <summary>An integer field (e.g. an authenticator <c>id</c>); strings and fractions are refused.</summary>
    public long? WholeNumber(string name, bool required = true)
    {
        if (!TryGet(name, out var value))
        {
            if (required)
            {
                _errors.Add(ApiError.Required(name));
            }
            return null;
        }
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var number))
        {
            _errors.Add(new ApiError("Enter a whole number.", ErrorCodes.Invalid, name));
            return null;
        }
        return number;
    }

    private static partial class Log
    {
        public static void Unreadable(HttpContext context, Exception exception)
        {
            // JsonInput is static-entry (no constructor injection); a context without services logs nothing.
            var logger = context.RequestServices?.GetService<ILogger<JsonInput>>();
            if (logger is not null)
            {
                BodyUnreadable(logger, context.Request.Method, context.Request.Path.Value ?? "", exception.GetType().Name, exception.Message);
            }
        }

        [LoggerMessage(1, LogLevel.Information, "Request body of {Method} {Path} could not be read ({ExceptionType}: {Reason})")]
        private static partial void BodyUnreadable(ILogger logger, string method, string path, string exceptionType, string reason);
    }
}
