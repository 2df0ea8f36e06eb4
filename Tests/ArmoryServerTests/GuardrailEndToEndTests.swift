import ArmoryCore
import ArmoryServer
import ArmoryStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

/// The whole safety loop on a running server: a module that starts failing half its calls is
/// dropped by its guardrail within two update cycles, the audit log holds the evidence, and a
/// webhook receiver (a real HTTP server in the test) gets the breach, signed.
@Suite("Guardrails end to end: a failing arm dropped, audited and announced", .serialized)
struct GuardrailEndToEndTests {
    static let webhookSecret = "test-webhook-secret-0123"

    /// Fails every call for a user whose id ends in an odd digit once the file `flag` exists:
    /// half the calls, from a moment the test chooses.
    static func buildHalfBrokenModule() throws -> URL {
        let directory = try SharedLibraryBuilder.temporaryDirectory("half-broken-module")
        try SharedLibraryBuilder.swift("""
            import ArmoryKit
            import Foundation
            struct HalfBroken: RecommendationAlgorithm {
                static let descriptor = AlgorithmDescriptor(name: "half-broken", version: "1.0.0", summary: "breaks on purpose",
                                                            parameters: [ParameterSpec(name: "flag", type: .string)])
                let flag: String
                init(parameters: Parameters) throws { flag = try parameters.string("flag") }
                func recommend(_ request: RecommendationRequest, data: any DataSource) async throws -> [ScoredItem] {
                    if FileManager.default.fileExists(atPath: flag), let last = request.userID.last?.wholeNumberValue, last % 2 == 1 {
                        throw AlgorithmError("broken for \\(request.userID)")
                    }
                    return try await data.filled([], to: request.limit, excluding: request.exclusions)
                }
            }
            @_cdecl("armory_module_entry")
            public func entry(hostABIVersion: UInt32, registrar: UnsafeMutableRawPointer) -> UInt32 {
                ArmoryModule.export([HalfBroken.self], hostABIVersion: hostABIVersion, registrar: registrar)
            }
            """, module: "HalfBroken", named: "libHalfBroken.so", in: directory, buildDirectory: BuiltModules.directory)
        return directory
    }

    static func experiment(flag: String) -> String {
        """
        id: guarded
        objective: ctr
        policy: thompson
        fallback: steady
        time_budget: 5s
        arms:
          - { name: steady, algorithm: popularity, weight: 0.5 }
          - { name: shaky, algorithm: half-broken, params: { flag: "\(flag)" }, weight: 0.5 }
        bandit:
          update_every: 1s
          burn_in: { min_trials_per_arm: 100000, min_duration: 1s }
        guardrails:
          - { metric: error_rate, tolerance: 0.05, action: drop_arm, min_trials: 60 }
        """
    }

    /// A webhook receiver: every request's headers and body, on a port of its own.
    final class Receiver: Sendable {
        let received = Mutex<[(headers: HTTPFields, body: Data)]>([])

        func run(port: @escaping @Sendable (Int) -> Void) async throws {
            let router = Router()
            router.post("/hook") { request, _ -> HTTPResponse.Status in
                let body = try await request.body.collect(upTo: 1 << 20)
                self.received.withLock { $0.append((request.headers, Data(buffer: body))) }
                return .ok
            }
            let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                                  onServerRunning: { channel in port(channel.localAddress?.port ?? 0) },
                                  logger: Logger(label: "receiver") { _ in SwiftLogNoOpLogHandler() })
            try await app.run()
        }

        /// The notices received so far whose signature checks out with `secret`.
        func signedNotices(secret: String) -> [[String: Any]] {
            received.withLock { $0 }.compactMap { request in
                guard let timestamp = request.headers[HTTPField.Name("X-Armory-Timestamp")!],
                      request.headers[HTTPField.Name("X-Armory-Signature")!]
                      == "sha256=" + Webhook.signature(of: request.body, timestamp: timestamp, secret: secret) else { return nil }
                return try? JSONSerialization.jsonObject(with: request.body) as? [String: Any]
            }
        }
    }

    @Test("an arm whose module starts failing half its calls is dropped within two update cycles, with evidence, and the webhook hears of it")
    func failingArmDropped() async throws {
        let modules = try Self.buildHalfBrokenModule()
        defer { try? FileManager.default.removeItem(at: modules) }
        let flag = modules.appendingPathComponent("broken").path
        let folder = try TestServer.makeFolder(["guarded.yaml": Self.experiment(flag: flag)])
        defer { try? FileManager.default.removeItem(at: folder) }
        let receiver = Receiver()
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await receiver.run { portSink.yield($0) } }
            defer { group.cancelAll() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            var configuration = TestServer.configuration(in: folder)
            configuration.moduleDirectories = [modules.path]
            var webhook = Webhook.Configuration(url: "http://127.0.0.1:\(port)/hook", secret: Self.webhookSecret)
            webhook.firstRetryDelay = .milliseconds(100)
            configuration.webhook = webhook
            try await TestServer.run(configuration, over: .live) { client, armory in
                try await Self.check(client, armory, flag: flag, receiver: receiver)
            }
        }
    }

    static func check(_ client: any TestClientProtocol, _ armory: ArmoryApplication, flag: String, receiver: Receiver) async throws {
        let live = try #require(armory.registry.experiment("guarded"))
        // Where each counted decision went, by the server's answer: once the guardrail drops the
        // arm, users the first weights placed in it are served by the other.
        var counted: [String: [String]] = [:]
        func serve(_ count: Int, placedIn arm: String, from start: Int) async throws -> Int {
            var index = start
            var asked = 0
            while asked < count {
                let user = "u-\(index)"
                index += 1
                guard live.place(user).arm == arm, live.place(user).isCounted else { continue }
                let answer = try await client.recommend(user, in: "guarded")
                if answer.inExperiment { counted[answer.arm, default: []].append(user) }
                asked += 1
            }
            return index
        }
        func results() async throws -> ExperimentResults { try await client.get("/v1/experiments/guarded/results", as: ExperimentResults.self) }
        func stored() -> [Int] { ["steady", "shaky"].map { counted[$0]?.count ?? 0 } }
        // Healthy first: both arms past the guardrail's minimum, no harm.
        var next = try await serve(80, placedIn: "steady", from: 0)
        next = try await serve(80, placedIn: "shaky", from: next)
        var healthy = try await results()
        for _ in 0..<100 where healthy.arms.map(\.trials) != stored() {
            try await Task.sleep(for: .milliseconds(100))
            healthy = try await results()
        }
        #expect(healthy.guardrails.map(\.state) == [.ok], "\(healthy.guardrails)")

        // The module starts failing half its calls.
        let healthyShaky = counted["shaky"]?.count ?? 0
        FileManager.default.createFile(atPath: flag, contents: Data())
        next = try await serve(200, placedIn: "shaky", from: next)
        let failing = (counted["shaky"] ?? []).dropFirst(healthyShaky).filter { ($0.last?.wholeNumberValue ?? 0) % 2 == 1 }.count
        _ = try await serve(120, placedIn: "steady", from: next)
        var visible = try await results()
        for _ in 0..<300 where visible.arms.map(\.trials) != stored() && !visible.arms[1].isDropped {
            try await Task.sleep(for: .milliseconds(100))
            visible = try await results()
        }
        let cyclesWhenVisible = updaterCycles(armory)
        var dropped = try await results()
        for _ in 0..<300 where !dropped.arms[1].isDropped {
            try await Task.sleep(for: .milliseconds(100))
            dropped = try await results()
        }
        #expect(dropped.arms[1].isDropped && dropped.arms[1].weight == 0 && dropped.arms[0].weight == 1)
        #expect(updaterCycles(armory) - cyclesWhenVisible <= 2, "dropped within two update cycles of the failures being stored")
        // The drop may come before the last impressions are stored; once they all are:
        for _ in 0..<300 where dropped.arms.map(\.trials) != stored() {
            try await Task.sleep(for: .milliseconds(100))
            dropped = try await results()
        }
        #expect(dropped.arms.map(\.trials) == stored())
        // Every call for a user ending in an odd digit failed, and only those: as errors, or as
        // timeouts when a loaded machine did not start the call within the budget.
        let shaky = dropped.arms[1]
        #expect(failing > 20 && shaky.errors <= failing && shaky.errors + shaky.timeouts >= failing,
                "\(shaky.errors) errors, \(shaky.timeouts) timeouts, \(failing) failing")

        let audit = try await client.get("/v1/experiments/guarded/audit", as: AuditLog.self)
        let entry = try #require(audit.entries.first { $0.action == "guardrail" })
        let evidence = try APIJSON.responseDecoder.decode(GuardrailResult.self, from: Data(entry.detail.utf8))
        #expect(evidence.arm == "shaky" && evidence.metric == .errorRate && evidence.state == .breached && evidence.action == .dropArm)
        #expect((evidence.evidence?.intervalLow ?? 0) > 0.05 && (evidence.evidence?.armTrials ?? 0) >= 60)

        var notices = receiver.signedNotices(secret: webhookSecret)
        for _ in 0..<100 where !(notices.contains { $0["type"] as? String == "guardrail.breached" }
                                 && notices.contains { $0["type"] as? String == "weights.changed" }) {
            try await Task.sleep(for: .milliseconds(100))
            notices = receiver.signedNotices(secret: webhookSecret)
        }
        let breach = try #require(notices.first { $0["type"] as? String == "guardrail.breached" })
        #expect(breach["experiment"] as? String == "guarded" && (breach["guardrail"] as? [String: Any])?["arm"] as? String == "shaky")
        #expect(notices.contains { $0["type"] as? String == "weights.changed" && ($0["weights"] as? [String: Any])?["reason"] as? String == "guardrail" })
        #expect(receiver.received.withLock { $0.count } == notices.count, "every notice is signed with the secret")
    }

    static func updaterCycles(_ armory: ArmoryApplication) -> Int {
        let text = armory.metrics.render(writer: nil, failures: ArmFailureCounts())
        let line = text.split(separator: "\n").first { $0.hasPrefix(#"armory_updater_runs_total{outcome="ok"}"#) }
        return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
    }
}
