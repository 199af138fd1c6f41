using System.Text.RegularExpressions;

namespace DmpApi.Hosting;

/// <summary>
/// Every answer carries X-Request-Id, the id under which the server logged the request and the audit trail recorded it
/// (HttpContext.TraceIdentifier). A client's or proxy's own id is kept when it is a short token, so that one id follows a
/// request through the fleet; anything else is replaced, never echoed.
/// </summary>
public sealed partial class RequestIdMiddleware(RequestDelegate next)
{
    public const string Header = "X-Request-Id";

    public Task InvokeAsync(HttpContext context)
    {
        if (context.Request.Headers[Header] is [{ } given] && SafeId().IsMatch(given))
        {
            context.TraceIdentifier = given;
        }

        // OnStarting, not now: the exception handler clears the headers of a failed answer before writing its own.
        context.Response.OnStarting(static state =>
        {
            var http = (HttpContext)state;
            http.Response.Headers[Header] = http.TraceIdentifier;
            return Task.CompletedTask;
        }, context);
        return next(context);
    }

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,64}$")]
    private static partial Regex SafeId();
}
