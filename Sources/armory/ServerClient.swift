import ArgumentParser
import ArmoryServer
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Where a running server is, and how to talk to it: for the commands that use the HTTP API.
struct ServerConnectionOptions: ParsableArguments {
    @Option(help: "The server's URL (default $ARMORY_URL or http://127.0.0.1:8080).")
    var url: String?

    @Option(name: .customLong("data-dir"), help: "Where to find the admin token when ARMORY_ADMIN_TOKEN is unset (the server's --data-dir).")
    var dataDirectory = ".armory"

    var client: ServerClient {
        let environment = ProcessInfo.processInfo.environment
        let base = url ?? environment["ARMORY_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "http://127.0.0.1:8080"
        let file = (dataDirectory as NSString).appendingPathComponent("admin-token")
        var token: (value: String, source: String)?
        if let value = environment["ARMORY_ADMIN_TOKEN"], !value.isEmpty {
            token = (value, "ARMORY_ADMIN_TOKEN")
        } else if let value = try? String(contentsOfFile: file, encoding: .utf8) {
            token = (value.trimmingCharacters(in: .whitespacesAndNewlines), file)
        }
        return ServerClient(baseURL: base.hasSuffix("/") ? String(base.dropLast()) : base, adminToken: token?.value, tokenSource: token?.source)
    }
}

/// A small client of Armory's HTTP API. Errors come back as ``Failure`` with the server's
/// message, ready to print.
struct ServerClient: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        /// Whether the server answered 503 (try again later).
        var isUnavailable = false
    }

    let baseURL: String
    let adminToken: String?
    /// Where `adminToken` came from, for the message when the server refuses it.
    var tokenSource: String?

    /// The process's client: a server that is not there is reported after 3 s (not retried
    /// until the request's deadline), and enough connections for `demo traffic`'s concurrency.
    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(3)
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 256
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// GETs `path` and returns the body; a 4xx/5xx throws the server's error message.
    func get(_ path: String) async throws -> Data {
        try await send(.GET, path, body: nil)
    }

    /// POSTs `body` (JSON) to `path` with the admin token.
    func post(_ path: String, json body: [String: Any]) async throws -> Data {
        guard let adminToken, !adminToken.isEmpty else {
            throw Failure(description: "this needs the admin token: set ARMORY_ADMIN_TOKEN (or run from the server's folder, "
                + "where .armory/admin-token holds it, or pass --data-dir)")
        }
        return try await send(.POST, path, body: try JSONSerialization.data(withJSONObject: body), token: adminToken)
    }

    /// POSTs `body` (JSON bytes) to `path` without the admin token (events).
    func post(_ path: String, body: Data) async throws -> Data {
        try await send(.POST, path, body: body)
    }

    private func send(_ method: HTTPMethod, _ path: String, body: Data?, token: String? = nil) async throws -> Data {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response: HTTPClientResponse
        do {
            response = try await Self.http.execute(request, timeout: .seconds(30))
        } catch {
            throw Failure(description: "cannot reach Armory at \(baseURL): \(Self.connectionProblem(error)). Is `armory serve` running there? "
                + "(--url or ARMORY_URL names another server)")
        }
        let data = Data(buffer: try await response.body.collect(upTo: 64 << 20))
        guard response.status.code < 400 else {
            var detail = (try? JSONDecoder().decode(APIError.Body.self, from: data)).map { "\($0.error.message) (\($0.error.code))" }
                ?? "the server answered \(response.status.code) \(response.status.reasonPhrase)"
            if response.status.code == 401, token != nil {
                detail += ". The token sent came from \(tokenSource ?? "?"); a server started without ARMORY_ADMIN_TOKEN keeps its own in "
                    + "admin-token in its data folder (.armory/ where it was started, or its --data-dir): run from there, pass --data-dir, "
                    + "or set ARMORY_ADMIN_TOKEN to the server's token"
            }
            throw Failure(description: detail, isUnavailable: response.status.code == 503)
        }
        return data
    }

    /// The gist of a failed connection, without the nested descriptions of NIO's errors.
    static func connectionProblem(_ error: any Error) -> String {
        let text = "\(error)"
        for (needle, gist) in [("refused", "connection refused"), ("timed out", "no answer in time"), ("Timeout", "no answer in time"),
                               ("resolve", "the host name does not resolve"), ("No route", "no route to the host")] where text.contains(needle) {
            return gist
        }
        return String(describing: type(of: error))
    }
}

/// Runs `body`, printing a ``ServerClient/Failure`` as `error: …` with exit status 1.
func reportingFailures(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let failure as ServerClient.Failure {
        printError("error: \(failure.description)")
        throw ExitCode(1)
    }
}

/// Prints JSON from the server, pretty.
func printPrettyJSON(_ data: Data) throws {
    let object = try JSONSerialization.jsonObject(with: data)
    let pretty = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: pretty, as: UTF8.self))
}
