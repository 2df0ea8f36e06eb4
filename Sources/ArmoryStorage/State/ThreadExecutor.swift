import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Threads of its own for tasks that must not run on Swift's cooperative pool, which has one
/// thread per core and every request needs them: algorithm modules that may block or run long
/// (``ModuleIsolation`` in the server), and long background work such as rebuilding the
/// co-watch lists (``background``). Tasks run here with
/// `withTaskExecutorPreference(_:)` or `Task(executorPreference:)`.
public final class ThreadExecutor: TaskExecutor, Sendable {
    /// One thread at a lower scheduling priority for long background work: it holds none of
    /// the cooperative threads, and on a busy machine it takes the CPU the requests leave.
    public static let background = ThreadExecutor(threads: 1, name: "armory-background", lowPriority: true)

    private let queue = Mutex<[UnownedJob]>([])
    private let wakeUp = DispatchSemaphore(value: 0)

    /// Starts `threads` threads named `name-<n>`, at a lower priority when `lowPriority`. They
    /// live as long as the process.
    public init(threads: Int, name: String, lowPriority: Bool = false) {
        for index in 0..<max(1, threads) {
            let thread = Thread { [self] in
                #if canImport(Glibc)
                // On Linux the nice value belongs to each thread: 0 names this one.
                if lowPriority { setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10) }
                #endif
                runJobs()
            }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        queue.withLock { $0.append(unowned) }
        wakeUp.signal()
    }

    private func runJobs() {
        while true {
            wakeUp.wait()
            guard let job = queue.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { continue }
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
