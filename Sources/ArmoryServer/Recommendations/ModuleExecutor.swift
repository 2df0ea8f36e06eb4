import Foundation
import Synchronization

/// The threads algorithm modules run on, apart from Swift's cooperative pool.
///
/// A module that blocks its thread (synchronous I/O, a long loop, `sleep`) would otherwise hold
/// one of the few cooperative threads (one per core) and stall every other task, including the
/// timer that enforces its budget. On these threads it stalls only itself: the budget fires,
/// the fallback arm answers, and the blocked thread is lost only until the module returns.
public final class ModuleExecutor: TaskExecutor, Sendable {
    private let queue = Mutex<[UnownedJob]>([])
    private let wakeUp = DispatchSemaphore(value: 0)

    /// The executor every ``ArmRecommender`` uses unless given another.
    public static let shared = ModuleExecutor(threads: max(8, 4 * ProcessInfo.processInfo.activeProcessorCount))

    /// Starts `threads` worker threads. They live as long as the process.
    public init(threads: Int) {
        for index in 0..<max(1, threads) {
            let thread = Thread { [self] in runJobs() }
            thread.name = "armory-module-\(index)"
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
