/// What one client may hold of the server: production HTTP servers bound each of these, so a
/// slow or idle client (a trickled header, a stalled body, a keep-alive left open) cannot keep a
/// connection, or all of them, forever. README, "Limits and guarantees".
public struct HTTPLimits: Sendable, Hashable {
    /// A connection with no request part arriving for this long is closed: headers trickled a
    /// byte at a time, a body that stalled, or an idle keep-alive. (No 408 is written: the
    /// answer would race the close in Hummingbird's connection handler.)
    public var idleTimeout: Duration = .seconds(30)
    /// The most connections served at once (`ARMORY_MAX_CONNECTIONS`); more wait in the listen
    /// backlog until one closes.
    public var maximumConnections = 4_096
    /// The largest request head (request line and headers); more is a 400.
    public var maximumHeadBytes = 64 << 10
    /// The most header fields in a request.
    public var maximumHeaderFields = 100

    /// The defaults.
    public init() {}
}
