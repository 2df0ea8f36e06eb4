import ArmoryCore
import ArmoryKit
import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle


/// The co-watched lists requests read: a ``CoWatchIndex`` of the state store's views and likes,
/// built in the background and rebuilt every `interval` (a `Service`), so that a request reads a
/// list from memory instead of joining the views table. Views posted since the last build count
/// from the next one.
///
/// A build (reading every view and counting) runs on ``ThreadExecutor/background``, at a lower
/// priority and outside Swift's cooperative pool: it never holds a thread requests need.
public final class CoWatchLists: Service, Sendable {
    /// What the last build did, for `/metrics`.
    public struct Status: Sendable, Hashable {
        /// When the index in use was built; `nil` before the first build.
        public var builtAt: Date?
        /// How long that build took, reading the store included.
        public var buildSeconds: Double = 0
        /// The (movie, user) pairs it was built from.
        public var pairs = 0
        /// The movies with a list.
        public var movies = 0
        /// Builds that failed (the previous index kept serving).
        public var failures = 0
    }

    private struct State {
        var index: CoWatchIndex?
        var waiters: [CheckedContinuation<CoWatchIndex, any Error>] = []
        var status = Status()
    }

    private let store: any StateStore
    private let interval: Duration
    private let listLength: Int
    private let logger: Logger
    private let state = NIOLockedValueBox(State())

    /// Lists of `listLength` movies from `store`'s views and likes, rebuilt every `interval`.
    public init(store: any StateStore, interval: Duration = .seconds(600), listLength: Int = 200, logger: Logger = Logger(label: "armory.co-watch")) {
        self.store = store
        self.interval = interval
        self.listLength = listLength
        self.logger = logger
    }

    /// The movies most co-watched with `movieID` (at most `limit`, and at most the list length),
    /// from the index in use; waits for the first build when there is none yet.
    public func neighbours(of movieID: Int, limit: Int) async throws -> [MovieCount] {
        if let index = state.withLockedValue({ $0.index }) {
            return index.neighbours(of: movieID, limit: limit)
        }
        return try await withCheckedThrowingContinuation { continuation in
            let index = state.withLockedValue { state -> CoWatchIndex? in
                if let index = state.index { return index }
                state.waiters.append(continuation)
                return nil
            }
            if let index { continuation.resume(returning: index) }
        }.neighbours(of: movieID, limit: limit)
    }

    /// What the last build did.
    public var status: Status {
        state.withLockedValue { $0.status }
    }

    /// Builds the index from the store now and serves it, and returns what it was built from. On
    /// failure the previous index keeps serving and the error is thrown.
    @discardableResult
    public func rebuild() async throws -> Watches {
        let started = ContinuousClock.now
        do {
            let (watches, index) = try await withTaskExecutorPreference(ThreadExecutor.background) { [store, listLength] in
                let watches = try await store.watches()
                let index = try CoWatchIndex(watches, listLength: listLength) { Task.isCancelled }
                return (watches, index)
            }
            let elapsed = (ContinuousClock.now - started) / .seconds(1)
            let waiters = state.withLockedValue { state in
                state.index = index
                state.status.builtAt = Date()
                state.status.buildSeconds = elapsed
                state.status.pairs = watches.count
                state.status.movies = index.movieCount
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume(returning: index) }
            logger.debug("co-watch lists built", metadata: ["pairs": "\(watches.count)", "seconds": "\(elapsed)"])
            return watches
        } catch {
            state.withLockedValue { $0.status.failures += 1 }
            throw error
        }
    }

    /// Rebuilds every `interval` until shutdown (the first build is the caller's: the server
    /// makes it before it listens). A failed build is logged and tried again after a tenth of
    /// the interval; requests keep the lists they had.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var wait = self.interval
            while (try? await Task.sleep(for: wait)) != nil {
                do {
                    try await self.rebuild()
                    wait = self.interval
                } catch is CancellationError {
                    return
                } catch {
                    self.logger.warning("cannot rebuild the co-watch lists; the previous ones keep serving", metadata: ["error": "\(error)"])
                    wait = self.interval / 10
                }
            }
        }
        let waiters = state.withLockedValue { state in
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(throwing: CancellationError()) }
    }
}
