import ArmoryKit
import ArmoryCore
import Crypto
import Foundation
import Testing

@Suite("Decisions are signed, and client events are checked against them")
struct EventValidatorTests {
    static let now = Date(timeIntervalSince1970: 1_795_608_000)
    static let signer = DecisionSigner(secret: Data("a test secret of 32 bytes, or so".utf8))
    static let validator = EventValidator(signer: signer, arms: ["rail": ["control", "personal"], "row": ["a"]])
    static let decision = Decision(experiment: "rail", arm: "personal", configVersion: 3, weightVersion: 7, userID: "ana",
                                   time: now, nonce: 0xDEAD_BEEF, items: [7, 9, 11, 42, 5])
    static var decisionID: String { signer.id(for: decision) }

    @Test("a decision id carries its decision and survives the round trip")
    func roundTrip() {
        #expect(Self.signer.decision(from: Self.decisionID) == Self.decision)
        #expect(Self.decisionID.hasPrefix("d3."))
        var uncounted = Self.decision
        uncounted.isCounted = false
        #expect(Self.signer.decision(from: Self.signer.id(for: uncounted)) == uncounted)
        // A list of 100 movies with the longest ids still makes an id the signer reads back.
        var long = Self.decision
        long.items = (0..<100).map { Int.max - $0 }
        #expect(Self.signer.decision(from: Self.signer.id(for: long)) == long)
        long.items = []
        #expect(Self.signer.decision(from: Self.signer.id(for: long)) == long)
        #expect(Self.decisionID.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) })
    }

    @Test("a forged, altered or foreign decision id is refused", arguments: [
        "garbage", "", "d1..", "d1.abc.def", "d2.x.y", "d3.x.y",
    ])
    func forged(id: String) {
        #expect(Self.signer.decision(from: id) == nil)
    }

    @Test("changing any part of a real id, or signing with another secret, breaks it")
    func tampered() {
        let parts = Self.decisionID.split(separator: ".").map(String.init)
        var payload = Array(parts[1])
        payload[4] = payload[4] == "A" ? "B" : "A"
        #expect(Self.signer.decision(from: "d3.\(String(payload)).\(parts[2])") == nil)
        #expect(Self.signer.decision(from: "d3.\(parts[1]).\(parts[2].dropLast())x") == nil)
        // Read as an older format, the same payload and signature do not parse.
        #expect(Self.signer.decision(from: "d2.\(parts[1]).\(parts[2])") == nil)
        #expect(Self.signer.decision(from: "d1.\(parts[1]).\(parts[2])") == nil)
        let other = DecisionSigner(secret: Data("another secret entirely, 32 byte".utf8))
        #expect(other.decision(from: Self.decisionID) == nil)
    }

    @Test("a click takes its experiment, arm and versions from the decision, not the client")
    func click() throws {
        let event = try Self.validator.validate(EventInput(eventID: "c-1", type: "click", decisionID: Self.decisionID, movieID: 42, position: 3),
                                                now: Self.now)
        #expect(event.experiment == "rail" && event.arm == "personal" && event.configVersion == 3 && event.weightVersion == 7)
        #expect(event.userID == "ana" && event.movieID == 42 && event.position == 3 && event.type == .click)
        #expect(try Self.validator.validate(EventInput(type: "click", decisionID: Self.decisionID, movieID: 5), now: Self.now).movieID == 5)
    }

    @Test("a click must be on a movie the decision served, at its position when one is given", arguments: [
        (88, nil, "movie_id 88 was not in the decision's list (7, 9, 11, 42, 5)"),
        (42, 0, "position 0 does not hold movie_id 42 in the decision's list: it holds 7; movie 42 is at position 3"),
        (42, 9, "position 9 does not hold movie_id 42 in the decision's list: the list has 5 movies; movie 42 is at position 3"),
        (42, -1, "position -1 does not hold movie_id 42 in the decision's list: the list has 5 movies; movie 42 is at position 3"),
    ] as [(Int, Int?, String)])
    func clickNotServed(movie: Int, position: Int?, message: String) {
        #expect { try Self.validator.validate(EventInput(type: "click", decisionID: Self.decisionID, movieID: movie, position: position), now: Self.now) }
            throws: { error in (error as? ArmoryError)?.code == .notServed && (error as? ArmoryError)?.message == message }
    }

    @Test("an id made before decisions carried their movies (d1) is still read, and its clicks are not checked against a list")
    func legacyIDs() throws {
        // Made as that Armory made it: seven lines, HMAC-SHA256 truncated to 24 bytes, base64url.
        let payload = DecisionSigner.base64URL(Array("rail\npersonal\n3\n7\nana\n\(Int(Self.now.timeIntervalSince1970 * 1_000))\n12345".utf8))
        let key = SymmetricKey(data: Data("a test secret of 32 bytes, or so".utf8))
        let signature = DecisionSigner.base64URL(Array(HMAC<SHA256>.authenticationCode(for: Data(payload.utf8), using: key).prefix(24)))
        let decision = try #require(Self.signer.decision(from: "d1.\(payload).\(signature)"))
        #expect(decision.items == nil && decision.arm == "personal" && decision.nonce == 12_345)
        let event = try Self.validator.validate(EventInput(type: "click", decisionID: "d1.\(payload).\(signature)", movieID: 88), now: Self.now)
        #expect(event.movieID == 88 && event.arm == "personal")
    }

    @Test("an outcome of a decision that does not count (outside coverage, paused, pinned) is kept outside the experiment")
    func uncountedDecision() throws {
        var decision = Self.decision
        decision.isCounted = false
        let id = Self.signer.id(for: decision)
        let click = try Self.validator.validate(EventInput(type: "click", decisionID: id, movieID: 42), now: Self.now)
        #expect(click.experiment.isEmpty && click.arm.isEmpty, "no total counts it")
        #expect(click.decisionID == id && click.userID == "ana" && click.movieID == 42, "kept, with its decision")
        #expect { try Self.validator.validate(EventInput(type: "click", decisionID: id, movieID: 88), now: Self.now) }
            throws: { ($0 as? ArmoryError)?.code == .notServed }
    }

    @Test("an id made before decisions said whether they count (d2) is still read, as counted")
    func countedByDefault() throws {
        let items = "7,9,11,42,5"
        let text = "rail\npersonal\n3\n7\nana\n\(Int(Self.now.timeIntervalSince1970 * 1_000))\n12345\n\(items)"
        let payload = DecisionSigner.base64URL(Array(text.utf8))
        let key = SymmetricKey(data: Data("a test secret of 32 bytes, or so".utf8))
        let signature = DecisionSigner.base64URL(Array(HMAC<SHA256>.authenticationCode(for: Data(payload.utf8), using: key).prefix(24)))
        let decision = try #require(Self.signer.decision(from: "d2.\(payload).\(signature)"))
        #expect(decision.isCounted && decision.items == [7, 9, 11, 42, 5])
        let click = try Self.validator.validate(EventInput(type: "click", decisionID: "d2.\(payload).\(signature)", movieID: 42), now: Self.now)
        #expect(click.experiment == "rail" && click.arm == "personal")
    }

    @Test("views and likes need no decision; a missing event id is made by the server")
    func view() throws {
        let event = try Self.validator.validate(EventInput(type: "view", userID: "bo", movieID: 5), now: Self.now, makeID: { "made-1" })
        #expect(event.eventID == "made-1" && event.decisionID.isEmpty && event.experiment.isEmpty && event.userID == "bo")
    }

    @Test("values at the edges of the limits are accepted")
    func edges() throws {
        let engagement = try Self.validator.validate(EventInput(type: "engagement", decisionID: Self.decisionID, value: 1e9), now: Self.now)
        #expect(engagement.value == 1e9)
        let old = Self.now.addingTimeInterval(-364 * 86_400)
        let view = try Self.validator.validate(
            EventInput(type: "view", userID: String(repeating: "é", count: 128), movieID: Int(Int32.max), time: old), now: Self.now)
        #expect(view.time == old && view.movieID == Int(Int32.max) && view.userID.utf8.count == 256)
        #expect(try Self.validator.validate(EventInput(type: "view", userID: "ünïcödé 用户 🙂", movieID: 1), now: Self.now).userID == "ünïcödé 用户 🙂")
    }

    @Test("each bad event gets its own typed error", arguments: [
        (EventInput(type: "impression", decisionID: "x"), ArmoryError.Code.invalidType),
        (EventInput(type: "purchase", userID: "ana"), .invalidType),
        (EventInput(eventID: "has space", type: "view", userID: "ana", movieID: 1), .invalidEventID),
        (EventInput(eventID: String(repeating: "x", count: 65), type: "view", userID: "ana", movieID: 1), .invalidEventID),
        (EventInput(type: "click", userID: "ana", movieID: 1), .missingField),
        (EventInput(type: "view", movieID: 1), .missingField),
        (EventInput(type: "like", userID: "ana"), .missingField),
        (EventInput(type: "click", decisionID: "d1.forged.id", movieID: 1), .unknownDecision),
        (EventInput(type: "engagement", decisionID: "SELF", value: -1), .invalidValue),
        (EventInput(type: "engagement", decisionID: "SELF", value: .nan), .invalidValue),
        (EventInput(type: "engagement", decisionID: "SELF", value: .infinity), .invalidValue),
        (EventInput(type: "engagement", decisionID: "SELF"), .missingField),
        (EventInput(type: "engagement", decisionID: "SELF", value: 1e200), .invalidValue),
        (EventInput(type: "engagement", decisionID: "SELF", value: 1e9 + 1), .invalidValue),
        (EventInput(type: "click", decisionID: "SELF", movieID: 42, value: 3), .invalidValue),
        (EventInput(type: "view", userID: "ana", movieID: 1 << 40), .invalidValue),
        (EventInput(type: "click", decisionID: "SELF", movieID: 42, position: -1), .notServed),
        (EventInput(type: "view", userID: "ana", movieID: 1, position: 100), .invalidValue),
        (EventInput(type: "view", userID: "ana", movieID: 1, time: Date(timeIntervalSince1970: -10_000_000_000_000)), .invalidTime),
        (EventInput(type: "like", userID: "ana", movieID: 1, time: Date(timeIntervalSince1970: -1e300)), .invalidTime),
        (EventInput(type: "like", userID: "ana", movieID: 1, time: Date(timeIntervalSince1970: 1e300)), .invalidTime),
        (EventInput(type: "view", userID: "ana", movieID: 1, time: now.addingTimeInterval(-366 * 86_400)), .invalidTime),
        (EventInput(type: "view", userID: "a\u{0}b", movieID: 1), .invalidUserID),
        (EventInput(type: "view", userID: "a\nb", movieID: 1), .invalidUserID),
        (EventInput(type: "view", userID: "a\u{85}b", movieID: 1), .invalidUserID),
        (EventInput(type: "view", userID: String(repeating: "é", count: 129), movieID: 1), .invalidUserID),
        (EventInput(type: "view", userID: "", movieID: 1), .invalidUserID),
        (EventInput(type: "conversion", decisionID: "SELF", time: now.addingTimeInterval(3_600)), .invalidTime),
        (EventInput(type: "conversion", decisionID: "SELF", userID: "mallory"), .unknownDecision),
        (EventInput(type: "conversion", decisionID: "STOPPED"), .unknownExperiment),
        (EventInput(type: "conversion", decisionID: "GONE-ARM"), .unknownArm),
    ] as [(EventInput, ArmoryError.Code)])
    func refused(input: EventInput, code: ArmoryError.Code) {
        var input = input
        switch input.decisionID {
        case "SELF": input.decisionID = Self.decisionID
        case "STOPPED":
            input.decisionID = Self.signer.id(for: Decision(experiment: "stopped", arm: "a", configVersion: 1, weightVersion: 1,
                                                            userID: "ana", time: Self.now, nonce: 1))
        case "GONE-ARM":
            input.decisionID = Self.signer.id(for: Decision(experiment: "row", arm: "b", configVersion: 1, weightVersion: 1,
                                                            userID: "ana", time: Self.now, nonce: 2))
        default: break
        }
        do {
            _ = try Self.validator.validate(input, now: Self.now)
            Issue.record("accepted \(input)")
        } catch {
            #expect(error.code == code, "\(error.message)")
            #expect(!error.message.isEmpty)
        }
    }
}

@Suite("Decision ids")
struct DecisionIDTests {
    @Test("the URL-safe base64 written by hand equals Foundation's with the alphabet swapped and padding dropped (every length 0…99, seed 5)")
    func base64URL() {
        var generator = SplitMix64(seed: 5)
        for length in 0..<100 {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let expected = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            #expect(DecisionSigner.base64URL(bytes) == expected, "length \(length)")
        }
    }

    @Test("an id round-trips its decision, and a copy of the keyed HMAC signs like a fresh one")
    func roundTrip() throws {
        let signer = DecisionSigner(secret: Data("a-secret-of-sixteen-bytes".utf8))
        let decision = Decision(experiment: "rail", arm: "personal", configVersion: 3, weightVersion: 7, userID: "user-Ω",
                                time: Date(timeIntervalSince1970: 1_795_600_000.123), nonce: 42)
        let first = signer.id(for: decision)
        #expect(signer.id(for: decision) == first, "signing twice gives the same id")
        #expect(DecisionSigner(secret: Data("a-secret-of-sixteen-bytes".utf8)).id(for: decision) == first)
        #expect(try #require(signer.decision(from: first)) == decision)
        #expect(DecisionSigner(secret: Data("another-secret-sixteen".utf8)).decision(from: first) == nil)
    }

    @Test("nonces drawn at once by eight tasks are all distinct (8 × 20,000), and neighbours are not neighbouring numbers")
    func nonces() async {
        let drawn = await withTaskGroup(of: [UInt64].self) { group in
            for _ in 0..<8 {
                group.addTask { (0..<20_000).map { _ in Decision.nextNonce() } }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(drawn.count == 160_000)
        #expect(Set(drawn).count == drawn.count)
        let first = Decision.nextNonce(), second = Decision.nextNonce()
        #expect(second &- first != 1 && first &- second != 1)
    }
}
