import ArmoryCore
import ArmoryKit
import Foundation
import Logging

/// Views and likes into users' histories (the state store), with the same promise as the
/// metrics: what was acknowledged gets there. A flush appends them before its writers are
/// answered; when the state store fails or is slow they go to a spool of their own
/// (`history.spool`), replayed in order when it answers again.
///
/// A replay is at least once: a store that timed out after committing, or a crash between an
/// append and the spool's offset, appends those views again (a duplicate view weighs a movie
/// twice in that user's history; a lost one would be a promise broken). A batch the store
/// refuses (rather than cannot take now) is retried row by row, and only the rows it refuses are
/// set aside in `history.spool.rejected`: one bad row never takes other clients' views with it.
extension EventWriter {
    /// Makes the views and likes among `events` durable in the history or its spool.
    func persistHistory(_ events: [Event], storeDeadline: Duration?) async -> Result<Void, StorageError> {
        guard let history else { return .success(()) }
        let activity = events.filter { $0.type == .view || $0.type == .like }
        guard !activity.isEmpty else { return .success(()) }
        let spoolIsEmpty = historySpool.withLock { $0.pendingBytes == 0 }
        if spoolIsEmpty && isHistoryDue {
            do {
                let deadline = storeDeadline ?? configuration.historyDeadline
                try await withDeadline(deadline) { try await self.append(activity, to: history) }
                return .success(())
            } catch {
                noteHistoryFailure(error)
            }
        }
        do {
            try historySpool.withLock { try $0.append(activity) }
            state.withLockedValue { $0.statistics.historySpooled += activity.count }
            return .success(())
        } catch {
            logger.error("cannot spool views and likes; they are not acknowledged", metadata: ["error": "\(error)"])
            return .failure(StorageError(.notDurable, "the state store and the history spool both failed: \(error)"))
        }
    }

    /// Appends what the history spool holds, oldest first, while the state store takes it.
    func replayHistorySpool() async {
        guard let history, isHistoryDue else { return }
        while true {
            let next: (events: [Event], end: Int)?
            do {
                next = try historySpool.withLock { try $0.next() }
            } catch let unreadable as EventSpool.UnreadableBatch {
                logger.error("an unreadable batch in the history spool was set aside", metadata: ["error": "\(unreadable.underlying)"])
                try? historySpool.withLock { try $0.setAside(unreadable) }
                continue
            } catch {
                logger.error("cannot read the history spool", metadata: ["error": "\(error)"])
                return
            }
            guard let (events, end) = next else { return }
            do {
                try await withDeadline(configuration.historyDeadline) { try await self.append(events, to: history) }
            } catch let error as StorageError where error.code != .unreachable {
                guard await appendRowByRow(events, to: history) else { return }
            } catch {
                noteHistoryFailure(error)
                return
            }
            do {
                try historySpool.withLock { try $0.markReplayed(upTo: end) }
            } catch {
                logger.error("cannot record the history spool's progress", metadata: ["error": "\(error)"])
                return
            }
            logger.info("replayed spooled views and likes", metadata: ["count": "\(events.count)"])
        }
    }

    /// Appends `events` one at a time, setting aside those the store refuses; `false` when the
    /// store stopped answering midway (the batch stays in the spool).
    private func appendRowByRow(_ events: [Event], to history: any StateStore) async -> Bool {
        for event in events {
            do {
                try await withDeadline(configuration.historyDeadline) { try await self.append([event], to: history) }
            } catch let error as StorageError where error.code != .unreachable {
                logger.error("the state store refused a view or like; set aside in history.spool.rejected",
                             metadata: ["error": "\(error)", "user": "\(event.userID)"])
                try? historySpool.withLock { try $0.reject([event]) }
                state.withLockedValue { $0.statistics.historyRejected += 1 }
            } catch {
                noteHistoryFailure(error)
                return false
            }
        }
        return true
    }

    private func append(_ activity: [Event], to history: any StateStore) async throws {
        let views = activity.userEvents(.view)
        let likes = activity.userEvents(.like)
        if !views.isEmpty { try await history.appendViews(views) }
        if !likes.isEmpty { try await history.appendLikes(likes) }
    }

    private var isHistoryDue: Bool {
        state.withLockedValue { $0.historyRetryAfter.map { ContinuousClock.now >= $0 } ?? true }
    }

    private func noteHistoryFailure(_ error: any Error) {
        let retryAfter = ContinuousClock.now + configuration.retryInterval
        state.withLockedValue {
            $0.statistics.historyFailures += 1
            $0.historyRetryAfter = retryAfter
        }
        logger.warning("state store failed; spooling views and likes until it answers", metadata: ["error": "\(error)"])
    }
}
