using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;

namespace Gatehouse.Server;

/// <summary>
/// Serves the reference web frontend (the static export of <c>web/</c>, i.e. <c>web/out</c>) on the
/// server's own origin, so pages and API share cookies and CSRF without CORS. Never touches
/// <c>/_allauth</c> or mapped endpoints.
/// <list type="bullet">
/// <item><c>/x/y</c> is served from <c>x/y</c>, else <c>x/y.html</c> (the export's file names); <c>/</c> from <c>index.html</c>.</item>
/// <item>Keyed pages (<c>/account/verify-email/{key}</c>, <c>/account/password/reset/key/{key}</c>) are exported once,
/// for the placeholder key <c>_</c>; any key is served that page's files, and the page reads the key from the URL.</item>
/// <item>Anything else is <c>404.html</c> with status 404.</item>
/// </list>
/// Settings (not under <c>Gatehouse:</c>, the library does not know them): <c>Frontend:Enabled</c> (default true) and
/// <c>Frontend:Path</c> (default: the first <c>web/out</c> found next to the content root or above the binaries).
/// </summary>
public static partial class Frontend
{
    private static readonly string[] KeyedPrefixes = ["/account/verify-email/", "/account/password/reset/key/"];
    private const string Placeholder = "_";

    /// <summary>Adds the frontend to the pipeline when its files exist; returns whether it did.</summary>
    public static bool UseGatehouseFrontend(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Gatehouse.Server.Frontend");
        if (!app.Configuration.GetValue("Frontend:Enabled", true))
        {
            return false;
        }
        var root = FindRoot(app.Configuration["Frontend:Path"], app.Environment.ContentRootPath);
        if (root is null)
        {
            Log.NotFound(logger);
            return false;
        }
        Log.Serving(logger, root);
        // The bundled pages are the ones the default Gatehouse:FrontendUrls templates name.
        app.Services.GetRequiredService<Gatehouse.Configuration.GatehouseFrontendPages>().Served = true;

        var files = new PhysicalFileProvider(root);
        app.Use(async (context, next) =>
        {
            var request = context.Request;
            if ((!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
                || context.GetEndpoint() is not null
                || request.Path.StartsWithSegments("/_allauth"))
            {
                await next(context);
                return;
            }
            var resolved = Resolve(request.Path.Value ?? "/", path => files.GetFileInfo(path).Exists);
            if (resolved is not null)
            {
                request.Path = resolved;
                await next(context);
                return;
            }
            var notFound = files.GetFileInfo("/404.html");
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            if (notFound.Exists)
            {
                context.Response.ContentType = "text/html; charset=utf-8";
                context.Response.Headers.CacheControl = "no-cache";
                if (HttpMethods.IsGet(request.Method))
                {
                    await context.Response.SendFileAsync(notFound, context.RequestAborted);
                }
            }
        });

        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            ContentTypeProvider = new FileExtensionContentTypeProvider(),
            OnPrepareResponse = static ctx =>
            {
                var headers = ctx.Context.Response.Headers;
                var path = ctx.Context.Request.Path;
                // Hashed build assets never change; pages and RSC payloads must be revalidated.
                headers.CacheControl = path.StartsWithSegments("/_next/static")
                    ? "public, max-age=31536000, immutable"
                    : "no-cache";
                if (ctx.File.Name.EndsWith(".html", StringComparison.Ordinal))
                {
                    headers.ContentSecurityPolicy = "frame-ancestors 'none'; object-src 'none'; base-uri 'self'; form-action 'self'";
                }
            },
        });
        return true;
    }

    /// <summary>
    /// The file to serve for a request path, or null (404). <paramref name="exists"/> says whether a file
    /// exists at a path relative to the frontend root (e.g. "/account/login.html").
    /// </summary>
    public static string? Resolve(string requestPath, Func<string, bool> exists)
    {
        var path = requestPath;
        if (path.Length > 1 && path.EndsWith('/'))
        {
            path = path.TrimEnd('/');
        }
        if (path is "" or "/")
        {
            return exists("/index.html") ? "/index.html" : null;
        }
        foreach (var prefix in KeyedPrefixes)
        {
            if (path.StartsWith(prefix, StringComparison.Ordinal) && path.Length > prefix.Length)
            {
                // /account/verify-email/<key>[.txt|/<payload>] → the placeholder page's files.
                var rest = path[prefix.Length..];
                var slash = rest.IndexOf('/');
                var key = slash < 0 ? rest : rest[..slash];
                var tail = slash < 0 ? "" : rest[slash..];
                if (slash < 0 && key.EndsWith(".txt", StringComparison.Ordinal))
                {
                    tail = ".txt";
                }
                path = prefix + Placeholder + tail;
                break;
            }
        }
        if (exists(path))
        {
            return path;
        }
        if (exists(path + ".html"))
        {
            return path + ".html";
        }
        return null;
    }

    private static string? FindRoot(string? configured, string contentRoot)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            var full = Path.GetFullPath(configured, contentRoot);
            return File.Exists(Path.Combine(full, "index.html")) ? full : null;
        }
        var candidates = new List<string>
        {
            Path.Combine(contentRoot, "web", "out"),
            Path.Combine(contentRoot, "..", "..", "web", "out"),
        };
        // Above the binaries (src/Gatehouse.Server/bin/<cfg>/<tfm>/ → the repository's web/out).
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            candidates.Add(Path.Combine(dir.FullName, "web", "out"));
        }
        return candidates.Select(Path.GetFullPath).FirstOrDefault(c => File.Exists(Path.Combine(c, "index.html")));
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Serving the web frontend from {Root}")]
        public static partial void Serving(ILogger logger, string root);

        [LoggerMessage(2, LogLevel.Information, "No web frontend found (build it with `npm ci && npm run build` in web/, or set Frontend:Path); serving the API only")]
        public static partial void NotFound(ILogger logger);
    }
}
