// swift-tools-version: 6.1
import PackageDescription

/// Settings every Armory target compiles with: Swift 6 language mode (strict concurrency)
/// and `any` spelled out for existentials.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Armory",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "ArmoryCore", targets: ["ArmoryCore"]),
    ],
    dependencies: [
        // The plugin contract lives in its own package so that the host and every algorithm
        // module link one shared copy of it (see ARCHITECTURE.md, "Known packaging fact").
        .package(path: "Plugins/ArmoryKit"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
    ],
    targets: [
        .target(
            name: "ArmoryCore",
            dependencies: [
                .product(name: "ArmoryKit", package: "ArmoryKit"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ArmoryCoreTests",
            dependencies: ["ArmoryCore"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
