import ArmoryCore
import ArmoryKit
import ArmoryServer
import ArmoryStorage
import ArmoryTestSupport
import Foundation
import Hummingbird
import NIOCore
import HummingbirdTesting
import Testing

/// Everything that uses the Redis test server, one test at a time: the outage test stops it.
@Suite("Redis", .serialized)
struct RedisTests {
    /// A client with a timeout generous enough for a loaded two-core machine (a reply there has
    /// taken over half a second); the tests of the timeout itself pass their own.
    static func makeClient(timeout: TimeAmount = .seconds(5)) throws -> RedisClient {
        try RedisClient(url: TestServers.redisURL(), connections: 2, timeout: timeout)
    }

    /// Hot-movie counters under a prefix of their own, so tests never see each other's counts.
    static func hotMovies(retention: Duration = .seconds(31 * 86_400)) throws -> HotMovies {
        try HotMovies(redis: makeClient(), retention: retention, prefix: "armory-test:\(UUID().uuidString.prefix(8))")
    }

    @Test("the client: AUTH on connect, pipelines in order, errors as values, and clear failures")
    func protocolAndFailures() async throws {
        let redis = try Self.makeClient()
        #expect(try await redis.send("PING") == .simpleString("PONG"))
        let key = "armory-test:counter:\(UUID().uuidString)"
        let replies = try await redis.pipeline((1...100).map { _ in ["INCR", key] } + [["DEL", key]])
        #expect(replies.dropLast() == (1...100).map { RESPValue.integer($0) })
        #expect(try await redis.send("INCRBY", key, "not-a-number").text == nil, "a Redis error is a value, not a throw")
        #expect(try await redis.send("GET", "armory-test:missing:\(UUID().uuidString)") == .bulkString(nil))
        // A value with spaces, CR LF, quotes and non-ASCII text survives the protocol.
        let text = "a b\r\nc \"Ω\" 東京"
        _ = try await redis.pipeline([["SET", key, text]])
        #expect(try await redis.send("GET", key).text == text)
        _ = try await redis.send("DEL", key)

        // Redis 6's access lists: a user name before the password is sent with AUTH.
        var named = URLComponents(string: try TestServers.redisURL())!
        named.user = "default"
        #expect(try await RedisClient(url: named.string!).send("PING") == .simpleString("PONG"))
        named.user = "nobody"
        await #expect { try await RedisClient(url: named.string!).send("PING") } throws: { error in
            "\(error)".contains("refused the connection set-up")
        }

        var wrong = URLComponents(string: try TestServers.redisURL())!
        wrong.password = "not-the-password"
        await #expect { try await RedisClient(url: wrong.string!).send("PING") } throws: { error in
            "\(error)".contains("refused the connection set-up")
        }
        await #expect { try await RedisClient(url: "redis://127.0.0.1:1", timeout: .milliseconds(300)).send("PING") } throws: { error in
            "\(error)".contains("cannot reach Redis at 127.0.0.1:1")
        }
        #expect(throws: StorageError.self) { try RedisClient(url: "http://127.0.0.1:6379") }
    }

    @Test("ARMORY_REDIS_URL and ARMORY_REDIS_PREFIX configure the server; a malformed URL is refused by name")
    func configuration() throws {
        let configured = try ServerConfiguration(environment: ["ARMORY_REDIS_URL": "redis://:secret@127.0.0.1:6380/2", "ARMORY_REDIS_PREFIX": "shop-a"])
        #expect(configured.redisURL == "redis://:secret@127.0.0.1:6380/2")
        #expect(configured.redisKeyPrefix == "shop-a")
        #expect(try ServerConfiguration(environment: [:]).redisURL == nil)
        #expect(throws: ConfigurationError.self) { try ServerConfiguration(environment: ["ARMORY_REDIS_URL": "redis://127.0.0.1/db-two"]) }
        do {
            _ = try ServerConfiguration(environment: ["ARMORY_REDIS_URL": "http://127.0.0.1:6379"])
            Issue.record("an http URL was accepted for Redis")
        } catch {
            #expect("\(error)".contains("ARMORY_REDIS_URL") && !"\(error)".contains("secret"))
        }
    }

    @Test("a server that stops answering times the round trip out, and the client recovers when it answers again")
    func frozenServer() async throws {
        let redis = try Self.makeClient(timeout: .milliseconds(300))
        // Connected first, allowing for a machine busy with other suites (300 ms is tight).
        var answer: RESPValue?
        for _ in 0..<20 where answer == nil { answer = try? await redis.send("PING") }
        #expect(answer == .simpleString("PONG"))
        try TestServers.services("freeze", "redis")
        let started = ContinuousClock.now
        await #expect { try await redis.send("PING") } throws: { error in
            "\(error)".contains("did not answer within 300 ms")
        }
        #expect(ContinuousClock.now - started < .seconds(2), "the timeout, not the operating system's, ended the wait")
        try TestServers.services("thaw", "redis")
        // The timed-out connection was replaced: the replies line up again.
        for _ in 0..<4 { #expect(try await redis.send("ECHO", "back") == .bulkString("back")) }
    }

    @Test("after N views and clicks the counts are N, by movie and by genre (seed 9)")
    func counts() async throws {
        let hot = try Self.hotMovies()
        let genres = ["drama", "comedy", "horror"]
        var generator = SplitMix64(seed: 9)
        var expected: [String: [Int: Int]] = [:]
        var hits: [HotMovies.Hit] = []
        let now = Date()
        for _ in 0..<2_000 {
            let movie = Int(generator.next() % 50) + 1
            let movieGenres = [genres[movie % 3]] + (movie % 5 == 0 ? [genres[(movie + 1) % 3]] : [])
            hits.append(HotMovies.Hit(movieID: movie, genres: movieGenres, time: now.addingTimeInterval(-Double(generator.next() % 3_000))))
            for key in ["*"] + movieGenres { expected[key, default: [:]][movie, default: 0] += 1 }
        }
        // In batches, as the events route records them.
        for start in stride(from: 0, to: hits.count, by: 100) { try await hot.record(Array(hits[start..<min(start + 100, hits.count)])) }
        for (genre, counts) in expected {
            let list = try await hot.popular(genre: genre == "*" ? nil : genre, since: now.addingTimeInterval(-3 * 3_600), limit: 100)
            #expect(Dictionary(uniqueKeysWithValues: list.map { ($0.movieID, $0.count) }) == counts, "genre \(genre)")
            #expect(list.map(\.count) == list.map(\.count).sorted(by: >), "most counted first")
        }
        #expect(expected["*"]!.values.reduce(0, +) == 2_000)
    }

    @Test("the window drops hours before it, and hours past the retention expire")
    func window() async throws {
        let hot = try Self.hotMovies(retention: .seconds(2 * 3_600))
        let now = Date()
        try await hot.record([
            HotMovies.Hit(movieID: 1, genres: ["drama"], time: now.addingTimeInterval(-4 * 3_600)),
            HotMovies.Hit(movieID: 2, genres: ["drama"], time: now.addingTimeInterval(-30 * 60)),
            HotMovies.Hit(movieID: 3, genres: ["drama"], time: now),
        ])
        let lastHour = try await hot.popular(genre: nil, since: now.addingTimeInterval(-10), limit: 10).map(\.movieID)
        #expect(Set(lastHour).isSubset(of: [2, 3]) && lastHour.contains(3))
        // Five hours back reaches past the two-hour retention: the four-hour-old hit is gone.
        #expect(Set(try await hot.popular(genre: "drama", since: now.addingTimeInterval(-5 * 3_600), limit: 10).map(\.movieID)) == [2, 3])
        // And its set expires on its own: one hour plus the retention after its hour began, at most.
        let hour = Int((now.timeIntervalSince1970 / 3_600).rounded(.down))
        let ttl = try await hot.redis.send("TTL", "\(hot.prefix):*:\(hour)")
        #expect(ttl.text.flatMap(Int.init).map { $0 > 0 && $0 <= 3 * 3_600 } == true, "TTL \(ttl)")
        let old = try await hot.redis.send("TTL", "\(hot.prefix):*:\(hour - 4)")
        #expect(old == .integer(-2), "an hour past the retention is already gone (expired at once)")
    }

    @Test("windows within Redis's retention come from Redis; longer ones, and all time, from the state store")
    func longWindows() async throws {
        let hot = try Self.hotMovies(retention: .seconds(2 * 3_600))
        let now = Date()
        // The base source has seen only movie 7, Redis only movie 8: each answer names its source.
        let base = InMemoryDataSource(
            catalog: [Movie(id: 7, title: "Seven", genres: ["drama"], year: 1995), Movie(id: 8, title: "Eight", genres: ["drama"], year: 2001)],
            views: ["someone": [HistoryEvent(movieID: 7, time: now.addingTimeInterval(-3 * 3_600))]])
        try await hot.record([HotMovies.Hit(movieID: 8, genres: ["drama"], time: now)])
        let source = HotListDataSource(base: base, hot: hot)
        #expect(try await source.popularMovies(genre: nil, since: now.addingTimeInterval(-3_600), limit: 5).map(\.movieID) == [8])
        #expect(try await source.popularMovies(genre: "drama", since: now.addingTimeInterval(-5 * 3_600), limit: 5).map(\.movieID) == [7])
        #expect(try await source.popularMovies(genre: nil, since: nil, limit: 5).map(\.movieID) == [7])
    }

    @Test("Redis stopped mid-traffic: every recommendation is still served, failures are counted, and Redis is used again when it returns")
    func outage() async throws {
        let folder = try TestServer.makeFolder(["hot.yaml": """
            id: hot
            objective: ctr
            fallback: day
            arms:
              - { name: day, algorithm: popularity, params: { window_days: 1 }, weight: 0.5 }
              - { name: days, algorithm: popularity, params: { window_days: 2 }, weight: 0.5 }
            """])
        defer { try? FileManager.default.removeItem(at: folder) }
        var configuration = TestServer.configuration(in: folder)
        configuration.redisURL = try TestServers.redisURL()
        // Keys of its own: other runs (the HTTP benchmark's views) share this Redis.
        let prefix = "armory-test:\(UUID().uuidString.prefix(8))"
        configuration.redisKeyPrefix = prefix
        let redis = try Self.makeClient()
        try await TestServer.run(configuration) { client, _ in
            // 60 views of one movie: counted in Redis by the events route, and first on the hot list.
            try await Self.postViews(of: 321, count: 60, client)
            #expect(try await Self.eventually { try await Self.serverCount(of: 321, prefix: prefix, in: redis) == 60 })
            try await Self.waitForTop(321, client)

            try TestServers.services("stop", "redis")
            do {
                var served = 0
                for index in 0..<150 {
                    let response = try await client.execute(uri: "/v1/recommendations?user_id=u\(index)&experiment=hot", method: .get)
                    #expect(response.status == .ok, "request \(index) while Redis is down")
                    if response.status == .ok { served += 1 }
                    if index % 30 == 0 { try await Task.sleep(for: .seconds(1)) }  // past the 5 s list lifetime
                }
                #expect(served == 150)
                // Views posted while Redis is down are stored; only the hot list misses them.
                try await Self.postViews(of: 987, count: 5, client)
                #expect(try await Self.failures("read", client) > 0, "the failed reads are counted")
                #expect(try await Self.eventually { try await Self.failures("record", client) > 0 }, "the failed record is counted")
            } catch {
                try? TestServers.services("start", "redis")
                throw error
            }
            try TestServers.services("start", "redis")

            // Redis came back empty (it keeps nothing on disk here). The first events after it
            // returns are counted there, on connections made anew, and the hot list reads it again.
            try await Self.postViews(of: 654, count: 60, client)
            #expect(try await Self.eventually { try await Self.serverCount(of: 654, prefix: prefix, in: redis) == 60 })
            try await Self.waitForTop(654, client)
            // Once back, no read fails: the counter stays where it was over two list lifetimes.
            let failedReads = try await Self.failures("read", client)
            for index in 0..<20 {
                #expect(try await client.execute(uri: "/v1/recommendations?user_id=v\(index)&experiment=hot", method: .get).status == .ok)
                try await Task.sleep(for: .milliseconds(500))
            }
            #expect(try await Self.failures("read", client) == failedReads)

            // Slow rather than gone: a frozen Redis holds the connections open and answers
            // nothing. Requests are still served (the list in memory, or the state store's).
            try TestServers.services("freeze", "redis")
            do {
                for index in 0..<40 {
                    #expect(try await client.execute(uri: "/v1/recommendations?user_id=w\(index)&experiment=hot", method: .get).status == .ok)
                    if index % 10 == 0 { try await Task.sleep(for: .seconds(2)) }
                }
                #expect(try await Self.failures("read", client) > failedReads, "the timed-out reads are counted")
            } catch {
                try? TestServers.services("thaw", "redis")
                throw error
            }
            try TestServers.services("thaw", "redis")
        }
    }

    /// Whether `condition` holds within 5 s: the events route queues views for Redis without waiting.
    static func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<50 {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    static func postViews(of movie: Int, count: Int, _ client: any TestClientProtocol) async throws {
        let response = try await client.post(events: (0..<count).map { _ in EventInput(type: "view", userID: "viewer", movieID: movie) })
        #expect(response.status == .accepted)
    }

    /// `movie`'s count in the server's overall sets of this hour and the one before, read from
    /// Redis itself.
    static func serverCount(of movie: Int, prefix: String, in redis: RedisClient) async throws -> Int {
        let hour = Int((Date().timeIntervalSince1970 / 3_600).rounded(.down))
        let scores = try await redis.pipeline([hour - 1, hour].map { ["ZSCORE", "\(prefix):*:\($0)", String(movie)] })
        return scores.compactMap { $0.text.flatMap(Double.init) }.reduce(0) { $0 + Int($1) }
    }

    /// `armory_redis_failures_total{operation=…}` from `/metrics` (0 when absent).
    static func failures(_ operation: String, _ client: any TestClientProtocol) async throws -> Int {
        let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
        let prefix = "armory_redis_failures_total{operation=\"\(operation)\"} "
        guard let line = metrics.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return 0 }
        return Int(line.dropFirst(prefix.count)) ?? -1
    }

    /// Waits (up to 20 s, past the list lifetime) until `movie` heads the hot experiment's list.
    static func waitForTop(_ movie: Int, _ client: any TestClientProtocol) async throws {
        var first: Int?
        for _ in 0..<40 {
            first = try await client.recommend("someone", in: "hot").items.first?.movieID
            if first == movie { return }
            try await Task.sleep(for: .milliseconds(500))
        }
        Issue.record("movie \(movie) never headed the hot list; the first was \(String(describing: first))")
    }
}
