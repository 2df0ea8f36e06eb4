import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether the address the server will listen on is free, asked before anything is loaded (the
/// demo seed, the modules, the caches), so that a port already in use is reported at once
/// rather than after a minute of start-up.
enum PortCheck {
    /// Throws ``ConfigurationError`` when `port` on `host` cannot be bound now. Port 0 (any free
    /// port) and hosts that do not resolve are left to the server's own bind to report.
    static func ensureFree(host: String, port: Int) throws {
        guard port != 0 else { return }
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &results) == 0, let first = results else { return }
        defer { freeaddrinfo(results) }
        let descriptor = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        // As the server binds: reusing an address in TIME_WAIT is fine, one in use is not.
        var yes: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        if bind(descriptor, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 {
            let reason = errno == EADDRINUSE ? "is already in use (another armory serve, or another program?)" : String(cString: strerror(errno))
            throw ConfigurationError("cannot listen on \(host):\(port): the port \(reason); stop that process or pick another with --port")
        }
    }
}
