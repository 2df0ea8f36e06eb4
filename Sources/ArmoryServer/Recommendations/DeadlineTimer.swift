import Dispatch
import Foundation
import Synchronization

/// Fires callbacks at deadlines from one thread of its own: the time budget of every module
/// call. Scheduling is a lock and a heap insert — a Dispatch timer per call cost more than the
/// call — and the thread is outside Swift's cooperative pool, so it fires on time even when
/// every cooperative thread is busy or blocked.
final class DeadlineTimer: Sendable {
    /// The timer module calls use.
    static let shared = DeadlineTimer()

    private struct Entry {
        var deadline: UInt64
        var fire: @Sendable () -> Void
    }

    private struct State {
        /// A binary min-heap by deadline.
        var heap: [Entry] = []
        /// When the thread will wake on its own (`UInt64.max`: not until signalled).
        var sleepingUntil = UInt64.max
    }

    private let state = Mutex(State())
    private let wakeUp = DispatchSemaphore(value: 0)

    private init() {
        let thread = Thread { [self] in loop() }
        thread.name = "armory-deadlines"
        thread.start()
    }

    /// Calls `fire` once `delay` has passed (on the timer's thread; keep it short).
    func schedule(after delay: Duration, _ fire: @escaping @Sendable () -> Void) {
        let deadline = DispatchTime.now().uptimeNanoseconds &+ UInt64(max(0, delay.timeInterval) * 1e9)
        let mustWake = state.withLock { state -> Bool in
            state.heap.append(Entry(deadline: deadline, fire: fire))
            Self.siftUp(&state.heap, from: state.heap.count - 1)
            guard deadline < state.sleepingUntil else { return false }
            state.sleepingUntil = deadline
            return true
        }
        if mustWake { wakeUp.signal() }
    }

    private func loop() {
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            var due: [@Sendable () -> Void] = []
            let next = state.withLock { state -> UInt64 in
                while let first = state.heap.first, first.deadline <= now {
                    due.append(first.fire)
                    let last = state.heap.removeLast()
                    if !state.heap.isEmpty {
                        state.heap[0] = last
                        Self.siftDown(&state.heap, from: 0)
                    }
                }
                state.sleepingUntil = state.heap.first?.deadline ?? .max
                return state.sleepingUntil
            }
            for fire in due { fire() }
            if next == .max {
                wakeUp.wait()
            } else {
                _ = wakeUp.wait(timeout: DispatchTime(uptimeNanoseconds: next))
            }
        }
    }

    private static func siftUp(_ heap: inout [Entry], from start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private static func siftDown(_ heap: inout [Entry], from start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].deadline < heap[smallest].deadline { smallest = left }
            if right < heap.count, heap[right].deadline < heap[smallest].deadline { smallest = right }
            guard smallest != parent else { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
