import ArmoryCore
import ArmoryServer
import ArmoryStorage
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging

/// Runs a whole Armory (every service; in process, or on a real HTTP listener on a free port) for a test, in a
/// folder of its own with the experiment files given.
enum TestServer {
    static let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    static let adminToken = "test-admin-token-0123456789"

    /// A fast Thompson duel: updates every second, a short burn-in.
    static let duel = duel(id: "duel", minTrialsPerArm: 30)

    /// Popularity against personal history, updating every second after `minTrialsPerArm` trials.
    static func duel(id: String, minTrialsPerArm: Int, objective: String = "ctr") -> String {
        """
        id: \(id)
        objective: \(objective)
        policy: thompson
        fallback: popular
        arms:
          - { name: popular, algorithm: popularity, weight: 0.5 }
          - { name: personal, algorithm: history, weight: 0.5 }
        bandit:
          update_every: 1s
          burn_in: { min_trials_per_arm: \(minTrialsPerArm), min_duration: 1s }
          min_weight: 0.05
        """
    }

    /// A fixed split with half the users held out.
    static let rail = """
        id: rail
        description: a fixed split with half the users held out
        objective: ctr
        coverage: 0.5
        fallback: control
        arms:
          - { name: control, algorithm: popularity, weight: 0.5 }
          - { name: personal, algorithm: history, params: { like_boost: 2.0 }, weight: 0.5 }
        """

    /// A new folder with `files` (name → YAML) in its `experiments/`.
    static func makeFolder(_ files: [String: String]) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("armory-server-\(UUID().uuidString)")
        let experiments = folder.appendingPathComponent("experiments")
        try FileManager.default.createDirectory(at: experiments, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(to: experiments.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return folder
    }

    /// The embedded configuration in `folder`, with a small demo catalog.
    static func configuration(in folder: URL) -> ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.experimentsDirectory = folder.appendingPathComponent("experiments").path
        configuration.dataDirectory = folder.appendingPathComponent(".armory").path
        configuration.adminToken = adminToken
        configuration.demoCatalog = .init(movies: 400, users: 300)
        configuration.refreshInterval = .milliseconds(200)
        configuration.updaterInterval = .milliseconds(200)
        configuration.flushInterval = .milliseconds(10)
        configuration.queuedEventDelay = .milliseconds(100)
        // Module calls on module threads: the cooperative threads of this test process are
        // often busy for seconds with other suites' CPU-bound work, which would delay a module
        // resumed there past its budget. Where calls run is ModuleIsolationTests' subject.
        configuration.inlineModuleCalls = 0
        return configuration
    }

    /// The embedded configuration in `folder` for a test of parameters and errors: no demo
    /// catalog to seed, since nothing is recommended from it.
    static func parameterConfiguration(in folder: URL) -> ServerConfiguration {
        var configuration = configuration(in: folder)
        configuration.demoCatalog = nil
        return configuration
    }

    /// Runs Armory with `configuration` and hands `body` a client of it: in process through the
    /// router (`.router`, the default), or over a real HTTP listener (`.live`) for what only a
    /// connection shows (limits, malformed requests, the connection cap).
    static func run<T: Sendable>(
        _ configuration: ServerConfiguration, over setup: TestingSetup = .router,
        _ body: @escaping @Sendable (any TestClientProtocol, ArmoryApplication) async throws -> T
    ) async throws -> T {
        let armory = try await ArmoryApplication.make(configuration: configuration, logger: quiet)
        return try await armory.makeHTTPApplication().test(setup) { client in try await body(client, armory) }
    }
}

extension TestClientProtocol {
    /// GETs `uri` and decodes its JSON answer as the CLI does, or fails with the status and body.
    func get<T: Decodable>(_ uri: String, as type: T.Type) async throws -> T {
        let response = try await execute(uri: uri, method: .get)
        guard response.status == .ok else { throw TestFailure("GET \(uri): \(response.status.code) \(String(buffer: response.body))") }
        return try APIJSON.responseDecoder.decode(T.self, from: Data(buffer: response.body))
    }

    /// `POST /v1/events` with `events` as a batch.
    func post(events: [EventInput]) async throws -> TestResponse {
        try await execute(uri: "/v1/events", method: .post, headers: [.contentType: "application/json"],
                          body: ByteBuffer(bytes: try JSONEncoder().encode(events)))
    }

    /// `GET /v1/recommendations` for `user` in `experiment`.
    func recommend(_ user: String, in experiment: String, limit: Int? = nil) async throws -> RecommendationService.Recommendations {
        try await get("/v1/recommendations?user_id=\(user)&experiment=\(experiment)" + (limit.map { "&limit=\($0)" } ?? ""),
                      as: RecommendationService.Recommendations.self)
    }
}

extension TestClientProtocol {
    /// POSTs a JSON object, with the admin token unless `token` says otherwise.
    func post(_ uri: String, _ body: [String: Any], token: String? = TestServer.adminToken) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await execute(uri: uri, method: .post, headers: headers,
                                 body: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
    }

    /// POSTs raw bytes.
    func post(_ uri: String, raw: String) async throws -> TestResponse {
        try await execute(uri: uri, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: raw))
    }
}

extension TestResponse {
    /// The body decoded as the CLI decodes the API's answers.
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try APIJSON.responseDecoder.decode(T.self, from: Data(buffer: body))
    }

    /// The `error.code` of an error body.
    var errorCode: String? {
        (try? decode(APIError.Body.self))?.error.code
    }

    /// The `error.message` of an error body.
    var errorMessage: String? {
        (try? decode(APIError.Body.self))?.error.message
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
