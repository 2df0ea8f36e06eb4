import ArmoryCore
import ArmoryStorage
import Foundation
import Logging

/// Takes the events clients send (`POST /v1/events`) and owns everything an accepted event
/// sets off, in order:
///
/// 1. each is checked, its experiment and arm taken from its signed decision; one bad event
///    refuses the whole batch, so a client can fix and resend it as it was;
/// 2. the writer makes them durable: outcomes in the metrics store, views and likes there and
///    in the users' histories (or in a spool on disk while a store is away);
/// 3. the cached histories take the views and likes, so the next recommendation sees them;
/// 4. views and clicks are counted on the Redis hot list, when there is one, without waiting.
public struct EventIngest: Sendable {
    /// The most events one request may carry.
    public static let maximumBatch = 1_000

    let registry: ExperimentRegistry
    let signer: DecisionSigner
    let writer: EventWriter
    /// The users' cached histories.
    let histories: StoreDataSource
    let hotList: HotListRecorder?
    let metrics: ServerMetrics

    /// Accepts `inputs` (a batch when `isBatch`, so a problem names its index) and returns how
    /// many were stored. Throws an ``ArmoryError``: invalid for a refused event, unavailable
    /// when the events could not be made durable (none of the batch is then acknowledged).
    public func ingest(_ inputs: [EventInput], isBatch: Bool, logger: Logger) async throws -> Int {
        let events = try validate(inputs, isBatch: isBatch, now: Date())
        do {
            try await writer.write(events)
        } catch let error as StorageError where error.code == .busy {
            throw ArmoryError.unavailable(.busy, "the event queue is full; retry shortly")
        } catch let error as StorageError where error.code == .stopped {
            throw ArmoryError.unavailable(.shuttingDown, "the server is shutting down; send the events to another replica")
        } catch {
            logger.error("events not stored", metadata: ["error": "\(error)"])
            throw ArmoryError.unavailable(.notStored, "the events could not be stored; retry them", retryAfter: 5)
        }
        let views = events.userEvents(.view)
        let likes = events.userEvents(.like)
        if !views.isEmpty || !likes.isEmpty { histories.record(views: views, likes: likes) }
        hotList?.record(events)
        for event in events {
            metrics.increment("armory_events_accepted_total", [("type", event.type.rawValue)])
        }
        return events.count
    }

    /// The stored form of each input, or the first problem.
    private func validate(_ inputs: [EventInput], isBatch: Bool, now: Date) throws -> [Event] {
        guard !inputs.isEmpty else { throw ArmoryError.invalid("events", "the batch is empty") }
        guard inputs.count <= Self.maximumBatch else {
            throw ArmoryError.invalid("events", "a batch may hold at most \(Self.maximumBatch) events, not \(inputs.count)")
        }
        let arms = Dictionary(uniqueKeysWithValues: registry.experiments.map { ($0.id, Set($0.experiment.arms.map(\.name))) })
        let validator = EventValidator(signer: signer, arms: arms)
        var events: [Event] = []
        events.reserveCapacity(inputs.count)
        for (index, input) in inputs.enumerated() {
            do {
                events.append(try validator.validate(input, now: now))
            } catch {
                metrics.increment("armory_events_rejected_total", [("code", error.code.rawValue)])
                throw isBatch ? ArmoryError(error.kind, error.code, "events[\(index)]: \(error.message)") : error
            }
        }
        return events
    }
}
