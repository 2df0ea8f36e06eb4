import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Answers a request the HTTP parser cannot read (two Content-Lengths, a bare LF, a NUL in a
/// header, a TLS hello or an HTTP/2 preface on this HTTP/1.1 port, a head past its limit) with
/// the API's JSON error and closes the connection, instead of the empty 400 the server framework
/// would write. Nothing after a parse error can be trusted to frame a next request.
final class MalformedRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    private var answered = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        guard !answered else { return }
        answered = true
        let (status, code, message) = Self.describe(parserError)
        ConnectionErrorResponse.write(status, code, message, on: context)
    }

    /// The status, code and message for a parse error (messages hold no quotes or backslashes).
    static func describe(_ error: HTTPParserError) -> (HTTPResponse.Status, String, String) {
        switch error {
        case .headerOverflow:
            return (.requestHeaderFieldsTooLarge, "head_too_large",
                    "the request line and headers are larger than the server takes (64 KiB, 100 fields)")
        case .unexpectedContentLength, .invalidContentLength:
            return (.badRequest, "malformed_request", "the request has an invalid Content-Length, or one beside Transfer-Encoding")
        case .invalidMethod, .invalidVersion, .invalidConstant:
            return (.badRequest, "malformed_request",
                    "the request is not HTTP/1.1 (this port speaks plain HTTP/1.1: no TLS, no HTTP/2 preface)")
        case .invalidURL, .invalidPath, .invalidQueryString, .invalidHost, .invalidPort, .invalidFragment:
            return (.badRequest, "malformed_request", "the request target is not a valid URL")
        case .invalidHeaderToken, .lfExpected, .invalidCharactersUsed:
            return (.badRequest, "malformed_request", "a header is malformed (a character not allowed, or a line not ended by CRLF)")
        case .invalidChunkSize:
            return (.badRequest, "malformed_request", "a chunk of the body has an invalid size")
        default:
            return (.badRequest, "malformed_request", "the request is not valid HTTP/1.1")
        }
    }
}
