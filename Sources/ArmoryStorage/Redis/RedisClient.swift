import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// A small Redis client on SwiftNIO: RESP2, a few pooled connections opened on first use and
/// again after a failure, `AUTH` (and `SELECT`) on connect, and a timeout on every round trip.
/// Commands go in pipelines: several sent at once on one connection, their replies read in
/// order. Only what Armory needs; tested against the real redis-server.
public final class RedisClient: Service, Sendable {
    /// Host and port, for messages.
    public let location: String
    private let host: String
    private let port: Int
    private let username: String?
    private let password: String?
    private let database: Int
    private let timeout: TimeAmount
    private let group: any EventLoopGroup
    /// One connection (being made, or made) per slot, or `nil` until first used.
    private let slots: Mutex<[EventLoopFuture<any Channel>?]>
    private let slotCount: Int
    private let next = Atomic<Int>(0)

    /// A client for `redis://[[user]:password@]host[:port][/database]` (a user for Redis 6's
    /// access lists) with `connections` connections
    /// and `timeout` per round trip (and per connection attempt).
    public init(url text: String, connections: Int = 4, timeout: TimeAmount = .milliseconds(250),
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws {
        guard let url = URLComponents(string: text), url.scheme == "redis", let host = url.host, !host.isEmpty else {
            throw StorageError(.invalidLocation, "not a Redis URL: expected redis://:password@host:6379")
        }
        self.host = host
        port = url.port ?? 6379
        password = url.password.map { $0.removingPercentEncoding ?? $0 }
        username = url.user.flatMap { $0.isEmpty ? nil : ($0.removingPercentEncoding ?? $0) }
        let path = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        guard path.isEmpty || Int(path) != nil else { throw StorageError(.invalidLocation, "the Redis database in the URL must be a number, not '\(path)'") }
        database = Int(path) ?? 0
        location = "Redis at \(host):\(port)"
        self.timeout = timeout
        self.group = group
        slotCount = max(1, connections)
        slots = Mutex(Array(repeating: nil, count: max(1, connections)))
    }

    /// Sends `commands` on one connection at once and returns their replies in order. A reply
    /// that is a Redis error comes back as `.error`, not thrown; an unreachable server, a
    /// timeout or a broken connection throws ``StorageError`` (and the connection is replaced).
    public func pipeline(_ commands: [[String]]) async throws -> [RESPValue] {
        guard !commands.isEmpty else { return [] }
        let slot = abs(next.add(1, ordering: .relaxed).newValue % slotCount)
        let (channel, future) = try await connection(slot)
        do {
            return try await write(commands, on: channel).get()
        } catch {
            // After a timeout the replies on this connection no longer line up: replace it.
            forget(future, in: slot)
            channel.close(promise: nil)
            throw error
        }
    }

    /// Sends one command.
    public func send(_ command: String...) async throws -> RESPValue {
        try await pipeline([command])[0]
    }

    /// Closes the connections at graceful shutdown.
    public func run() async throws {
        try? await gracefulShutdown()
        let open = slots.withLock { slots in
            defer { slots = Array(repeating: nil, count: slots.count) }
            return slots.compactMap { $0 }
        }
        for future in open {
            if let channel = try? await future.get() { try? await channel.close() }
        }
    }

    /// The slot's connection, made now if there is none or the one there has closed (the
    /// server restarted, or dropped it): a connection found dead is replaced, not reported.
    private func connection(_ slot: Int) async throws -> (any Channel, EventLoopFuture<any Channel>) {
        for _ in 0..<2 {
            let future = slots.withLock { slots -> EventLoopFuture<any Channel> in
                if let existing = slots[slot] { return existing }
                let connecting = connect()
                slots[slot] = connecting
                return connecting
            }
            let channel: any Channel
            do {
                channel = try await future.get()
            } catch {
                forget(future, in: slot)
                throw error as? StorageError ?? StorageError(.unreachable, "cannot reach \(location): \(error)")
            }
            if channel.isActive { return (channel, future) }
            forget(future, in: slot)
        }
        throw StorageError(.unreachable, "\(location) closed each new connection at once")
    }

    private func forget(_ future: EventLoopFuture<any Channel>, in slot: Int) {
        slots.withLock { slots in if slots[slot] === future { slots[slot] = nil } }
    }

    private func connect() -> EventLoopFuture<any Channel> {
        let loop = group.next()
        let connected = ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(RedisHandler()) }
            }
            .connect(host: host, port: port)
        let authenticate: [[String]] = if let password, !password.isEmpty { [["AUTH"] + (username.map { [$0] } ?? []) + [password]] } else { [] }
        let setup = authenticate + (database != 0 ? [["SELECT", String(database)]] : [])
        guard !setup.isEmpty else { return connected }
        let location = location
        return connected.flatMap { channel in
            self.write(setup, on: channel).flatMapThrowing { replies in
                if case .error(let message) = replies.first(where: { if case .error = $0 { true } else { false } }) {
                    channel.close(promise: nil)
                    throw StorageError(.authenticationFailed, "\(location) refused the connection set-up: \(message)")
                }
                return channel
            }
        }
    }

    private func write(_ commands: [[String]], on channel: any Channel) -> EventLoopFuture<[RESPValue]> {
        let promise = channel.eventLoop.makePromise(of: [RESPValue].self)
        let timeout = timeout
        let location = location
        let deadline = channel.eventLoop.scheduleTask(in: timeout) {
            promise.fail(StorageError(.unreachable, "\(location) did not answer within \(timeout.nanoseconds / 1_000_000) ms"))
        }
        promise.futureResult.whenComplete { _ in deadline.cancel() }
        channel.writeAndFlush(RedisHandler.Request(commands: commands, promise: promise), promise: nil)
        return promise.futureResult
    }
}

/// Writes pipelines of commands and hands each pipeline its replies, in order.
private final class RedisHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = Request
    typealias OutboundOut = ByteBuffer

    struct Request {
        var commands: [[String]]
        var promise: EventLoopPromise<[RESPValue]>
    }

    private var waiting: [(remaining: Int, replies: [RESPValue], promise: EventLoopPromise<[RESPValue]>)] = []
    private var received: ByteBuffer?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        var buffer = context.channel.allocator.buffer(capacity: 64 * request.commands.count)
        for command in request.commands { RESPValue.writeCommand(command, to: &buffer) }
        waiting.append((request.commands.count, [], request.promise))
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if received == nil {
            received = incoming
        } else {
            received!.writeBuffer(&incoming)
        }
        do {
            while var buffer = received, let value = try RESPValue.read(from: &buffer) {
                received = buffer
                guard !waiting.isEmpty else { throw StorageError(.protocolViolation, "a reply nobody asked for") }
                waiting[0].replies.append(value)
                waiting[0].remaining -= 1
                if waiting[0].remaining == 0 {
                    let done = waiting.removeFirst()
                    done.promise.succeed(done.replies)
                }
            }
            if received?.readableBytes == 0 { received = nil }
        } catch {
            failAll(error)
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(StorageError(.unreachable, "the connection closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: any Error) {
        let failed = waiting
        waiting = []
        for entry in failed { entry.promise.fail(error) }
    }
}
