// swift-tools-version: 6.1
import PackageDescription

/// ArmoryKit: the contract between the Armory host and its algorithm modules.
///
/// It is a package of its own with a `.dynamic` product so that the host and every plugin
/// share one copy of its type metadata at run time.
let package = Package(
    name: "ArmoryKit",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "ArmoryKit", type: .dynamic, targets: ["ArmoryKit"]),
    ],
    targets: [
        .target(
            name: "ArmoryKit",
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
