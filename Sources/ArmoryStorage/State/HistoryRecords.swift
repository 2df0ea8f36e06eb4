import ArmoryCore
import Crypto
import Foundation

/// A config version to append: an experiment file as it was read.
public struct NewConfigVersion: Sendable, Hashable {
    /// The experiment, parsed.
    public var experiment: Experiment
    /// The file's text.
    public var yaml: String
    /// The file it came from.
    public var sourceFile: String
    /// Who loaded it (`config` for the server at start, a user for a reload).
    public var actor: String
    /// When.
    public var createdAt: Date

    /// Creates a config version to append.
    public init(experiment: Experiment, yaml: String, sourceFile: String, actor: String, createdAt: Date) {
        self.experiment = experiment
        self.yaml = yaml
        self.sourceFile = sourceFile
        self.actor = actor
        self.createdAt = createdAt
    }

    /// The SHA-256 of the YAML text, in lower-case hex.
    public var sha256: String {
        SHA256.hash(data: Data(yaml.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// A stored config version.
public struct ConfigVersion: Sendable, Hashable, Codable {
    /// The experiment's id.
    public var experimentID: String
    /// 1, 2, 3, … per experiment, without gaps.
    public var version: Int
    /// The SHA-256 of ``yaml``.
    public var sha256: String
    /// The file's text.
    public var yaml: String
    /// The experiment, parsed.
    public var experiment: Experiment
    /// The file it came from.
    public var sourceFile: String
    /// Who loaded it.
    public var actor: String
    /// When.
    public var createdAt: Date
}

/// A status change to append: pause, resume, or all traffic pinned to one arm (a rollback to an
/// arm, with updates frozen).
public struct NewStatusChange: Sendable, Hashable {
    /// The experiment's id.
    public var experimentID: String
    /// The new status.
    public var status: ExperimentStatus
    /// The arm every unit gets while pinned, or `nil`.
    public var pinnedArm: String?
    /// Who.
    public var actor: String
    /// Why, in their words.
    public var reason: String
    /// When.
    public var createdAt: Date

    /// Creates a status change to append.
    public init(experimentID: String, status: ExperimentStatus, pinnedArm: String? = nil, actor: String, reason: String, createdAt: Date) {
        self.experimentID = experimentID
        self.status = status
        self.pinnedArm = pinnedArm
        self.actor = actor
        self.reason = reason
        self.createdAt = createdAt
    }
}

/// A stored status change.
public struct StatusChange: Sendable, Hashable, Codable {
    /// The experiment's id.
    public var experimentID: String
    /// 1, 2, 3, … per experiment, without gaps.
    public var version: Int
    /// The status from then on.
    public var status: ExperimentStatus
    /// The arm every unit gets, when pinned.
    public var pinnedArm: String?
    /// Who.
    public var actor: String
    /// Why.
    public var reason: String
    /// When.
    public var createdAt: Date
}

/// An audit entry to append: who did what to which experiment, and why.
public struct NewAuditEntry: Sendable, Hashable {
    /// The experiment, or `nil` for actions on the whole server (a reload).
    public var experimentID: String?
    /// Who.
    public var actor: String
    /// What, e.g. `rollback`, `pause`, `reload`.
    public var action: String
    /// Why, in their words.
    public var reason: String
    /// Details, e.g. `to_version=3`.
    public var detail: String
    /// When.
    public var createdAt: Date

    /// Creates an audit entry to append.
    public init(experimentID: String?, actor: String, action: String, reason: String, detail: String = "", createdAt: Date) {
        self.experimentID = experimentID
        self.actor = actor
        self.action = action
        self.reason = reason
        self.detail = detail
        self.createdAt = createdAt
    }
}

/// A stored audit entry.
public struct AuditEntry: Sendable, Hashable, Codable {
    /// Increasing across the whole log.
    public var id: Int
    /// The experiment, or `nil`.
    public var experimentID: String?
    /// Who.
    public var actor: String
    /// What.
    public var action: String
    /// Why.
    public var reason: String
    /// Details.
    public var detail: String
    /// When.
    public var createdAt: Date
}
