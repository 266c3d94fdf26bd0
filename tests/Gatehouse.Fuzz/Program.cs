using Gatehouse.Http;
using Microsoft.AspNetCore.Http;
using SharpFuzz;

namespace Gatehouse.Fuzz;

/// <summary>
/// The fuzz target: one request body through JsonInput.ReadAsync and every field accessor, as an endpoint
/// would. Any exception is a crash (afl-fuzz records the input): the contract is a value or a 400 envelope.
/// <c>Gatehouse.Fuzz</c> runs under afl-fuzz (SharpFuzz's fork server, Gatehouse.dll instrumented by the
/// sharpfuzz tool); <c>Gatehouse.Fuzz FILE...</c> replays inputs, e.g. the crashes afl-fuzz found.
/// </summary>
public static class Program
{
    private static readonly string[] Fields = ["email", "password", "key", "code", "primary", "sessions", "username", ""];

    public static int Main(string[] args)
    {
        if (args.Length > 0)
        {
            foreach (var path in args)
            {
                using var file = File.OpenRead(path);
                Target(file);
                Console.WriteLine($"ok: {path}");
            }
            return 0;
        }
        Fuzzer.OutOfProcess.Run(Target);
        return 0;
    }

    private static void Target(Stream body)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.ContentType = "application/json";
        context.Request.Body = body;
        // MemoryStream and file reads complete synchronously; the target itself stays synchronous for the fork server.
        var (input, error) = JsonInput.ReadAsync(context.Request, CancellationToken.None).GetAwaiter().GetResult();
        if (input is null == error is null)
        {
            throw new InvalidOperationException("JsonInput gave neither or both of an input and an error.");
        }
        if (error is not null)
        {
            if (error.Status != StatusCodes.Status400BadRequest)
            {
                throw new InvalidOperationException($"JsonInput answered {error.Status}, not 400.");
            }
            return;
        }
        foreach (var field in Fields)
        {
            _ = input!.Text(field);
            _ = input.Text(field, required: false, maxLength: 4);
            _ = input.Flag(field, required: false);
            _ = input.IdList(field);
        }
    }
}
