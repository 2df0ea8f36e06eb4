import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// Sends each ``Notice`` as a JSON `POST` to `ARMORY_WEBHOOK_URL`, one at a time in the order
/// they happened, signed so the receiver can tell the notices are Armory's:
///
///     X-Armory-Timestamp: <Unix seconds>
///     X-Armory-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed with ARMORY_WEBHOOK_SECRET>
///     X-Armory-Delivery:  <the notice's id>
///
/// A refused connection, a timeout, a 408, a 429 or a 5xx is tried again after 1 s, 2 s, 4 s, …
/// up to ``Configuration/attempts`` in all; another 4xx is not (the receiver refuses it), nor is
/// a redirect (not followed: it would turn the POST into a GET). What cannot be delivered is
/// logged and counted, never retried for ever: the audit log holds it.
public final class Webhook: Notifier, Service {
    /// Where and how.
    public struct Configuration: Sendable {
        /// The receiver.
        public var url: String
        /// The HMAC key.
        public var secret: String
        /// Tries per notice, the first included.
        public var attempts = 5
        /// The wait before the first retry; each later one doubles it.
        public var firstRetryDelay: Duration = .seconds(1)
        /// How long one try may take.
        public var timeout: Duration = .seconds(10)
        /// Notices waiting at most; more are dropped (and counted) while the receiver is down.
        public var queueLimit = 1_000

        /// A configuration for `url`, signed with `secret`.
        public init(url: String, secret: String) {
            self.url = url
            self.secret = secret
        }
    }

    private let configuration: Configuration
    private let metrics: ServerMetrics
    private let logger: Logger
    private let queue: AsyncStream<Notice>
    private let sink: AsyncStream<Notice>.Continuation

    /// A webhook to `configuration.url`.
    public init(configuration: Configuration, metrics: ServerMetrics, logger: Logger = Logger(label: "armory.webhook")) {
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        // While a receiver is down, the newest notices are kept: they say where things stand now.
        (queue, sink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(configuration.queueLimit))
    }

    public func send(_ notice: Notice) {
        if case .dropped(let oldest) = sink.yield(notice) {
            metrics.increment("armory_webhook_notices_total", [("outcome", "dropped")])
            logger.error("webhook queue full; the oldest notice dropped (it is in the audit log)", metadata: [
                "experiment": "\(oldest.experiment)", "type": "\(oldest.kind.rawValue)"])
        }
    }

    public func run() async throws {
        // A receiver that stalls mid-answer must not stall the queue: every read has a deadline.
        // A redirect would turn the POST into a GET (or send the signed body elsewhere): refused.
        let seconds = TimeAmount.seconds(configuration.timeout.components.seconds)
        var settings = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: seconds, read: seconds))
        settings.httpVersion = .http1Only
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: settings)
        // At shutdown a delivery in flight is cancelled with the loop: the audit log keeps the notice.
        await cancelWhenGracefulShutdown {
            for await notice in self.queue {
                await self.deliver(notice, with: client)
            }
        }
        try? await client.shutdown()
    }

    /// Delivers `notice`, trying again as the type's documentation says.
    func deliver(_ notice: Notice, with client: HTTPClient) async {
        guard let body = try? APIJSON.encoder.encode(notice) else { return }
        var delay = configuration.firstRetryDelay
        var problem = ""
        for attempt in 1...max(configuration.attempts, 1) {
            do {
                let status = try await post(body, id: notice.id, with: client)
                if (200..<300).contains(status.code) {
                    metrics.increment("armory_webhook_notices_total", [("outcome", "delivered")])
                    return
                }
                problem = "answered \(status.code)" + ((300..<400).contains(status.code) ? " (redirects are not followed)" : "")
                if (300..<500).contains(status.code) && status != .requestTimeout && status != .tooManyRequests { break }
            } catch {
                problem = "\(error)"
            }
            guard attempt < configuration.attempts else { break }
            try? await Task.sleep(for: delay)
            delay *= 2
        }
        metrics.increment("armory_webhook_notices_total", [("outcome", "failed")])
        logger.error("webhook notice not delivered", metadata: [
            "experiment": "\(notice.experiment)", "type": "\(notice.kind.rawValue)", "problem": "\(problem)"])
    }

    private func post(_ body: Data, id: String, with client: HTTPClient) async throws -> HTTPResponseStatus {
        let timestamp = String(Int(Date().timeIntervalSince1970))
        var request = HTTPClientRequest(url: configuration.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "armory-webhook")
        request.headers.add(name: "X-Armory-Timestamp", value: timestamp)
        request.headers.add(name: "X-Armory-Signature", value: "sha256=" + Self.signature(of: body, timestamp: timestamp, secret: configuration.secret))
        request.headers.add(name: "X-Armory-Delivery", value: id)
        request.body = .bytes(ByteBuffer(data: body))
        let response = try await client.execute(request, timeout: .nanoseconds(Int64(configuration.timeout.components.seconds) * 1_000_000_000))
        _ = try? await response.body.collect(upTo: 64 * 1024)
        return response.status
    }

    /// The hex HMAC-SHA256 of `"<timestamp>.<body>"` keyed with `secret`: what a receiver
    /// computes to check a notice.
    public static func signature(of body: Data, timestamp: String, secret: String) -> String {
        var message = Data(timestamp.utf8)
        message.append(UInt8(ascii: "."))
        message.append(body)
        let code = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return code.map { String(format: "%02x", $0) }.joined()
    }
}
