using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MimeKit;
using SmtpServer;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace DmpApi.Tests.Infrastructure;

/// <summary>
/// A real SMTP server on 127.0.0.1 for one test (the SmtpServer package, in process): the sender talks SMTP to it over
/// TCP as to any mail server. A message counts as received when the server answered 250 to its DATA. The test can make
/// it hold the next DATA (to stop the sender mid-delivery) or refuse the next messages with a given reply code.
/// </summary>
public sealed class TestSmtpServer : IAsyncDisposable
{
    private readonly SmtpServer.SmtpServer _server;
    private readonly Task _running;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<MimeMessage> _received = new();
    private readonly ConcurrentQueue<SmtpReplyCode> _refusals = new();
    private TaskCompletionSource? _holding;
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private TestSmtpServer(int port)
    {
        Port = port;
        var options = new SmtpServerOptionsBuilder()
            .ServerName("smtp.test")
            .Endpoint(e => e.Endpoint(new IPEndPoint(IPAddress.Loopback, port)))
            .Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(new Store(this));
        _server = new SmtpServer.SmtpServer(options, services);
        _running = _server.StartAsync(_stop.Token);
    }

    public int Port { get; }

    /// <summary>Messages the server accepted (250), in arrival order.</summary>
    public IReadOnlyList<MimeMessage> Received => _received.ToList();

    public static TestSmtpServer Start()
    {
        // A free loopback port: the system picks one, released just before the server binds it.
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return new TestSmtpServer(port);
    }

    /// <summary>The settings that point an application's sender at this server.</summary>
    public Dictionary<string, string?> Settings() => new()
    {
        ["Notifications:Smtp:Host"] = "127.0.0.1",
        ["Notifications:Smtp:Port"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Notifications:Smtp:From"] = "Mon espace santé <ne-pas-repondre@dmp.test>",
        ["Notifications:Smtp:Security"] = "None",
        ["Notifications:Smtp:Timeout"] = "00:00:20",
    };

    /// <summary>The next DATA is held, unanswered, until <see cref="Release"/>; the task completes once it is being held.</summary>
    public Task HoldNextAsync()
    {
        _holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _holding.Task;
    }

    /// <summary>Ends the hold: the held message is answered 451 and not received (its sender is gone by then).</summary>
    public void Release() => _release.TrySetResult();

    /// <summary>The next messages are answered with these codes, one each (e.g. 451: try later; 550: refused for good).</summary>
    public void Refuse(params SmtpReplyCode[] codes)
    {
        foreach (var code in codes)
        {
            _refusals.Enqueue(code);
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> messages were received, or the timeout.</summary>
    public async Task<IReadOnlyList<MimeMessage>> WaitForAsync(int count, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (_received.Count < count && DateTime.UtcNow < until)
        {
            await Task.Delay(50);
        }

        return Received;
    }

    public async ValueTask DisposeAsync()
    {
        Release();
        _server.Shutdown();
        await _stop.CancelAsync();
        try
        {
            await _running.WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
            // Stopped, or a dropped session still closing: the port is not reused.
        }

        _stop.Dispose();
    }

    private sealed class Store(TestSmtpServer server) : MessageStore
    {
        public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            if (Interlocked.Exchange(ref server._holding, null) is { } holding)
            {
                holding.TrySetResult();
                await server._release.Task;
                return new SmtpResponse((SmtpReplyCode)451, "held by the test, then dropped");
            }

            if (server._refusals.TryDequeue(out var code))
            {
                return new SmtpResponse(code, $"refused by the test ({(int)code})");
            }

            await using var stream = new MemoryStream(buffer.ToArray());
            server._received.Enqueue(await MimeMessage.LoadAsync(stream, cancellationToken));
            return SmtpResponse.Ok;
        }
    }
}
