import ArmoryCore
import ArmoryKit
import Foundation
import Logging

/// Where a flush puts events: the store, or the spool when the store fails or older batches
/// wait there, and the spool's replay. (Users' histories: EventWriter+History.swift.)
extension EventWriter {
    func persist(_ events: [Event], storeDeadline: Duration?) async -> Result<Void, StorageError> {
        var remaining = events[...]
        let spoolIsEmpty = spool.withLock { $0.pendingBytes == 0 }
        let storeIsDue = state.withLockedValue { $0.retryAfter.map { ContinuousClock.now >= $0 } ?? true }
        if spoolIsEmpty && storeIsDue {
            while !remaining.isEmpty {
                let batch = Array(remaining.prefix(configuration.batchSize))
                do {
                    if let storeDeadline {
                        try await withDeadline(storeDeadline) { [destination] in try await destination.insert(batch) }
                    } else {
                        try await destination.insert(batch)
                    }
                    remaining = remaining.dropFirst(batch.count)
                    state.withLockedValue { $0.statistics.inserted += batch.count }
                } catch {
                    noteFailure(error)
                    break
                }
            }
        }
        guard !remaining.isEmpty else { return .success(()) }
        do {
            let batches = stride(from: remaining.startIndex, to: remaining.endIndex, by: configuration.batchSize).map {
                Array(remaining[$0..<min($0 + configuration.batchSize, remaining.endIndex)])
            }
            try spool.withLock { spool in
                for batch in batches { try spool.append(batch) }
            }
            state.withLockedValue { $0.statistics.spooled += remaining.count }
            return .success(())
        } catch {
            logger.error("cannot spool events; they are not acknowledged", metadata: ["error": "\(error)"])
            return .failure(StorageError(.notDurable, "\(destination.location) and the spool both failed: \(error)"))
        }
    }

    func replaySpool() async {
        guard state.withLockedValue({ $0.retryAfter.map { ContinuousClock.now >= $0 } ?? true }) else { return }
        while true {
            let next: (events: [Event], end: Int)?
            do {
                next = try spool.withLock { try $0.next() }
            } catch let unreadable as EventSpool.UnreadableBatch {
                logger.error("an unreadable batch in the event spool was set aside in events.spool.rejected",
                             metadata: ["error": "\(unreadable.underlying)"])
                try? spool.withLock { try $0.setAside(unreadable) }
                continue
            } catch {
                logger.error("cannot read the event spool", metadata: ["error": "\(error)"])
                return
            }
            guard let (events, end) = next else { return }
            do {
                try await destination.insert(events)
                try spool.withLock { try $0.markReplayed(upTo: end) }
                state.withLockedValue { $0.statistics.inserted += events.count }
                logger.info("replayed spooled events", metadata: ["count": "\(events.count)"])
            } catch {
                noteFailure(error)
                return
            }
        }
    }

    func noteFailure(_ error: any Error) {
        let retryAfter = ContinuousClock.now + configuration.retryInterval
        state.withLockedValue {
            $0.statistics.failures += 1
            $0.retryAfter = retryAfter
        }
        logger.warning("events cannot be written; spooling them until they can", metadata: ["destination": "\(destination.location)", "error": "\(error)"])
    }
}
