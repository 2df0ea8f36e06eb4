import AsyncHTTPClient
import CompressNIO
import Foundation
import NIOCore
import NIOHTTP1

/// A small ClickHouse client over its HTTP interface: statements in, text out; batches of
/// `RowBinary` inserted, gzip-compressed when ClickHouse is on another machine. Works with
/// ClickHouse 18.16 and current versions.
public struct ClickHouseClient: Sendable {
    /// Scheme, host and port, e.g. `http://127.0.0.1:8123`.
    public let baseURL: String
    /// The database queries run in.
    public let database: String
    /// Whether inserts are gzip-compressed. By default they are, unless ClickHouse is on this
    /// machine's loopback interface: there compressing saves no network, and costs CPU on both
    /// sides of the same machine (gzip was 3% of the server's CPU under recommendation load,
    /// with ClickHouse decompressing on the same cores).
    public let compressesInserts: Bool
    /// Settings sent with every statement (a request's own win): the cluster's, see
    /// ``ClickHouseMetricsStore``.
    public var settings: [String: String] = [:]
    private let authorization: String?
    private let http: HTTPClient
    private let timeout: TimeAmount

    /// Parses `http://user:password@host:port/database`; the user and database are optional
    /// (`default`). `compressInserts` overrides the choice by host (see ``compressesInserts``).
    public init(url text: String, http: HTTPClient = .shared, timeout: TimeAmount = .seconds(30), compressInserts: Bool? = nil) throws {
        guard let url = URLComponents(string: text), ["http", "https"].contains(url.scheme ?? ""), let host = url.host, !host.isEmpty else {
            throw StorageError(.invalidLocation, "not a ClickHouse URL: expected http://user:password@host:8123/database")
        }
        baseURL = "\(url.scheme!)://\(host):\(url.port ?? 8123)"
        let path = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        database = path.isEmpty ? "default" : path
        if let user = url.user {
            let credentials = "\(user.removingPercentEncoding ?? user):\(url.password.map { $0.removingPercentEncoding ?? $0 } ?? "")"
            authorization = "Basic " + Data(credentials.utf8).base64EncodedString()
        } else {
            authorization = nil
        }
        self.http = http
        self.timeout = timeout
        compressesInserts = compressInserts ?? !Self.isLoopback(host)
    }

    /// `localhost`, an address in 127.0.0.0/8, or `::1`.
    static func isLoopback(_ host: String) -> Bool {
        let host = host.lowercased()
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// For messages: host, port and database.
    public var location: String { "ClickHouse at \(baseURL.replacingOccurrences(of: "http://", with: "")), database \(database)" }

    /// Runs `sql` and returns the response body as text.
    @discardableResult
    public func execute(_ sql: String, settings: [String: String] = [:]) async throws -> String {
        var body = ByteBuffer()
        body.writeString(sql)
        let response = try await send(body: .bytes(body), query: nil, settings: settings, gzip: false, resendsOnStaleConnection: true)
        return String(buffer: response)
    }

    /// Inserts rows (`RowBinary`, the values of `columns` in that order, `length` bytes in
    /// all) into `table` as `chunks` hands them over: the HTTP client asks for the next chunk
    /// as its socket takes the last, so a large batch is never in memory whole and the work of
    /// making it is spread over the send. Gzipped at the fastest level when
    /// ``compressesInserts``: nearly the default level's ratio for a fraction of its time on
    /// impressions. Fails after `timeout` (the HTTP client keeps retrying a refused connection
    /// until then).
    public func insert<Chunks: AsyncSequence & Sendable>(
        into table: String, columns: [String], rowBinary chunks: Chunks, length: Int, timeout: TimeAmount = .seconds(5)
    ) async throws where Chunks.Element == ByteBuffer {
        let body: HTTPClientRequest.Body = compressesInserts
            ? .stream(GzippedChunks(chunks), length: .unknown) : .stream(chunks, length: .known(Int64(length)))
        try await send(body: body, query: "INSERT INTO \(table) (\(columns.joined(separator: ", "))) FORMAT RowBinary",
                       settings: [:], gzip: compressesInserts, timeout: timeout)
    }

    /// Whether the server answers `/ping`.
    public func ping() async -> Bool {
        var request = HTTPClientRequest(url: "\(baseURL)/ping")
        request.method = .GET
        guard let response = try? await http.execute(request, timeout: .seconds(2)) else { return false }
        return response.status == .ok
    }

    @discardableResult
    private func send(
        body: HTTPClientRequest.Body, query: String?, settings: [String: String], gzip: Bool, timeout: TimeAmount? = nil,
        resendsOnStaleConnection: Bool = false
    ) async throws -> ByteBuffer {
        var components = URLComponents()
        components.queryItems = [URLQueryItem(name: "database", value: database)]
            + (query.map { [URLQueryItem(name: "query", value: $0)] } ?? [])
            + self.settings.merging(settings) { _, own in own }.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
        var request = HTTPClientRequest(url: baseURL + "/" + (components.url?.absoluteString ?? ""))
        request.method = .POST
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        if gzip { request.headers.add(name: "Content-Encoding", value: "gzip") }
        request.body = body
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: timeout ?? self.timeout)
        } catch where resendsOnStaleConnection && Self.isStaleConnection(error) {
            // A kept-alive connection the server closed (it restarted) fails the first request
            // sent on it, before the server saw it: a body held in memory is sent again, once,
            // on a new connection. A streamed insert is not: the event writer retries it whole.
            do {
                response = try await http.execute(request, timeout: timeout ?? self.timeout)
            } catch {
                throw StorageError(.unreachable, "cannot reach \(location): \(Self.describe(error))")
            }
        } catch {
            throw StorageError(.unreachable, "cannot reach \(location): \(Self.describe(error))")
        }
        let data = try await response.body.collect(upTo: 256 * 1_024 * 1_024)
        guard response.status == .ok else {
            let text = String(buffer: data).split(separator: "\n").first.map(String.init) ?? "HTTP \(response.status.code)"
            throw StorageError(Self.code(status: response.status, text: text), "\(location): \(text)")
        }
        return data
    }

    /// What a refused statement means. An error by which ClickHouse says it could not reach a
    /// server it needed (another shard or replica of its cluster, or ZooKeeper) is
    /// ``StorageError/Code/unreachable``, as when Armory cannot reach ClickHouse itself: clients
    /// are told to retry, and the event writer spools.
    package static func code(status: HTTPResponseStatus, text: String) -> StorageError.Code {
        if [.unauthorized, .forbidden].contains(status) { return .authenticationFailed }
        // ClickHouse's error codes: 32 ATTEMPT_TO_READ_AFTER_EOF (a server that went away while
        // answering), 209 SOCKET_TIMEOUT, 210 NETWORK_ERROR, 225 NO_ZOOKEEPER, 242
        // TABLE_IS_READ_ONLY (a replica without ZooKeeper), 279 ALL_CONNECTION_TRIES_FAILED,
        // 369 ALL_REPLICAS_ARE_STALE, 999 KEEPER_EXCEPTION. The text starts "Code: 279, " (18.16)
        // or "Code: 279. " (21 and later).
        let unreachable: Set<Int> = [32, 209, 210, 225, 242, 279, 369, 999]
        guard text.hasPrefix("Code: ") else { return .failed }
        let number = Int(text.dropFirst(6).prefix { $0.isNumber })
        return number.map(unreachable.contains) == true ? .unreachable : .failed
    }

    /// Whether `error` is a pooled connection found closed when a request was written to it.
    static func isStaleConnection(_ error: any Error) -> Bool {
        if let channel = error as? ChannelError, channel == .ioOnClosedChannel { return true }
        if let client = error as? HTTPClientError, client == .remoteConnectionClosed { return true }
        return false
    }

    private static func describe(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("connectTimeout") || text.contains("deadlineExceeded") { return "timed out" }
        if text.contains("Connection refused") || text.contains("connectionRefused") { return "connection refused" }
        return text
    }
}

/// One gzip stream of `base`'s chunks, compressed at the fastest level a chunk at a time as
/// they are asked for. Never hands over an empty chunk (in a chunked HTTP body, that would end
/// it): while zlib holds what it was given, the next chunk is compressed too.
package struct GzippedChunks<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    let base: Base

    package init(_ base: Base) {
        self.base = base
    }

    package func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator())
    }

    package struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        var compressor: ZlibCompressor?
        var finished = false

        package mutating func next() async throws -> ByteBuffer? {
            guard !finished else { return nil }
            let compressor = try compressor ?? ZlibCompressor(algorithm: .gzip, configuration: .init(compressionLevel: .fastestCompression))
            self.compressor = compressor
            var output = ByteBuffer()
            while var chunk = try await base.next() {
                // A call may also write what zlib held from earlier chunks, so it may stop for
                // room before it has taken the whole chunk: then again, with more room.
                while chunk.readableBytes > 0 {
                    output.reserveCapacity(minimumWritableBytes: compressor.maxSize(from: chunk) + 64 * 1_024)
                    try compressor.deflate(from: &chunk, to: &output, flush: .no)
                }
                if output.readableBytes > 0 { return output }
            }
            // The end: what zlib still holds, and the gzip trailer, in as many rounds as it takes.
            finished = true
            var nothing = ByteBuffer()
            nothing.reserveCapacity(1)
            while true {
                output.reserveCapacity(minimumWritableBytes: 64 * 1_024)
                do {
                    try compressor.deflate(from: &nothing, to: &output, flush: .finish)
                    return output
                } catch let error as CompressNIOError where error == .bufferOverflow {
                    continue
                }
            }
        }
    }
}
