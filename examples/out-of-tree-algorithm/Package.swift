// swift-tools-version: 6.1
import PackageDescription

/// An algorithm module built outside Armory's repository: it depends on ArmoryKit (here by
/// path; in your own repository, by path to your Armory checkout) and builds `libClassics.so`.
/// Point the host at it with ARMORY_MODULES_DIR=<this package>/.build/debug.
let package = Package(
    name: "Classics",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Classics", type: .dynamic, targets: ["Classics"]),
    ],
    dependencies: [
        .package(path: "../../Plugins/ArmoryKit"),
    ],
    targets: [
        .target(name: "Classics", dependencies: [.product(name: "ArmoryKit", package: "ArmoryKit")]),
    ],
    swiftLanguageModes: [.v6]
)
