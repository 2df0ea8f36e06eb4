import ArmoryCore
import ArmoryStorage
import Foundation

// armory-state-writer URL EXPERIMENT COUNT: appends COUNT weight versions to EXPERIMENT in the
// state store at URL, printing each version number it was given. The storage tests run two of
// these at once to prove that concurrent processes never collide or leave gaps.
let arguments = CommandLine.arguments
guard arguments.count == 4, let count = Int(arguments[3]) else {
    FileHandle.standardError.write(Data("usage: armory-state-writer URL EXPERIMENT COUNT\n".utf8))
    exit(2)
}
let location = try StateStoreLocation(arguments[1])
let experiment = arguments[2]
let versions = try await location.withStore { store in
    var versions: [Int] = []
    for index in 0..<count {
        let stored = try await store.appendWeightVersion(WeightVersion(
            experimentID: experiment, version: 0, configVersion: 1, arms: ["a", "b"], weights: [0.5, 0.5],
            reason: .manual, actor: "writer-\(getpid())", note: "append \(index)", createdAt: Date()
        ))
        versions.append(stored.version)
    }
    return versions
}
print(versions.map(String.init).joined(separator: " "))
