import NIOConcurrencyHelpers

/// A bounded cache that loads its own values: one load per key at a time, shared by every
/// caller that wants it, and never cancelled by a caller giving up (a request overrunning its
/// time budget), so a slow query still fills the cache for the requests after it. An expired
/// value keeps being served for `staleLifetime` while a fresh one loads (stale-while-revalidate),
/// so no request waits on a reload once a key has been loaded.
final class LoadingCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Entry {
        var value: Value
        var loadedAt: ContinuousClock.Instant
        var lastUse: UInt64
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var loads: [Key: Task<Value, any Error>] = [:]
        var clock: UInt64 = 0
    }

    private let capacity: Int
    private let lifetime: Duration
    private let staleLifetime: Duration
    /// A plain pthread mutex (NIOLock), not `Synchronization.Mutex`: on Linux the latter waits
    /// on a priority-inheritance futex, a kernel round trip each time two threads meet on it,
    /// and the locks every recommendation takes (this cache, the event queue, the deadline
    /// timer, the catalog, the metrics) meet often enough on the request path for that to
    /// matter.
    private let state = NIOLockedValueBox(State())

    /// A cache of at most `capacity` values, each fresh for `lifetime` and served while it
    /// reloads for up to `staleLifetime` after that.
    init(capacity: Int, lifetime: Duration, staleLifetime: Duration) {
        self.capacity = max(1, capacity)
        self.lifetime = lifetime
        self.staleLifetime = staleLifetime
    }

    /// The value for `key`: cached, or loaded by `load` (once, however many callers ask).
    func value(for key: Key, load: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let now = ContinuousClock.now
        let (cached, pending): (Value?, Task<Value, any Error>?) = state.withLockedValue { state in
            if var entry = state.entries[key], now - entry.loadedAt < lifetime + staleLifetime {
                state.clock += 1
                entry.lastUse = state.clock
                // Assigned whole: an in-place `entries[key]?.lastUse = …` allocates, and this
                // runs on every request.
                state.entries[key] = entry
                if now - entry.loadedAt >= lifetime, state.loads[key] == nil {
                    state.loads[key] = makeLoad(key, load)
                }
                return (entry.value, nil)
            }
            if let running = state.loads[key] { return (nil, running) }
            let started = makeLoad(key, load)
            state.loads[key] = started
            return (nil, started)
        }
        if let cached { return cached }
        return try await pending!.value
    }

    /// Stores `value` for `key`, as a load would have.
    func insert(_ value: Value, for key: Key) {
        store(value, for: key)
    }

    /// Forgets `key` (the next caller loads it).
    func remove(_ key: Key) {
        state.withLockedValue { $0.entries[key] = nil }
    }

    /// Changes the value for `key` in place, when it is cached (its age stays).
    func modify(_ key: Key, _ change: (inout Value) -> Void) {
        state.withLockedValue { state in
            guard var entry = state.entries[key] else { return }
            state.entries[key] = nil
            change(&entry.value)
            state.entries[key] = entry
        }
    }

    /// A load running in a task of its own: awaited by the callers that want it, it finishes
    /// (and stores its value) even when they stop waiting. It ends with its query; nothing
    /// outlives it.
    private func makeLoad(_ key: Key, _ load: @escaping @Sendable () async throws -> Value) -> Task<Value, any Error> {
        Task.detached { [self] in
            do {
                let value = try await load()
                store(value, for: key)
                return value
            } catch {
                state.withLockedValue { _ = $0.loads.removeValue(forKey: key) }
                throw error
            }
        }
    }

    private func store(_ value: Value, for key: Key) {
        let now = ContinuousClock.now
        state.withLockedValue { state in
            state.loads[key] = nil
            makeRoom(in: &state.entries, for: key, capacity: capacity, lastUse: \.lastUse)
            state.clock += 1
            state.entries[key] = Entry(value: value, loadedAt: now, lastUse: state.clock)
        }
    }
}

/// Before `key` is stored in a cache holding `capacity` entries at most: when it is full and
/// `key` is new, drops the least recently used tenth (by `lastUse`).
func makeRoom<Key: Hashable, Entry>(in entries: inout [Key: Entry], for key: Key, capacity: Int, lastUse: (Entry) -> UInt64) {
    guard entries.count >= capacity, entries[key] == nil else { return }
    let oldest = entries.sorted { lastUse($0.value) < lastUse($1.value) }.prefix(max(1, capacity / 10)).map(\.key)
    for key in oldest { entries[key] = nil }
}
