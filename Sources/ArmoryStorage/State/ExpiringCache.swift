import Synchronization

/// A bounded map whose entries expire; when full, the least recently used tenth is dropped.
final class ExpiringCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Entry {
        var value: Value
        var expires: ContinuousClock.Instant
        var lastUse: UInt64
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var clock: UInt64 = 0
    }

    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    func value(for key: Key) -> Value? {
        let now = ContinuousClock.now
        return state.withLock { state in
            guard let entry = state.entries[key] else { return nil }
            guard entry.expires > now else {
                state.entries[key] = nil
                return nil
            }
            state.clock += 1
            state.entries[key]?.lastUse = state.clock
            return entry.value
        }
    }

    func store(_ value: Value, for key: Key, lifetime: Duration) {
        let expires = ContinuousClock.now + lifetime
        state.withLock { state in
            if state.entries.count >= capacity, state.entries[key] == nil {
                let dropCount = max(1, capacity / 10)
                let oldest = state.entries.sorted { $0.value.lastUse < $1.value.lastUse }.prefix(dropCount).map(\.key)
                for key in oldest { state.entries[key] = nil }
            }
            state.clock += 1
            state.entries[key] = Entry(value: value, expires: expires, lastUse: state.clock)
        }
    }

    func remove(_ key: Key) {
        state.withLock { $0.entries[key] = nil }
    }

    var count: Int { state.withLock { $0.entries.count } }
}
