import Foundation

extension TestServers {
    /// The Kafka test broker (Tansu), `host:port`.
    public static func kafkaBrokers() throws -> String {
        guard let brokers = ProcessInfo.processInfo.environment["ARMORY_TEST_KAFKA_BROKERS"], !brokers.isEmpty else {
            throw SetupError("ARMORY_TEST_KAFKA_BROKERS is not set: run the tests with `bash scripts/test`, which starts the Kafka broker")
        }
        return brokers
    }

    /// A topic name no other test uses.
    public static func freshTopic(_ prefix: String = "armory-test") -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Runs `script` with Python and kafka-python (installed beside the broker by
    /// `scripts/services.sh`), `arguments` after it, and returns what it printed. A failure
    /// throws with its error output.
    public static func kafkaPython(_ script: String, _ arguments: [String] = []) throws -> String {
        guard let path = ProcessInfo.processInfo.environment["ARMORY_TEST_KAFKA_PYTHONPATH"], !path.isEmpty else {
            throw SetupError("ARMORY_TEST_KAFKA_PYTHONPATH is not set: run the tests with `bash scripts/test`")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONPATH"] = path
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Read before waiting: a full pipe would block the script.
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        let complaints = errors.fileHandleForReading.readDataToEndOfFile()
        let status = process.waitForExitStatus()
        guard status == 0 else {
            throw SetupError("kafka-python script failed (\(status)): \(String(decoding: complaints, as: UTF8.self).suffix(2_000))")
        }
        return String(decoding: printed, as: UTF8.self)
    }
}
