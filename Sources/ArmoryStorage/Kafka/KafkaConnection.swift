import NIOCore
import NIOPosix
import Synchronization

/// One TCP connection to one Kafka broker: requests framed with their header (v1: API key,
/// version, correlation id, client id; v2 adds tagged fields for flexible versions) and sent
/// in order; the broker answers in order, so each
/// response goes to the oldest request waiting. A request that times out closes the connection,
/// since later responses would no longer line up.
final class KafkaConnection: Sendable {
    /// `host:port`, for messages.
    let location: String
    let clientID: String
    private let channel: any Channel
    private let correlation = Atomic<Int32>(0)

    private init(channel: any Channel, location: String, clientID: String) {
        self.channel = channel
        self.location = location
        self.clientID = clientID
    }

    /// Connects to `host:port` within `timeout`.
    static func connect(host: String, port: Int, clientID: String, timeout: TimeAmount,
                        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> KafkaConnection {
        let location = "\(host):\(port)"
        do {
            let channel = try await ClientBootstrap(group: group)
                .connectTimeout(timeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(KafkaHandler()) }
                }
                .connect(host: host, port: port).get()
            return KafkaConnection(channel: channel, location: location, clientID: clientID)
        } catch {
            throw KafkaError(code: 0, "cannot reach the Kafka broker at \(location): \(error)")
        }
    }

    var isActive: Bool { channel.isActive }

    /// Sends a request of `apiKey` at `version` whose body `write` writes, and returns the
    /// response's body (after its correlation id) once it arrives, within `timeout`.
    func send(_ apiKey: Int16, version: Int16, timeout: TimeAmount, _ write: (inout ByteBuffer) -> Void) async throws -> ByteBuffer {
        try await sendFuture(apiKey, version: version, timeout: timeout, write).get()
    }

    /// As ``send(_:version:timeout:_:)``, returning at once: requests sent one after another
    /// from one task reach the broker in that order (what an idempotent producer's sequence
    /// numbers rely on when more than one batch is in flight).
    func sendFuture(_ apiKey: Int16, version: Int16, timeout: TimeAmount, _ write: (inout ByteBuffer) -> Void) -> EventLoopFuture<ByteBuffer> {
        let id = correlation.add(1, ordering: .relaxed).newValue
        var frame = channel.allocator.buffer(capacity: 256)
        frame.writeInteger(Int32(0))  // length, set below
        frame.writeInteger(apiKey)
        frame.writeInteger(version)
        frame.writeInteger(id)
        frame.writeKafkaNullableString(clientID)
        if KafkaMessages.flexible.contains(apiKey) { frame.writeInteger(UInt8(0)) }  // header v2: no tagged fields
        write(&frame)
        frame.setInteger(Int32(frame.readableBytes - 4), at: frame.readerIndex)
        let promise = channel.eventLoop.makePromise(of: ByteBuffer.self)
        let location = location
        let channel = channel
        let deadline = channel.eventLoop.scheduleTask(in: timeout) {
            promise.fail(KafkaError(code: 0, "the Kafka broker at \(location) did not answer within \(timeout.nanoseconds / 1_000_000) ms"))
            channel.close(promise: nil)
        }
        promise.futureResult.whenComplete { _ in deadline.cancel() }
        channel.writeAndFlush(KafkaHandler.Request(frame: frame, correlationID: id, promise: promise), promise: nil)
        return promise.futureResult
    }

    func close() async {
        try? await channel.close()
    }
}

/// Frames requests out and responses in (a 4-byte length before each) and hands each response
/// to the request it answers.
private final class KafkaHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = Request
    typealias OutboundOut = ByteBuffer

    struct Request {
        var frame: ByteBuffer
        var correlationID: Int32
        var promise: EventLoopPromise<ByteBuffer>
    }

    /// A response larger than this is a broken stream, not a fetch (fetches ask for far less).
    private static let maximumFrame = 256 << 20
    private var waiting: CircularBuffer<(id: Int32, promise: EventLoopPromise<ByteBuffer>)> = []
    private var received: ByteBuffer?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        waiting.append((request.correlationID, request.promise))
        context.write(wrapOutboundOut(request.frame), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if received == nil { received = incoming } else { received!.writeBuffer(&incoming) }
        do {
            while let length = received?.getInteger(at: received!.readerIndex, as: Int32.self) {
                guard length >= 4, Int(length) <= Self.maximumFrame else { throw KafkaError.malformed("a response of \(length) bytes") }
                guard received!.readableBytes >= 4 + Int(length) else { break }
                received!.moveReaderIndex(forwardBy: 4)
                var response = received!.readSlice(length: Int(length))!
                let id = response.readInteger(as: Int32.self)!
                guard let first = waiting.popFirst() else { throw KafkaError.malformed("a response nobody asked for") }
                guard first.id == id else {
                    first.promise.fail(KafkaError.malformed("response \(id) came for request \(first.id)"))
                    throw KafkaError.malformed("responses out of order")
                }
                first.promise.succeed(response)
            }
            if received?.readableBytes == 0 { received = nil } else { received?.discardReadBytes() }
        } catch {
            failAll(error)
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(KafkaError(code: 0, "the connection to the Kafka broker closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(KafkaError(code: 0, "the connection to the Kafka broker failed: \(error)"))
        context.close(promise: nil)
    }

    private func failAll(_ error: any Error) {
        while let entry = waiting.popFirst() { entry.promise.fail(error) }
    }
}
