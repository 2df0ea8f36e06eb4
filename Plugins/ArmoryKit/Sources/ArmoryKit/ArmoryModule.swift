/// The binary contract between the host and a module's shared library: one exported C function,
/// ``entryPointSymbol``, of type ``EntryPoint``.
///
/// A module exports it in a few lines:
///
/// ```swift
/// @_cdecl("armory_module_entry")
/// public func armoryModuleEntry(hostABIVersion: UInt32, registrar: UnsafeMutableRawPointer) -> UInt32 {
///     ArmoryModule.export([Newest.self], hostABIVersion: hostABIVersion, registrar: registrar)
/// }
/// ```
public enum ArmoryModule {
    /// The entry point's signature: the host passes its ABI version and an opaque
    /// ``ModuleRegistrar``; the module registers its algorithms only when the versions match,
    /// and returns the ABI version it was built with.
    public typealias EntryPoint = @convention(c) (_ hostABIVersion: UInt32, _ registrar: UnsafeMutableRawPointer) -> UInt32

    /// The name of the exported entry point.
    public static let entryPointSymbol = "armory_module_entry"

    /// The version of this contract. It changes whenever a change to ArmoryKit could make a
    /// module built against the old one misbehave; the host refuses modules of another version.
    ///
    /// Inlined into each module when it is compiled, so a module reports the version it was
    /// built with, not the one the host happens to have loaded.
    /// Version 2: ``MovieCatalog`` groups its movies by their genres.
    /// Version 3: modules may register ``Trainer``s and ``ModelServingAlgorithm``s.
    @inlinable public static var abiVersion: UInt32 { 3 }

    /// The body of a module's entry point: registers `algorithms` and `trainers` when
    /// `hostABIVersion` is the version this module was built with, and returns that version
    /// either way.
    @inlinable
    public static func export(
        _ algorithms: [any RecommendationAlgorithm.Type], trainers: [any Trainer.Type] = [], hostABIVersion: UInt32,
        registrar: UnsafeMutableRawPointer
    ) -> UInt32 {
        guard hostABIVersion == abiVersion else { return abiVersion }
        let registrar = Unmanaged<ModuleRegistrar>.fromOpaque(registrar).takeUnretainedValue()
        for algorithm in algorithms {
            registrar.add(algorithm)
        }
        for trainer in trainers {
            registrar.add(trainer)
        }
        return abiVersion
    }
}

/// Collects the algorithms and trainers one module registers while its entry point runs. The host makes
/// one per library and reads it afterwards; modules only see it through
/// ``ArmoryModule/export(_:hostABIVersion:registrar:)``.
public final class ModuleRegistrar {
    /// The algorithms registered so far, in order.
    public private(set) var algorithms: [any RecommendationAlgorithm.Type] = []
    /// The trainers registered so far, in order.
    public private(set) var trainers: [any Trainer.Type] = []

    /// Creates an empty registrar.
    public init() {}

    /// Records `algorithm`.
    public func add(_ algorithm: any RecommendationAlgorithm.Type) {
        algorithms.append(algorithm)
    }

    /// Records `trainer`.
    public func add(_ trainer: any Trainer.Type) {
        trainers.append(trainer)
    }
}
