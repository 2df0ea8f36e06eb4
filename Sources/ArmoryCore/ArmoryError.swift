/// Why a use case refused or could not do what it was asked: a kind that says what the caller
/// can do about it, a stable code for programs and a message that is safe to show a person
/// (it names the field or value; never an internal detail, which goes to the log).
///
/// Use cases throw it and know nothing of HTTP; the HTTP layer turns the kind into a status in
/// one place. New codes are added as static members of ``Code``, which callers never switch
/// over exhaustively (the shape of postgres-nio's `PSQLError.Code`).
public struct ArmoryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What the caller can do about it.
    public enum Kind: Sendable, Hashable {
        /// The input is wrong: fix it before trying again.
        case invalid
        /// What the input names does not exist.
        case notFound
        /// The input is well formed but contradicts the current state.
        case conflict
        /// The caller has not proved who it is.
        case unauthenticated
        /// The input is larger than allowed.
        case tooLarge
        /// A part Armory needs is away or full for now: try again after ``retryAfter`` seconds.
        case unavailable
    }

    /// A stable, snake_case code (`unknown_experiment`, `invalid_limit`, …).
    public struct Code: Sendable, Hashable, RawRepresentable, CustomStringConvertible {
        public let rawValue: String

        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        public var description: String { rawValue }

        /// A field or parameter named `field` is missing or wrong (`invalid_<field>`).
        public static func invalid(_ field: String) -> Code { Code(rawValue: "invalid_\(field)") }

        public static let invalidJSON = Code(rawValue: "invalid_json")
        public static let bodyTooLarge = Code(rawValue: "body_too_large")
        public static let unauthorized = Code(rawValue: "unauthorized")
        public static let unknownExperiment = Code(rawValue: "unknown_experiment")
        public static let unknownVersion = Code(rawValue: "unknown_version")
        public static let armsChanged = Code(rawValue: "arms_changed")
        public static let notDropped = Code(rawValue: "not_dropped")
        // Why an event was refused.
        public static let invalidType = Code(rawValue: "invalid_type")
        public static let invalidEventID = Code(rawValue: "invalid_event_id")
        public static let missingField = Code(rawValue: "missing_field")
        public static let unknownDecision = Code(rawValue: "unknown_decision")
        public static let unknownArm = Code(rawValue: "unknown_arm")
        public static let invalidValue = Code(rawValue: "invalid_value")
        public static let invalidTime = Code(rawValue: "invalid_time")
        public static let invalidUserID = Code(rawValue: "invalid_user_id")
        public static let notServed = Code(rawValue: "not_served")
        // Why a part is unavailable for now.
        public static let armUnavailable = Code(rawValue: "arm_unavailable")
        public static let busy = Code(rawValue: "busy")
        public static let shuttingDown = Code(rawValue: "shutting_down")
        public static let notStored = Code(rawValue: "not_stored")
        public static let metricsUnavailable = Code(rawValue: "metrics_unavailable")
        public static let notReady = Code(rawValue: "not_ready")
        public static let storeUnavailable = Code(rawValue: "store_unavailable")
        public static let invalidModelReference = Code(rawValue: "invalid_model_reference")
        public static let unknownModel = Code(rawValue: "unknown_model")
        public static let modelUnavailable = Code(rawValue: "model_unavailable")
    }

    /// What the caller can do about it.
    public var kind: Kind
    /// A stable code for programs.
    public var code: Code
    /// What is wrong, naming the field or value.
    public var message: String
    /// For ``Kind/unavailable``: seconds to wait before trying again.
    public var retryAfter: Int?

    /// Creates an error.
    public init(_ kind: Kind, _ code: Code, _ message: String, retryAfter: Int? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    public var description: String { "\(code): \(message)" }

    /// A parameter or field named `field` is missing or wrong.
    public static func invalid(_ field: String, _ message: String) -> ArmoryError {
        ArmoryError(.invalid, .invalid(field), message)
    }

    /// An event refused for `code`.
    public static func event(_ code: Code, _ message: String) -> ArmoryError {
        ArmoryError(.invalid, code, message)
    }

    /// No experiment `id` is being served.
    public static func unknownExperiment(_ id: String) -> ArmoryError {
        ArmoryError(.notFound, .unknownExperiment, "no experiment '\(id)' is being served; GET /v1/experiments lists them")
    }

    /// A part is away or full: try again after `seconds`.
    public static func unavailable(_ code: Code, _ message: String, retryAfter seconds: Int = 1) -> ArmoryError {
        ArmoryError(.unavailable, code, message, retryAfter: seconds)
    }
}
