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
            makeRoom(in: &state.entries, for: key, capacity: capacity, lastUse: \.lastUse)
            state.clock += 1
            state.entries[key] = Entry(value: value, expires: expires, lastUse: state.clock)
        }
    }

    func remove(_ key: Key) {
        state.withLock { $0.entries[key] = nil }
    }

    var count: Int { state.withLock { $0.entries.count } }
}

/// Before `key` is stored in a cache holding `capacity` entries at most: when it is full and
/// `key` is new, drops the least recently used tenth (by `lastUse`).
func makeRoom<Key: Hashable, Entry>(in entries: inout [Key: Entry], for key: Key, capacity: Int, lastUse: (Entry) -> UInt64) {
    guard entries.count >= capacity, entries[key] == nil else { return }
    let oldest = entries.sorted { lastUse($0.value) < lastUse($1.value) }.prefix(max(1, capacity / 10)).map(\.key)
    for key in oldest { entries[key] = nil }
}
