import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension Process {
    /// Waits for the process to exit and returns its exit status (or 128 + the signal that
    /// ended it), by `waitpid` on its PID.
    ///
    /// Not `waitUntilExit()`: on Linux, Foundation learns of a child's exit from a SIGCHLD that
    /// libdispatch reads from a signalfd, and a signal delivered to a thread that does not block
    /// it (a SwiftNIO event loop, a module thread) is lost, so the wait never returns. Seen in
    /// the Redis outage test: the script had exited (a zombie), the test waited forever.
    public func waitForExitStatus() -> Int32 {
        if let status = waitForChild(processIdentifier) { return status }
        // Foundation reaped it first (ECHILD): its own record holds the status.
        waitUntilExit()
        return terminationReason == .uncaughtSignal ? 128 + terminationStatus : terminationStatus
    }
}

/// Waits for the child `pid` to exit and returns its exit status (or 128 + the signal that
/// ended it); `nil` when it is not a child left to wait for.
func waitForChild(_ pid: pid_t) -> Int32? {
    var status: Int32 = 0
    while true {
        let result = waitpid(pid, &status, 0)
        if result == pid { break }
        if result == -1, errno == EINTR { continue }
        return nil
    }
    // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as functions.
    let signal = status & 0x7f
    return signal == 0 ? (status >> 8) & 0xff : 128 + signal
}
