import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Bounds a request body where it arrives, before any route reads it: a body declared larger
/// than any route takes is answered 413 at once and the connection closed (never read, so a
/// large upload costs nothing), and a body not whole within the body timeout of its head is
/// answered 408 and the connection closed (a trickled body held a connection and its task for
/// as long as its sender liked). Both answers are the API's JSON error.
final class RequestBodyLimitsHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let maximumBodyBytes: Int
    private let bodyTimeout: TimeAmount
    private var deadline: Scheduled<Void>?
    /// Whether the current request's response has begun (then a late 408 would corrupt it).
    private var responding = false
    private var closing = false

    init(maximumBodyBytes: Int, bodyTimeout: TimeAmount) {
        self.maximumBodyBytes = maximumBodyBytes
        self.bodyTimeout = bodyTimeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            responding = false
            if let length = head.headerFields[.contentLength].flatMap(Int.init), length > maximumBodyBytes {
                answer(context, .contentTooLarge, "body_too_large", "the request body is \(length) bytes; no route takes more than \(maximumBodyBytes)")
                return
            }
            let announcesBody = head.headerFields[.contentLength].map { $0 != "0" } ?? (head.headerFields[.transferEncoding] != nil)
            if announcesBody {
                let loop = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                deadline = context.eventLoop.scheduleTask(in: bodyTimeout) {
                    let (handler, context) = loop.value
                    handler.bodyTimedOut(context)
                }
            }
        case .end:
            deadline?.cancel()
            deadline = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .head = unwrapOutboundIn(data) { responding = true }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        context.fireChannelInactive()
    }

    private func bodyTimedOut(_ context: ChannelHandlerContext) {
        deadline = nil
        guard !responding else {
            context.close(promise: nil)
            return
        }
        answer(context, .requestTimeout, "request_timeout", "the request body did not arrive within \(bodyTimeout.nanoseconds / 1_000_000_000) s of its headers")
    }

    private func answer(_ context: ChannelHandlerContext, _ status: HTTPResponse.Status, _ code: String, _ message: String) {
        closing = true
        deadline?.cancel()
        ConnectionErrorResponse.write(status, code, message, on: context)
    }
}

/// The API's JSON error written straight onto a connection by a channel handler, before any
/// route, and the connection closed after it: for requests no route can be trusted to read.
enum ConnectionErrorResponse {
    /// Writes from `context`, a handler whose outbound parts are ``HTTPResponsePart``s.
    static func write(_ status: HTTPResponse.Status, _ code: String, _ message: String, on context: ChannelHandlerContext) {
        let body = ByteBuffer(string: #"{"error":{"code":"\#(code)","message":"\#(message)"}}"#)
        let head = HTTPResponse(status: status, headerFields: [
            .contentType: "application/json; charset=utf-8", .contentLength: String(body.readableBytes), .connection: "close",
        ])
        context.write(NIOAny(HTTPResponsePart.head(head)), promise: nil)
        context.write(NIOAny(HTTPResponsePart.body(body)), promise: nil)
        let channel = context.channel
        context.writeAndFlush(NIOAny(HTTPResponsePart.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
