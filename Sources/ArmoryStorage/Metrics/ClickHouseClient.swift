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
        let response = try await send(body: body, query: nil, settings: settings, gzip: false)
        return String(buffer: response)
    }

    /// Inserts `rows` (`RowBinary`, the values of `columns` in that order) into `table`,
    /// compressed with gzip at its fastest level when ``compressesInserts`` (on 10,000
    /// impressions: a third of the default level's time, 32% of the bytes instead of 30%),
    /// failing after `timeout` (the HTTP client keeps retrying a refused connection until then).
    public func insert(into table: String, columns: [String], rowBinary rows: ByteBuffer, timeout: TimeAmount = .seconds(5)) async throws {
        let body = compressesInserts ? try await Self.gzip(rows) : rows
        try await send(body: body, query: "INSERT INTO \(table) (\(columns.joined(separator: ", "))) FORMAT RowBinary",
                       settings: [:], gzip: compressesInserts, timeout: timeout)
    }

    /// How many rows an insert encodes, or how many bytes it compresses, between two
    /// `Task.yield()`s: a batch takes milliseconds on a cooperative thread that requests are
    /// waiting for.
    package static let yieldEvery = 1_000
    package static let gzipSlice = 256 * 1_024

    /// `rows` gzipped at the fastest level, a slice at a time, yielding between slices. The
    /// output has room for zlib's bound on the whole input, which holds for a stream of
    /// no-flush calls and a finishing one, so each call takes all of its slice.
    package static func gzip(_ rows: ByteBuffer) async throws -> ByteBuffer {
        let compressor = try ZlibCompressor(algorithm: .gzip, configuration: .init(compressionLevel: .fastestCompression))
        var input = rows
        var output = ByteBuffer()
        output.reserveCapacity(compressor.maxSize(from: input))
        while input.readableBytes > gzipSlice {
            var slice = input.readSlice(length: gzipSlice)!
            try compressor.deflate(from: &slice, to: &output, flush: .no)
            guard slice.readableBytes == 0 else { throw StorageError(.failed, "gzip left part of an insert uncompressed") }
            await Task.yield()
        }
        try compressor.deflate(from: &input, to: &output, flush: .finish)
        return output
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
        body: ByteBuffer, query: String?, settings: [String: String], gzip: Bool, timeout: TimeAmount? = nil
    ) async throws -> ByteBuffer {
        var components = URLComponents()
        components.queryItems = [URLQueryItem(name: "database", value: database)]
            + (query.map { [URLQueryItem(name: "query", value: $0)] } ?? [])
            + settings.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
        var request = HTTPClientRequest(url: baseURL + "/" + (components.url?.absoluteString ?? ""))
        request.method = .POST
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        if gzip { request.headers.add(name: "Content-Encoding", value: "gzip") }
        request.body = .bytes(body)
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: timeout ?? self.timeout)
        } catch {
            throw StorageError(.unreachable, "cannot reach \(location): \(Self.describe(error))")
        }
        let data = try await response.body.collect(upTo: 256 * 1_024 * 1_024)
        guard response.status == .ok else {
            let text = String(buffer: data).split(separator: "\n").first.map(String.init) ?? "HTTP \(response.status.code)"
            let code: StorageError.Code = [.unauthorized, .forbidden].contains(response.status) ? .authenticationFailed : .failed
            throw StorageError(code, "\(location): \(text)")
        }
        return data
    }

    private static func describe(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("connectTimeout") || text.contains("deadlineExceeded") { return "timed out" }
        if text.contains("Connection refused") || text.contains("connectionRefused") { return "connection refused" }
        return text
    }
}
