/// What one client may hold of the server: production HTTP servers bound each of these, so a
/// slow or idle client (a trickled header, a stalled body, a keep-alive left open) cannot keep a
/// connection, or all of them, forever. README, "Limits and guarantees".
public struct HTTPLimits: Sendable, Hashable {
    /// A connection with no request part arriving for this long is closed: headers trickled a
    /// byte at a time, or an idle keep-alive.
    public var idleTimeout: Duration = .seconds(30)
    /// A request body must arrive whole within this long of its head; past it, 408 and the
    /// connection is closed.
    public var bodyTimeout: Duration = .seconds(10)
    /// The largest request body any route takes (the events route's); a body declared larger is
    /// answered 413 without being read, and the connection closed. Routes refuse less.
    public var maximumBodyBytes = 4 << 20
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
