import Testing

/// Every suite that needs the ClickHouse server, run one test at a time: the outage test
/// stops the server, which would fail anything else using it meanwhile.
@Suite("ClickHouse", .serialized)
enum UsesClickHouse {}
