import ArmoryCore
import ArmoryKit
import ArmoryStorage
import Foundation
import Testing

@Suite("The store-backed DataSource")
struct StoreDataSourceTests {
    @Test("answers what the in-memory source answers for the same demo data", arguments: StoreKind.allCases)
    func parity(kind: StoreKind) async throws {
        let now = Date(timeIntervalSince1970: 1_795_608_000)
        let data = DemoData(movies: 80, users: 150, seed: 11, now: now)
        let users = (0..<data.userCount).map(data.user)
        let memory = InMemoryDataSource(
            catalog: data.movies,
            views: Dictionary(uniqueKeysWithValues: users.map { ($0.id, $0.views) }),
            likes: Dictionary(uniqueKeysWithValues: users.map { ($0.id, $0.likes) })
        )
        try await TestStores.withFreshStore(kind) { store, _ in
            _ = try await DemoSeeder(data: data).seed(into: store)
            let coWatch = CoWatchLists(store: store)
            try await coWatch.rebuild()
            let source = StoreDataSource(store: store, coWatch: coWatch)
            #expect(try await source.catalog().movies == memory.catalog().movies)
            for user in ["user-0", "user-7", "user-149", "nobody"] {
                let stored = try await source.history(of: user, since: nil)
                let expected = try await memory.history(of: user, since: nil)
                #expect(stored.views.map(\.movieID) == expected.views.map(\.movieID), "\(user)")
                #expect(stored.likes.map(\.movieID) == expected.likes.map(\.movieID), "\(user)")
                let since = now.addingTimeInterval(-20 * 86_400)
                #expect(try await source.history(of: user, since: since).views.count == expected.views.filter { $0.time >= since }.count)
            }
            // Whole-hour windows, where the in-memory source's hourly rounding changes nothing.
            let since = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 3_600).rounded(.down) * 3_600 - 30 * 86_400)
            for genre in [nil, "comedy"] as [String?] {
                let expected = try await memory.popularMovies(genre: genre, since: since, limit: 10)
                #expect(try await source.popularMovies(genre: genre, since: since, limit: 10) == expected)
            }
            for movie in [1, 3, 30] {
                let expected = try await memory.coWatchedMovies(with: movie, limit: 10)
                #expect(try await source.coWatchedMovies(with: movie, limit: 10) == expected)
            }
        }
    }

    @Test("a user's history is cached until forgotten; the cache is bounded", arguments: [StoreKind.sqlite])
    func historyCache(kind: StoreKind) async throws {
        try await TestStores.withFreshStore(kind) { store, _ in
            var lifetimes = StoreDataSource.Lifetimes()
            lifetimes.historyLifetime = .seconds(3_600)
            lifetimes.hotUsers = 10
            let source = StoreDataSource(store: store, coWatch: CoWatchLists(store: store), lifetimes: lifetimes)
            let now = Date(timeIntervalSince1970: 1_795_608_000)
            try await store.appendViews([UserEvent(userID: "ana", movieID: 1, time: now)])
            #expect(try await source.history(of: "ana", since: nil).views.count == 1)
            try await store.appendViews([UserEvent(userID: "ana", movieID: 2, time: now)])
            #expect(try await source.history(of: "ana", since: nil).views.count == 1, "served from the cache")
            source.forgetHistory(of: "ana")
            #expect(try await source.history(of: "ana", since: nil).views.count == 2)
            // Twenty more users through a ten-user cache: ana falls out and is read afresh.
            for index in 0..<20 { _ = try await source.history(of: "user-\(index)", since: nil) }
            try await store.appendViews([UserEvent(userID: "ana", movieID: 3, time: now)])
            #expect(try await source.history(of: "ana", since: nil).views.count == 3)
        }
    }

    @Test("views and likes this server stores join the cached histories in their place, newest first, at most 500 of each")
    func recordedEvents() async throws {
        try await TestStores.withFreshStore(.sqlite) { store, _ in
            var lifetimes = StoreDataSource.Lifetimes()
            lifetimes.historyLifetime = .seconds(3_600)
            let source = StoreDataSource(store: store, coWatch: CoWatchLists(store: store), lifetimes: lifetimes)
            let now = Date(timeIntervalSince1970: 1_795_608_000)
            try await store.appendViews([UserEvent(userID: "ana", movieID: 5, time: now), UserEvent(userID: "ana", movieID: 9, time: now.addingTimeInterval(-60))])
            #expect(try await source.history(of: "ana", since: nil).views.map(\.movieID) == [5, 9])
            // An older view, a newer one, one at the same time as movie 5 (ties by smaller id),
            // a like; and a user whose history is not cached, who is left to the store.
            let views = [UserEvent(userID: "ana", movieID: 7, time: now.addingTimeInterval(-30)), UserEvent(userID: "ana", movieID: 8, time: now.addingTimeInterval(60)),
                         UserEvent(userID: "ana", movieID: 3, time: now), UserEvent(userID: "bo", movieID: 1, time: now)]
            let likes = [UserEvent(userID: "ana", movieID: 8, time: now.addingTimeInterval(61))]
            source.record(views: views, likes: likes)
            let ana = try await source.history(of: "ana", since: nil)
            #expect(ana.views.map(\.movieID) == [8, 3, 5, 7, 9])
            #expect(ana.likes.map(\.movieID) == [8])
            #expect(try await source.history(of: "bo", since: nil) == UserHistory(), "not cached, so read from the store, which the writer fills")

            source.record(views: (0..<600).map { UserEvent(userID: "ana", movieID: 1_000 + $0, time: now.addingTimeInterval(Double(1_000 + $0))) }, likes: [])
            let capped = try await source.history(of: "ana", since: nil).views
            #expect(capped.count == StoreDataSource.historyLimit)
            #expect(capped.first?.movieID == 1_599 && capped.last?.movieID == 1_100)
        }
    }
}
