import ArmoryCore
import ArmoryServer
import ArmoryStorage
import Foundation

/// One case per target, with the properties every input must keep.
enum FuzzCases {
    static let arms: [String: Set<String>] = ["rail": ["control", "personal"], "watch": ["a", "b"]]

    /// The events route's path: the JSON decoder, then the validator. An accepted event must be
    /// one the stores can hold.
    static func event(_ data: Data, signer: DecisionSigner, now: Date) -> Bool {
        // Corpus files write @DECISION@ where a real decision id goes, so that cases get past
        // the signature to the checks behind it.
        let decision = Decision(experiment: "rail", arm: "personal", configVersion: 3, weightVersion: 7, userID: "ana",
                                time: now.addingTimeInterval(-60), nonce: 1, items: [7, 9, 11, 42, 5])
        let data = Data(String(decoding: data, as: UTF8.self).replacingOccurrences(of: "@DECISION@", with: signer.id(for: decision)).utf8)
        let inputs: [EventInput]
        if let batch = try? APIJSON.decoder.decode([EventInput].self, from: data) {
            inputs = batch
        } else if let single = try? APIJSON.decoder.decode(EventInput.self, from: data) {
            inputs = [single]
        } else {
            return false
        }
        let validator = EventValidator(signer: signer, arms: arms)
        var accepted = false
        for input in inputs {
            guard let event = try? validator.validate(input, now: now) else { continue }
            accepted = true
            check(InputLimits.problem(userID: event.userID) == nil, "accepted a user id the stores cannot hold", data)
            check(InputLimits.problem(time: event.time, now: now) == nil, "accepted a time outside the window", data)
            check(event.value.isFinite && event.value <= InputLimits.maximumValue, "accepted a value past the limit", data)
            check(event.movieID >= 0 && event.movieID <= InputLimits.maximumMovieID, "accepted a movie id past the limit", data)
        }
        return accepted
    }

    /// The experiment file decoder, with the built-in algorithms' names known.
    static func experiment(_ data: Data) -> Bool {
        let result = ExperimentDecoder(algorithms: nil).decode(ExperimentSource(path: "fuzz.yaml", contents: data))
        if let experiment = result.experiment {
            check(!experiment.arms.isEmpty, "accepted an experiment without arms", data)
            check(experiment.weights.allSatisfy { $0.isFinite && $0 >= 0 }, "accepted weights that are not finite and non-negative", data)
            return true
        }
        check(!result.problems.isEmpty, "refused without naming a problem", data)
        return false
    }

    /// The decision-id parser on a mutated id, and the round trip of a random decision whose
    /// user id is the input itself whenever the API would accept it as one.
    static func decision(_ text: String, signer: DecisionSigner, generator: inout Xoshiro256StarStar) -> Bool {
        let parsed = signer.decision(from: text)
        let users = [InputLimits.problem(userID: text) == nil ? text : "u1", "user-42", "ünï 用户", String(repeating: "x", count: 256)]
        var decision = Decision(experiment: "rail", arm: "personal", configVersion: Int(generator.next() % 1_000), weightVersion: 1,
                                userID: users[Int(generator.next() % UInt64(users.count))],
                                time: Date(timeIntervalSince1970: Double(generator.next() % 4_000_000_000_000) / 1_000),
                                nonce: generator.next(), items: (0..<Int(generator.next() % 101)).map { _ in Int(generator.next() % (1 << 31)) },
                                isCounted: generator.next() % 2 == 0)
        decision.items = decision.items ?? []
        let id = signer.id(for: decision)
        check(signer.decision(from: id) == decision, "a decision id did not read back as its decision", Data(id.utf8))
        return parsed != nil
    }

    /// Stops the process with the input when a property fails: a wrong answer is as bad as a crash.
    static func check(_ condition: Bool, _ message: String, _ input: Data) {
        guard !condition else { return }
        print("armory-fuzz: \(message); input (base64): \(input.base64EncodedString())")
        exit(1)
    }
}
