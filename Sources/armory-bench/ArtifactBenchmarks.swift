import ArmoryCore
import ArmoryStorage
import Foundation

/// A 50 MB artifact put and got through ``S3ArtifactStore`` on the S3 server of
/// `scripts/services.sh` (found by `ARMORY_TEST_S3_*`), against `rclone copyto` of the same
/// bytes to and from the same server in the same run: the tool people would otherwise use.
/// rclone's figures include starting its process, as a user running it would pay.
func benchmarkArtifacts() async {
    let environment = ProcessInfo.processInfo.environment
    guard let endpoint = environment["ARMORY_TEST_S3_ENDPOINT"], let bucket = environment["ARMORY_TEST_S3_BUCKET"],
          let accessKey = environment["ARMORY_TEST_S3_ACCESS_KEY"], let secretKey = environment["ARMORY_TEST_S3_SECRET_KEY"]
    else {
        report("artifacts", "ARMORY_TEST_S3_* not set; run `bash scripts/services.sh` and source .armory/services/env", verdict: false)
        return
    }
    let services = environment["ARMORY_SERVICES_DIR"] ?? FileManager.default.currentDirectoryPath + "/.armory/services"
    let rclone = services + "/python/bin/rclone"
    let prefix = "bench-\(UUID().uuidString.prefix(8).lowercased())"
    let configuration = S3Configuration(endpoint: endpoint, accessKeyID: accessKey, secretAccessKey: secretKey)
    guard let store = try? S3ArtifactStore(url: "s3://\(bucket)/\(prefix)", configuration: configuration) else {
        report("artifacts", "cannot make the store for \(endpoint)", verdict: false)
        return
    }
    let size = 50_000_000
    let bytes = artifactBytes(size)
    do {
        let (putSeconds, getSeconds) = try await timeStore(store, bytes: bytes, rounds: 3)
        let remote = RcloneRemote(executable: rclone, endpoint: endpoint, accessKey: accessKey, secretKey: secretKey)
        let (upSeconds, downSeconds) = try timeRclone(remote, bytes: bytes, target: "armorys3:\(bucket)/\(prefix)/rclone", rounds: 3)
        for (name, ours, theirs) in [("put", putSeconds, upSeconds), ("get", getSeconds, downSeconds)] {
            let rate = Double(size) / ours / 1e6
            let baseline = Double(size) / theirs / 1e6
            report("artifacts: \(name) 50 MB, S3ArtifactStore", String(format: "%.0f MB/s", rate),
                   target: "≥ 0.5 × rclone", verdict: rate >= 0.5 * baseline)
            report("  baseline: rclone copyto \(name == "put" ? "up" : "down")", String(format: "%.0f MB/s (ours/rclone %.2f)", baseline, rate / baseline))
        }
    } catch {
        report("artifacts", "failed: \(error)", verdict: false)
    }
    if let objects = try? await store.client.listAllObjects(bucket: bucket, prefix: prefix + "/") {
        for object in objects { try? await store.client.deleteObject(bucket: bucket, key: object.key) }
    }
    try? await store.shutdown()
}

/// The best of `rounds` puts (each of bytes made new by one changed byte, so none is skipped as
/// already stored) and of `rounds` gets, in seconds.
private func timeStore(_ store: S3ArtifactStore, bytes: Data, rounds: Int) async throws -> (put: Double, get: Double) {
    let clock = ContinuousClock()
    var bestPut = Double.infinity
    var bestGet = Double.infinity
    var digest = try await store.put(Data("warm-up".utf8))
    for round in 0..<rounds {
        var variant = bytes
        variant[0] = UInt8(round)
        let start = clock.now
        digest = try await store.put(variant)
        bestPut = min(bestPut, seconds(clock.now - start))
    }
    for _ in 0..<rounds {
        let start = clock.now
        let read = try await store.get(digest)
        bestGet = min(bestGet, seconds(clock.now - start))
        sink += Double(read.count)
    }
    return (bestPut, bestGet)
}

/// The rclone binary of `scripts/services.sh`, given the server as the remote `armorys3:` in
/// environment variables (no config file, no secret on the command line).
private struct RcloneRemote {
    let executable: String
    let endpoint: String
    let accessKey: String
    let secretKey: String

    func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["RCLONE_CONFIG"] = "/dev/null"
        environment["RCLONE_CONFIG_ARMORYS3_TYPE"] = "s3"
        environment["RCLONE_CONFIG_ARMORYS3_PROVIDER"] = "Rclone"
        environment["RCLONE_CONFIG_ARMORYS3_ENDPOINT"] = endpoint
        environment["RCLONE_CONFIG_ARMORYS3_ACCESS_KEY_ID"] = accessKey
        environment["RCLONE_CONFIG_ARMORYS3_SECRET_ACCESS_KEY"] = secretKey
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw NSError(domain: "rclone", code: Int(process.terminationStatus),
                          userInfo: [NSLocalizedDescriptionKey: "rclone \(arguments.first ?? "") exited \(process.terminationStatus)"])
        }
    }
}

/// The best of `rounds` uploads and downloads of `bytes` with `rclone copyto`, in seconds.
private func timeRclone(_ remote: RcloneRemote, bytes: Data, target: String, rounds: Int) throws -> (up: Double, down: Double) {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("armory-bench-rclone-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let source = folder.appendingPathComponent("artifact")
    try bytes.write(to: source)
    let clock = ContinuousClock()
    var bestUp = Double.infinity
    var bestDown = Double.infinity
    for round in 0..<rounds {
        let start = clock.now
        try remote.run(["copyto", source.path, "\(target)-\(round)"])
        bestUp = min(bestUp, seconds(clock.now - start))
    }
    for round in 0..<rounds {
        let start = clock.now
        try remote.run(["copyto", "\(target)-\(round)", folder.appendingPathComponent("copy-\(round)").path])
        bestDown = min(bestDown, seconds(clock.now - start))
    }
    return (bestUp, bestDown)
}

private func artifactBytes(_ count: Int) -> Data {
    var generator = Xoshiro256StarStar(seed: 50)
    var words = [UInt64](repeating: 0, count: (count + 7) / 8)
    for index in words.indices { words[index] = generator.next() }
    return words.withUnsafeBytes { Data($0.prefix(count)) }
}
