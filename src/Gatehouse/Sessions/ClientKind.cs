namespace Gatehouse.Sessions;

/// <summary>The two clients of the headless API; one route table serves both.</summary>
public enum ClientKind { Browser, App }

/// <summary>Endpoint metadata telling which client a route group serves.</summary>
public sealed record ClientKindMetadata(ClientKind Kind);

public static class ClientKindExtensions
{
    public static string Wire(this ClientKind kind) => kind == ClientKind.App ? "app" : "browser";
}
