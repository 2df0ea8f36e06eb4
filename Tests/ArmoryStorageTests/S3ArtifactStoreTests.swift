import ArmoryStorage
import ArmoryTestSupport
import Foundation
import Testing

/// The S3 test server `scripts/services.sh` starts (`rclone serve s3`, checking signatures),
/// found by `ARMORY_TEST_S3_*`. A missing variable fails the test, naming it.
enum S3TestServer {
    static func variable(_ name: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            throw TestServers.SetupError("\(name) is not set: run the tests with `bash scripts/test`, or run `bash scripts/services.sh` "
                + "and `set -a; source .armory/services/env; set +a`, which start the S3 server")
        }
        return value
    }

    static func configuration(secret: String? = nil, threshold: Int = 64 * 1_024 * 1_024) throws -> S3Configuration {
        S3Configuration(endpoint: try variable("ARMORY_TEST_S3_ENDPOINT"), accessKeyID: try variable("ARMORY_TEST_S3_ACCESS_KEY"),
                        secretAccessKey: try secret ?? variable("ARMORY_TEST_S3_SECRET_KEY"),
                        connectTimeout: .seconds(2), multipartThreshold: threshold, partSize: S3Configuration.minimumPartSize)
    }

    static func bucket() throws -> String { try variable("ARMORY_TEST_S3_BUCKET") }

    /// Runs `body` with a store under a prefix of its own in the test bucket, then deletes what it left there.
    static func withStore<T: Sendable>(
        _ configuration: S3Configuration? = nil, bucket: String? = nil, _ body: (S3ArtifactStore, String) async throws -> T
    ) async throws -> T {
        let prefix = "test-\(UUID().uuidString.prefix(8).lowercased())"
        let store = try S3ArtifactStore(url: "s3://\(try bucket ?? self.bucket())/\(prefix)", configuration: try configuration ?? self.configuration())
        let result: Result<T, any Error>
        do { result = .success(try await body(store, prefix)) } catch { result = .failure(error) }
        if let objects = try? await store.client.listAllObjects(bucket: store.bucket, prefix: prefix + "/") {
            for object in objects { try? await store.client.deleteObject(bucket: store.bucket, key: object.key) }
        }
        try await store.shutdown()
        return try result.get()
    }

    /// `count` bytes from SplitMix64 seeded with `seed`: varied, and the same every run.
    static func bytes(_ count: Int, seed: UInt64) -> Data {
        var state = seed
        var words = [UInt64](repeating: 0, count: (count + 7) / 8)
        for index in words.indices {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            words[index] = z ^ (z >> 31)
        }
        return words.withUnsafeBytes { Data($0.prefix(count)) }
    }
}

@Suite("The S3 artifact store on a real S3 server")
struct S3ArtifactStoreTests {
    @Test("an artifact put is got back, held, and put again unchanged")
    func roundTrip() async throws {
        try await S3TestServer.withStore { store, prefix in
            let bytes = S3TestServer.bytes(100_000, seed: 1)
            let digest = try await store.put(bytes)
            #expect(digest == ArtifactDigest(of: bytes))
            #expect(try await store.get(digest) == bytes)
            #expect(try await store.contains(digest))
            #expect(try await store.put(bytes) == digest)
            #expect(try await store.client.headObject(bucket: store.bucket, key: "\(prefix)/\(digest.key)")?.size == 100_000)
            let missing = ArtifactDigest(of: Data("never stored".utf8))
            #expect(try await !store.contains(missing))
            let error = await #expect(throws: StorageError.self) { try await store.get(missing) }
            #expect(error?.code == .notFound)
            #expect(error?.message.contains(store.location) == true)
        }
    }

    @Test("a range of an object is its bytes from first to last offset")
    func rangedGet() async throws {
        try await S3TestServer.withStore { store, prefix in
            let bytes = S3TestServer.bytes(10_000, seed: 2)
            try await store.client.putObject(bucket: store.bucket, key: "\(prefix)/ranged", body: bytes)
            #expect(try await store.client.getObject(bucket: store.bucket, key: "\(prefix)/ranged", range: 10...19) == bytes[10...19])
            #expect(try await store.client.getObject(bucket: store.bucket, key: "\(prefix)/ranged", range: 9_990...9_999) == bytes[9_990...])
        }
    }

    @Test("a listing with a prefix pages through more keys than one page holds, and leaves out other keys")
    func listing() async throws {
        try await S3TestServer.withStore { store, prefix in
            let keys = (0..<7).map { "\(prefix)/listed/key-\($0)" }
            for (index, key) in keys.enumerated() {
                try await store.client.putObject(bucket: store.bucket, key: key, body: Data("object \(index)".utf8))
            }
            try await store.client.putObject(bucket: store.bucket, key: "\(prefix)/other", body: Data("other".utf8))
            let first = try await store.client.listObjects(bucket: store.bucket, prefix: "\(prefix)/listed/", maxKeys: 3)
            #expect(first.objects.map(\.key) == Array(keys.prefix(3)))
            #expect(first.nextContinuationToken != nil)
            let all = try await store.client.listAllObjects(bucket: store.bucket, prefix: "\(prefix)/listed/", pageSize: 3)
            #expect(all.map(\.key) == keys)
            #expect(all.map(\.size) == (0..<7).map { "object \($0)".utf8.count })
        }
    }

    @Test("a deleted object is gone")
    func delete() async throws {
        try await S3TestServer.withStore { store, _ in
            let digest = try await store.put(Data("to be deleted".utf8))
            #expect(try await store.contains(digest))
            try await store.client.deleteObject(bucket: store.bucket, key: store.key(of: digest))
            #expect(try await !store.contains(digest))
            try await store.client.deleteObject(bucket: store.bucket, key: store.key(of: digest))
        }
    }

    @Test("a 12 MiB artifact goes up in 5 MiB parts and comes back byte for byte")
    func multipart() async throws {
        try await S3TestServer.withStore(S3TestServer.configuration(threshold: 8 * 1_024 * 1_024)) { store, _ in
            let bytes = S3TestServer.bytes(12 * 1_024 * 1_024, seed: 3)
            let digest = try await store.put(bytes)
            #expect(try await store.get(digest) == bytes)
        }
    }

    @Test("a wrong secret is authentication_failed, naming the endpoint and bucket but not the secret")
    func wrongSecret() async throws {
        let secret = "wrong-secret-\(UUID().uuidString)"
        try await S3TestServer.withStore(S3TestServer.configuration(secret: secret)) { store, _ in
            let endpoint = try S3TestServer.variable("ARMORY_TEST_S3_ENDPOINT")
            let error = await #expect(throws: StorageError.self) { try await store.put(Data("refused".utf8)) }
            #expect(error?.code == .authenticationFailed)
            #expect(error?.message.contains(secret) == false)
            #expect(error?.message.contains(endpoint) == true)
            #expect(error?.message.contains(store.bucket) == true)
            #expect(error.map { "\($0)" }?.contains(secret) == false)
            #expect("\(store.client.configuration)".contains(secret) == false)
        }
    }

    @Test("a missing bucket is not_found")
    func missingBucket() async throws {
        try await S3TestServer.withStore(bucket: "armory-missing-\(UUID().uuidString.prefix(8).lowercased())") { store, _ in
            let digest = ArtifactDigest(of: Data("anything".utf8))
            for operation in ["get", "contains", "put"] {
                let error = await #expect(throws: StorageError.self, "\(operation)") {
                    switch operation {
                    case "get": _ = try await store.get(digest)
                    case "contains": _ = try await store.contains(digest)
                    default: _ = try await store.put(Data("anything".utf8))
                    }
                }
                #expect(error?.code == .notFound, "\(operation): \(error?.message ?? "")")
                #expect(error?.message.contains(store.bucket) == true)
            }
        }
    }

    @Test("an endpoint nothing listens on is unreachable: the refused connection is the answer, not a retry until a timeout")
    func unreachable() async throws {
        var configuration = try S3TestServer.configuration()
        configuration.endpoint = "http://127.0.0.1:1"
        let store = try S3ArtifactStore(url: "s3://armory-test/unreachable", configuration: configuration)
        let error = await #expect(throws: StorageError.self) { try await store.get(ArtifactDigest(of: Data())) }
        try await store.shutdown()
        #expect(error?.code == .unreachable)
        #expect(error?.message.contains("127.0.0.1:1") == true)
        #expect(error?.message.contains(configuration.secretAccessKey) == false)
        // Not a timing (this machine's load decides those): the error says the connection was
        // refused, which a client retrying until its connect timeout would not report.
        #expect(error?.message.contains("connection refused") == true, "\(error?.message ?? "")")
    }

    @Test("an object whose bytes do not match its digest is corrupted")
    func corrupted() async throws {
        try await S3TestServer.withStore { store, _ in
            let digest = try await store.put(Data("the real artifact".utf8))
            try await store.client.putObject(bucket: store.bucket, key: store.key(of: digest), body: Data("something else".utf8))
            let error = await #expect(throws: StorageError.self) { try await store.get(digest) }
            #expect(error?.code == .corrupted)
            #expect(error?.message.contains(store.location) == true)
        }
    }

    @Test("the location parses bucket and prefix, and refuses what is not an S3 location", arguments: [
        ("s3://armory", "armory", ""), ("s3://armory/models", "armory", "models"), ("s3://armory/a/b/", "armory", "a/b"),
    ])
    func location(url: String, bucket: String, prefix: String) async throws {
        let store = try S3ArtifactStore(url: url, configuration: S3Configuration(endpoint: "http://127.0.0.1:1", accessKeyID: "a", secretAccessKey: "b"))
        try await store.shutdown()
        #expect(store.bucket == bucket && store.prefix == prefix)
        #expect(throws: StorageError.self) {
            try S3ArtifactStore(url: "http://armory", configuration: S3Configuration(endpoint: "http://127.0.0.1:1", accessKeyID: "a", secretAccessKey: "b"))
        }
    }
}

@Suite("Artifacts read through the local cache in front of a real S3 server")
struct ArtifactCacheTests {
    @Test("a fetched artifact is kept locally; a damaged local copy is fetched again; a damaged remote one is refused")
    func cache() async throws {
        try await S3TestServer.withStore { store, _ in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("armory-cache-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: folder) }
            let local = FolderArtifactStore(folder: folder)
            let cache = ArtifactCache(store: store, local: local)
            let bytes = S3TestServer.bytes(100_000, seed: 9)
            let digest = try await cache.put(bytes)
            let inBucket = try await store.contains(digest)
            let kept = try await local.contains(digest)
            #expect(inBucket && kept)
            // Only in the bucket: fetched and kept.
            local.remove(digest)
            #expect(try await cache.get(digest) == bytes)
            #expect(try await local.get(digest) == bytes)
            // A local copy that no longer matches is replaced from the bucket.
            try Data("bit rot".utf8).write(to: folder.appendingPathComponent(digest.key))
            #expect(try await cache.get(digest) == bytes)
            #expect(try await local.get(digest) == bytes)
            // Both damaged: refused as corrupted, and nothing damaged is kept.
            try await store.client.putObject(bucket: store.bucket, key: store.key(of: digest), body: Data("tampered".utf8))
            try Data("bit rot".utf8).write(to: folder.appendingPathComponent(digest.key))
            await #expect { try await cache.get(digest) } throws: { ($0 as? StorageError)?.code == .corrupted }
            #expect(try await local.contains(digest) == false)
        }
    }
}
