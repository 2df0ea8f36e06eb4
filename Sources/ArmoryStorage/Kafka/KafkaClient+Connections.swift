import NIOCore

/// Which broker answers what, and the connections to them.
extension KafkaClient {
    /// The partitions grouped by their leader's node.
    func leaders(of topic: String, for partitions: [Int32]) async throws -> [Int32: [Int32]] {
        let known = try await self.partitions(of: topic)
        var leaders: [Int32: [Int32]] = [:]
        for partition in partitions {
            guard let entry = known.first(where: { $0.index == partition }), entry.leader >= 0 else {
                _ = try? await self.partitions(of: topic, refresh: true)
                throw KafkaError(code: KafkaError.leaderNotAvailable, "partition \(partition) of \(topic) has no leader now")
            }
            leaders[entry.leader, default: []].append(partition)
        }
        return leaders
    }

    /// Runs `operation` with the group's coordinator, finding it again once when the broker
    /// says it is not (or no longer) the one.
    func withCoordinator<T: Sendable>(of group: String, _ operation: @Sendable (Int32) async throws -> T) async throws -> T {
        for attempt in 0..<2 {
            let coordinator = try await coordinator(of: group, refresh: attempt > 0)
            do {
                return try await operation(coordinator)
            } catch let error as KafkaError where error.needsNewMetadata || error.code == KafkaError.coordinatorLoadInProgress {
                if attempt == 1 { throw error }
            }
        }
        throw KafkaError(code: KafkaError.coordinatorNotAvailable, "no coordinator for the group \(group)")
    }

    private func coordinator(of group: String, refresh: Bool) async throws -> Int32 {
        if !refresh, let known = stateCoordinator(group) { return known.node }
        var response = try await send(KafkaMessages.Key.findCoordinator, to: nil) { KafkaMessages.writeFindCoordinator(group: group, to: &$0) }
        let coordinator = try KafkaMessages.readFindCoordinator(&response)
        remember(coordinator: coordinator, of: group)
        return coordinator.node
    }

    /// Sends a request to the broker `node` (`nil`: any bootstrap broker that answers) and
    /// returns its response body. A connection that fails is dropped, to be made again.
    func send(_ apiKey: Int16, to node: Int32?, extraTime: TimeAmount = .zero,
              _ write: (inout ByteBuffer) -> Void) async throws -> ByteBuffer {
        let version = KafkaMessages.versions[apiKey]!
        let connection = if let node { try await self.connection(to: node) } else { try await anyConnection() }
        do {
            return try await connection.send(apiKey, version: version, timeout: configuration.requestTimeout + extraTime, write)
        } catch {
            forget(connection)
            throw error
        }
    }

    /// The connection to broker `node`, made when there is none.
    func connection(to node: Int32) async throws -> KafkaConnection {
        guard let broker = brokerAddress(node) else {
            throw KafkaError(code: KafkaError.leaderNotAvailable, "broker \(node) is not in the metadata")
        }
        return try await connection(host: broker.host, port: broker.port)
    }

    /// A connection to the first bootstrap broker that answers.
    private func anyConnection() async throws -> KafkaConnection {
        var failures: [String] = []
        for address in configuration.brokers {
            let parts = address.split(separator: ":")
            do {
                return try await connection(host: String(parts.first ?? ""), port: parts.count == 2 ? Int(parts[1]) ?? 9092 : 9092)
            } catch {
                failures.append("\(error)")
            }
        }
        throw KafkaError(code: 0, "no Kafka broker answered: \(failures.joined(separator: "; "))")
    }

    private func connection(host: String, port: Int) async throws -> KafkaConnection {
        let key = "\(host):\(port)"
        if let existing = existingConnection(key), existing.isActive { return existing }
        let made = try await KafkaConnection.connect(host: host, port: port, clientID: configuration.clientID, timeout: configuration.connectTimeout)
        do {
            try await checkVersions(made)
        } catch {
            await made.close()
            throw error
        }
        return keep(made, as: key)
    }

    /// Refuses a broker that does not accept the version this client sends of each request.
    private func checkVersions(_ connection: KafkaConnection) async throws {
        var response = try await connection.send(KafkaMessages.Key.apiVersions, version: 0, timeout: configuration.requestTimeout) { _ in }
        let supported = try KafkaMessages.readAPIVersions(&response)
        for (key, version) in KafkaMessages.versions where !(supported[key]?.contains(version) ?? false) {
            let range = supported[key].map { "\($0.lowerBound)–\($0.upperBound)" } ?? "none"
            throw KafkaError(code: 35, "the Kafka broker at \(connection.location) does not accept \(KafkaMessages.names[key]!) v\(version) (it accepts \(range))")
        }
    }
}
