import ArmoryCore
import ArmoryStorage
import Foundation

extension ServerConfiguration {
    /// The environment variables read, with what each sets.
    public static let environmentVariables: [(name: String, meaning: String)] = [
        ("ARMORY_HOST", "the address to listen on (127.0.0.1)"),
        ("ARMORY_PORT", "the port to listen on (8080)"),
        ("ARMORY_MAX_CONNECTIONS", "the most HTTP connections served at once; more wait until one closes (4096)"),
        ("ARMORY_DATABASE_URL", "the state store: postgres://user:password@host:port/database (a SQLite file in .armory)"),
        ("ARMORY_CLICKHOUSE_URL", "the metrics store: http://user:password@host:8123/database (a SQLite file in .armory)"),
        ("ARMORY_CLICKHOUSE_CLUSTER", "the cluster (in the servers' <remote_servers>) to make the metrics tables across, replicated and Distributed (none: one server)"),
        ("ARMORY_REDIS_URL", "Redis for the hot-movies list: redis://:password@host:6379 (none: popular lists from the state store)"),
        ("ARMORY_ARTIFACTS_URL", "trained models' artifacts: s3://bucket/prefix, with AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (a folder in .armory)"),
        ("ARMORY_REDIS_PREFIX", "the prefix of Armory's keys in Redis, for installations sharing one (armory:hot)"),
        ("ARMORY_ADMIN_TOKEN", "the bearer token for admin requests (generated into .armory/admin-token)"),
        ("ARMORY_DECISION_SECRET", "the secret decision ids are signed with; share it between replicas (generated into .armory/decision-secret)"),
        ("ARMORY_WEBHOOK_URL", "where guardrail breaches and weight changes are POSTed as JSON: http(s)://host/path (none)"),
        ("ARMORY_WEBHOOK_SECRET", "the key of the webhook's X-Armory-Signature (HMAC-SHA256); required with ARMORY_WEBHOOK_URL"),
        ("ARMORY_PAGE_FRESHNESS", "how long a results page's reads serve further loads while the experiment is unchanged, e.g. 10s; 0 reads every load (10s)"),
    ] + KafkaSettings.environmentVariables

    /// The configuration the environment describes, on top of the embedded defaults. Throws
    /// ``ConfigurationError`` naming the variable when one is malformed.
    public init(environment: [String: String]) throws {
        self.init()
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        if let host = value("ARMORY_HOST") { self.host = host }
        if let text = value("ARMORY_PORT") {
            guard let port = Int(text), (0...65_535).contains(port) else {
                throw ConfigurationError("ARMORY_PORT must be a port number from 0 to 65535, not '\(text)'")
            }
            self.port = port
        }
        if let text = value("ARMORY_MAX_CONNECTIONS") {
            guard let count = Int(text), count >= 1 else {
                throw ConfigurationError("ARMORY_MAX_CONNECTIONS must be a whole number of 1 or more, not '\(text)'")
            }
            http.maximumConnections = count
        }
        if let url = value(StateStoreLocation.environmentVariable) {
            do {
                state = try StateStoreLocation(url)
            } catch let error as StorageError {
                throw ConfigurationError(error.message)
            }
        }
        if let url = value("ARMORY_CLICKHOUSE_URL") {
            guard (try? ClickHouseClient(url: url)) != nil else {
                throw ConfigurationError("ARMORY_CLICKHOUSE_URL is not a ClickHouse URL: expected http://user:password@host:8123/database")
            }
            metrics = .clickhouse(url: url)
        }
        if let cluster = value("ARMORY_CLICKHOUSE_CLUSTER") {
            guard !cluster.isEmpty, cluster.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw ConfigurationError("ARMORY_CLICKHOUSE_CLUSTER must be a cluster name from the servers' <remote_servers> (letters, digits and _), not '\(cluster)'")
            }
            clickHouseCluster = cluster
        }
        if let url = value("ARMORY_REDIS_URL") {
            do {
                _ = try RedisClient(url: url)
            } catch let error as StorageError {
                throw ConfigurationError("ARMORY_REDIS_URL: \(error.description)")
            }
            redisURL = url
        }
        if let prefix = value("ARMORY_REDIS_PREFIX") { redisKeyPrefix = prefix }
        if let url = value("ARMORY_ARTIFACTS_URL") {
            do {
                artifacts = try ArtifactLocation(parsing: url)
            } catch let error as ConfigurationError {
                throw ConfigurationError("ARMORY_ARTIFACTS_URL: \(error.description)")
            }
        }
        adminToken = value("ARMORY_ADMIN_TOKEN")
        decisionSecret = value("ARMORY_DECISION_SECRET")
        if let url = value("ARMORY_WEBHOOK_URL") {
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host != nil else {
                throw ConfigurationError("ARMORY_WEBHOOK_URL must be an http:// or https:// URL, not '\(url)'")
            }
            guard let secret = value("ARMORY_WEBHOOK_SECRET"), secret.utf8.count >= 16 else {
                throw ConfigurationError("ARMORY_WEBHOOK_URL is set, so ARMORY_WEBHOOK_SECRET must be too (at least 16 characters): "
                    + "notices are signed with it so the receiver can tell they are Armory's")
            }
            webhook = Webhook.Configuration(url: url, secret: secret)
        }
        if let text = value("ARMORY_PAGE_FRESHNESS") { pageFreshness = try Self.pageFreshness(text) }
        kafka = try KafkaSettings(environment: value)
    }

    /// `ARMORY_PAGE_FRESHNESS`: a duration from 0 to an hour.
    private static func pageFreshness(_ text: String) throws -> Duration {
        let parsed: Duration? = text == "0" ? .zero : DurationText.parse(text)
        guard let freshness = parsed, freshness >= .zero, freshness <= .seconds(3_600) else {
            throw ConfigurationError("ARMORY_PAGE_FRESHNESS must be a duration from 0 to 1h such as 10s or 500ms, not '\(text)'")
        }
        return freshness
    }

    /// Checks values that flags and variables may have set wrong.
    public func validate() throws {
        guard (0...65_535).contains(port) else { throw ConfigurationError("the port must be from 0 to 65535, not \(port)") }
        if let adminToken, adminToken.utf8.count < 16 {
            throw ConfigurationError("ARMORY_ADMIN_TOKEN must be at least 16 characters")
        }
        if let decisionSecret, decisionSecret.utf8.count < 16 {
            throw ConfigurationError("ARMORY_DECISION_SECRET must be at least 16 characters")
        }
        if kafka != nil, case .sqlite = metricsLocation {
            throw ConfigurationError("ARMORY_KAFKA_BROKERS needs ARMORY_CLICKHOUSE_URL: the Kafka event queue feeds a ClickHouse metrics store, not the embedded SQLite one")
        }
        if clickHouseCluster != nil, case .sqlite = metricsLocation {
            throw ConfigurationError("ARMORY_CLICKHOUSE_CLUSTER needs ARMORY_CLICKHOUSE_URL: the server of the cluster Armory talks to")
        }
        if role == .ingest, kafka == nil {
            throw ConfigurationError("the ingest role moves events from Kafka into the metrics store: set ARMORY_KAFKA_BROKERS")
        }
        if let demoCatalog, demoCatalog.movies < 1 || demoCatalog.users < 0 {
            throw ConfigurationError("the demo catalog needs at least one movie and no negative number of users")
        }
    }
}

/// A configuration problem, named so the user can fix it.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// What is wrong.
    public var description: String

    /// Creates an error.
    public init(_ description: String) {
        self.description = description
    }
}
